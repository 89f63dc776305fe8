"""Engines and the unit of work.

Sessions are synchronous (see docs/decisions.md for the measurement behind that). The request or
job owns the transaction: `Database.run(fn)` opens a session, calls `fn(session)`, commits, and
retries the whole function when the database asks for it (PostgreSQL serialization failures and
deadlocks, SQLite busy). Services only flush.

On SQLite every writing transaction starts with BEGIN IMMEDIATE: it takes the write lock up front,
so two writers queue on busy_timeout instead of failing when a reader upgrades to a writer.

`run_hot` is for the till's short transactions (customer lookup, quote, commit), called from
`async def` routes. On SQLite it runs the transaction inline on the event loop: such a
transaction is a few index lookups with no network wait (WAL with synchronous=NORMAL does not
fsync at commit), SQLite runs one writer at a time anyway, and handing each one to a thread
costs more CPU than the transaction itself (docs/decisions.md). The loop so becomes the
process's writer queue, and in-process writers never poll SQLite's busy handler. On PostgreSQL
every round trip waits on the network, so the transaction goes to the thread pool, in one hop.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRY_SQLSTATES = {"40001", "40P01"}


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in RETRY_SQLSTATES:
        return True
    return "database is locked" in str(orig)


class Database:
    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        with (self._writer if write else self._reader)() as session:
            yield session

    def run(self, fn: Callable[[Session], T], *, write: bool = True, attempts: int = 5) -> T:
        """One transaction around `fn`; committed on success, rolled back on any error."""
        for attempt in range(1, attempts + 1):
            try:
                with self.session(write) as session:
                    result = fn(session)
                    if write:
                        session.commit()
                    return result
            except DBAPIError as exc:
                if attempt == attempts or not is_retryable(exc):
                    raise
                log.info("transaction retried", extra={"attempt": attempt})
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    async def run_hot(self, fn: Callable[[Session], T], *, write: bool = True) -> T:
        """`run` for a short transaction, from the event loop (see the module docstring)."""
        if self.is_sqlite:
            return self.run(fn, write=write)
        return await run_in_threadpool(self.run, fn, write=write)

    def dispose(self) -> None:
        self.engine.dispose()
