"""Which phone/email an earlier row of the same file already used, without holding them in memory.

A file can hold millions of rows; their keys go to a private throw-away SQLite file on disk, so
the importer's memory stays flat. Keys of a batch become visible only once the batch's own
transaction committed (`commit`), so a batch that is redone sees the file as it was before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


class SeenKeys:
    def __init__(self) -> None:
        # "" = a temporary on-disk database, deleted when the connection closes.
        self._conn = sqlite3.connect("", isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=OFF")
        self._conn.execute("PRAGMA synchronous=OFF")
        self._conn.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self._pending: dict[str, int] = {}

    @staticmethod
    def key(field: str, value: str) -> str:
        return f"{field[0]}{value}"

    def rows_for(self, keys: Iterable[str]) -> dict[str, int]:
        """The earlier row number of each key that a committed batch already used."""
        wanted = list(set(keys))
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT key, row FROM seen WHERE key IN ({marks})"
            found.update(self._conn.execute(query, chunk).fetchall())
        return found

    def add(self, key: str, row: int) -> None:
        self._pending.setdefault(key, row)

    def discard_pending(self) -> None:
        self._pending.clear()

    def commit(self) -> None:
        self._conn.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", self._pending.items())
        self._pending.clear()

    def close(self) -> None:
        self._conn.close()
