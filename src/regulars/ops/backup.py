"""`regulars backup` and `regulars restore`: one file format on both engines.

A backup file is a line `REGULARS-BACKUP 1`, a line of JSON (the manifest: engine, schema
revision, when, which version made it, what follows), then the payload:
- SQLite: the database, copied with SQLite's online backup API in one step (one read
  transaction, so one consistent snapshot; in WAL mode the till keeps committing meanwhile),
  then gzipped.
- PostgreSQL: `pg_dump --format=custom` (compressed by pg_dump), restored with `pg_restore`.

A restore refuses a file whose schema revision this version does not know (a newer version
made it), restores an older one and then migrates it to head. See docs/operations.md.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import create_engine, inspect, make_url, text

from regulars import __version__
from regulars.migrate import upgrade
from regulars.ops import schema

MAGIC = b"REGULARS-BACKUP 1\n"
NAME = re.compile(r"regulars-\d{8}T\d{6}Z\.backup")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something the operator must act on; the message says what."""


@dataclass(frozen=True)
class Manifest:
    engine: str
    revision: str | None
    created_at: str
    version: str
    payload: str

    def dump(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode() + b"\n"


def default_name(now: datetime | None = None) -> str:
    return f"regulars-{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}.backup"


def engine_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


# --- backup ------------------------------------------------------------------------------------


def backup(url: str, out: Path, keep: int | None = None) -> tuple[Path, Manifest]:
    """Write a backup of the database at `url` to `out` (a file, or a directory for a
    timestamped name); with `keep`, delete all but the newest `keep` timestamped backups in
    that directory. The file appears complete or not at all (written aside, then renamed)."""
    if out.is_dir():
        out = out / default_name()
    out.parent.mkdir(parents=True, exist_ok=True)
    with _aside(out) as tmp:
        manifest = _backup_sqlite(url, tmp) if url.startswith("sqlite") else _backup_pg(url, tmp)
    if keep is not None:
        prune(out.parent, keep)
    return out, manifest


@contextmanager
def _aside(out: Path) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=".backup-", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _backup_sqlite(url: str, tmp: Path) -> Manifest:
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupError(f"no database at {source_path}")
    copy = tmp.with_suffix(".db")
    try:
        source = sqlite3.connect(source_path, timeout=30)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)  # pages=-1: the whole file in one step, one snapshot
        finally:
            source.close()
        revision = _sqlite_revision(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        target.close()
        manifest = Manifest("sqlite", revision, _now(), __version__, "sqlite-gzip")
        with tmp.open("wb") as raw:
            raw.write(MAGIC + manifest.dump())
            gz = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0)
            with gz, copy.open("rb") as db_file:
                shutil.copyfileobj(db_file, gz, CHUNK)
    finally:
        copy.unlink(missing_ok=True)
    return manifest


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    try:
        rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:
        return None
    return ",".join(sorted(r[0] for r in rows)) or None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as pg_dump takes it (no driver, no password: that goes in PGPASSWORD)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str, url: str) -> str:
    """The path of pg_dump or pg_restore, of a version that can talk to the server."""
    found = shutil.which(name)
    libpq, _env = _libpq(url)
    hint = f"run by hand: pg_dump --format=custom --dbname '{libpq}' > FILE"
    if name == "pg_restore":
        hint = f"run by hand: pg_restore --clean --if-exists --no-owner --dbname '{libpq}' FILE"
    if found is None:
        raise BackupError(
            f"{name} is not installed (Debian: apt install postgresql-client-15); or {hint}"
        )
    out = subprocess.run([found, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    tool_major = int(match.group(1)) if match else 0
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            server = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    finally:
        engine.dispose()
    if tool_major < server // 10000:
        raise BackupError(
            f"{found} is version {tool_major} and the server {server // 10000}: install "
            f"postgresql-client-{server // 10000}; or {hint}"
        )
    return found


def _pg_revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return schema.current(conn)
    finally:
        engine.dispose()


def _backup_pg(url: str, tmp: Path) -> Manifest:
    pg_dump = _tool("pg_dump", url)
    revision = _pg_revision(url)
    manifest = Manifest("postgresql", revision, _now(), __version__, "pg_dump-custom")
    libpq, env = _libpq(url)
    with tmp.open("wb") as fh:
        fh.write(MAGIC + manifest.dump())
        fh.flush()
        done = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--dbname", libpq],
            stdout=fh,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()}")
    return manifest


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` timestamped backups in `directory`; returns the gone."""
    if keep < 1:
        raise BackupError("--keep must be at least 1")
    found = sorted(p for p in directory.iterdir() if NAME.fullmatch(p.name))
    gone = found[: max(0, len(found) - keep)]
    for path in gone:
        path.unlink()
    return gone


# --- restore -----------------------------------------------------------------------------------


def read_manifest(fh: IO[bytes]) -> Manifest:
    if fh.readline() != MAGIC:
        raise BackupError("not a Regulars backup file")
    try:
        data: dict[str, Any] = json.loads(fh.readline())
        return Manifest(**data)
    except (ValueError, TypeError) as exc:
        raise BackupError(f"the backup's manifest cannot be read: {exc}") from None


def restore(url: str, file: Path, force: bool = False) -> dict[str, Any]:
    """Restore `file` into the database at `url` (stop the server first), then migrate it to
    this version's schema. Refuses a file from a newer version, a file of the other engine,
    and a target that holds data unless `force`."""
    with file.open("rb") as fh:
        manifest = read_manifest(fh)
        target = engine_of(url)
        if manifest.engine != target:
            raise BackupError(
                f"this is a {manifest.engine} backup and the database is {target}: restore it "
                f"into a {manifest.engine} database, then move with `regulars copy-to`"
            )
        standing = schema.standing(manifest.revision)
        if standing.newer:
            raise BackupError(
                f"this backup's schema ({manifest.revision}) is newer than this version's "
                f"({standing.head}): install Regulars {manifest.version} or later to restore it"
            )
        if not force and _holds_data(url):
            raise BackupError(
                "the database already holds shops; restore with --force to replace it"
            )
        if target == "sqlite":
            _restore_sqlite(url, fh)
        else:
            _restore_pg(url, fh)
    upgrade(url)
    return {
        "engine": manifest.engine,
        "backup_revision": manifest.revision,
        "revision": standing.head,
        "migrated": not standing.current,
        "made_at": manifest.created_at,
    }


def _holds_data(url: str) -> bool:
    if url.startswith("sqlite") and not sqlite_path(url).exists():
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("merchants"):
                return False
            return conn.execute(text("SELECT 1 FROM merchants LIMIT 1")).first() is not None
    finally:
        engine.dispose()


def _restore_sqlite(url: str, fh: IO[bytes]) -> None:
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".restore-", suffix=".db")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out, gzip.GzipFile(fileobj=fh, mode="rb") as gz:
            shutil.copyfileobj(gz, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        check = sqlite3.connect(tmp)
        try:
            verdict = check.execute("PRAGMA integrity_check").fetchone()
        finally:
            check.close()
        if verdict is None or verdict[0] != "ok":
            raise BackupError(f"the backup's database is damaged: {verdict}")
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        tmp.replace(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise BackupError(f"the backup cannot be read: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _restore_pg(url: str, fh: IO[bytes]) -> None:
    pg_restore = _tool("pg_restore", url)
    libpq, env = _libpq(url)
    # A clean slate: tables a newer schema added would otherwise stand in the way of the
    # migrations that follow the restore of an older backup.
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    cmd = [pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
           "--exit-on-error", "--dbname", libpq]  # fmt: skip
    os.lseek(fh.fileno(), fh.tell(), os.SEEK_SET)  # the payload, past what was buffered
    done = subprocess.run(cmd, stdin=fh, stderr=subprocess.PIPE, env=env, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.decode(errors='replace').strip()}")
