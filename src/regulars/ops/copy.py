"""`regulars copy-to URL`: every row of this database into an empty PostgreSQL database.

The target is migrated to this version's schema first, then each table is copied in foreign-key
order, in batches, in one transaction on the target (a failed copy leaves it empty). Afterwards
both sides are compared table by table: the number of rows, and the sum of every integer column
(points, balances, money, quantities), so every ledger entry and every balance arrived as it was.
Stop the server while copying: the source is read in one snapshot, and sales made after it would
not be in the target.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, Connection, Integer, Table, create_engine, func, inspect, select

from regulars.migrate import upgrade
from regulars.models import metadata
from regulars.ops import schema

BATCH = 2000


class CopyError(Exception):
    """The copy was refused or did not verify; the message says why."""


Figures = dict[str, int]


def _figures(conn: Connection, table: Table) -> Figures:
    """Rows and the sum of each integer column."""
    numbers = [
        c for c in table.columns if isinstance(c.type, Integer) and not isinstance(c.type, Boolean)
    ]
    row = conn.execute(
        select(func.count(), *(func.coalesce(func.sum(c), 0) for c in numbers)).select_from(table)
    ).one()
    return {"rows": int(row[0])} | {
        f"sum({c.name})": int(v) for c, v in zip(numbers, row[1:], strict=True)
    }


def _empty(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    for table in metadata.sorted_tables:
        if table.name in names and conn.execute(select(1).select_from(table).limit(1)).first():
            return False
    return True


def copy_to(
    source_url: str,
    target_url: str,
    progress: Callable[[str, int], None] | None = None,
    batch: int = BATCH,
) -> dict[str, Figures]:
    """Copy and verify; returns each table's figures (the same on both sides)."""
    if source_url == target_url:
        raise CopyError("the target is the database being copied")
    source = create_engine(source_url)
    target = create_engine(target_url)
    try:
        with source.connect() as src:
            found = schema.standing(schema.current(src))
            if not found.current:
                raise CopyError(
                    f"this database is at schema {found.revision}, this version's is "
                    f"{found.head}: run `regulars migrate` first"
                )
        with target.connect() as dst:
            if not _empty(dst):
                raise CopyError("the target database already holds data; give an empty one")
        upgrade(target_url)
        with source.connect() as src, target.begin() as dst:
            src.begin()  # one snapshot of the source for the whole copy
            for table in metadata.sorted_tables:
                _copy_table(src, dst, table, batch, progress)
            report = _verify(src, dst)
    finally:
        source.dispose()
        target.dispose()
    return report


def _copy_table(
    src: Connection,
    dst: Connection,
    table: Table,
    batch: int,
    progress: Callable[[str, int], None] | None,
) -> None:
    rows = src.execution_options(yield_per=batch).execute(
        select(table).order_by(*table.primary_key.columns)
    )
    done = 0
    for part in rows.mappings().partitions(batch):
        chunk: list[dict[str, Any]] = [dict(r) for r in part]
        dst.execute(table.insert(), chunk)
        done += len(chunk)
        if progress is not None:
            progress(table.name, done)


def _verify(src: Connection, dst: Connection) -> dict[str, Figures]:
    report: dict[str, Figures] = {}
    wrong = []
    for table in metadata.sorted_tables:
        before, after = _figures(src, table), _figures(dst, table)
        if before != after:
            wrong.append(f"{table.name}: {before} here, {after} there")
        report[table.name] = before
    if wrong:
        raise CopyError("the copy does not match, nothing was kept: " + "; ".join(wrong))
    return report
