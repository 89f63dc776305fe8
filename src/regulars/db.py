"""Engines and the unit of work.

Sessions are synchronous (see docs/decisions.md for the measurement behind that). The request or
job owns the transaction: `Database.run(fn)` opens a transaction, calls `fn(unit)`, commits, and
retries the whole function when the database asks for it (PostgreSQL serialization failures and
deadlocks, SQLite busy). Services only flush.

On SQLite every writing transaction starts with BEGIN IMMEDIATE: it takes the write lock up front,
so two writers queue on busy_timeout instead of failing when a reader upgrades to a writer.

Every transaction runs through `Database.run` (from a thread) or `Database.arun` (from the event
loop, for the till's short transactions: customer lookup, quote, commit), on a `Unit`: the
connection and its transaction, with an ORM session only if the transaction asks for one, and the
`after_commit` hooks that run once it has committed. Both take the same function, commit and retry
the same way and run the same hooks; what differs is where the transaction runs.

On SQLite `arun` runs the transaction on the event loop itself: such a transaction is a few
index lookups with no network wait (WAL with synchronous=NORMAL does not fsync at commit), SQLite
runs one writer at a time anyway, and handing each one to a thread costs more CPU than the
transaction itself (docs/decisions.md). The loop so becomes the process's writer queue, and
in-process writers never poll SQLite's busy handler. The hot writes that reach the loop together
commit together, each in its own savepoint (`_grouped`): one BEGIN, one commit and one WAL write
for the group; the reads that arrive together share a snapshot. On PostgreSQL every round trip
waits on the network, so the transaction goes to the thread pool, in one hop, and at most
`POOL_SIZE` of them run at once per process: the rest wait on the event loop for a slot. Without
that cap a burst larger than the pool opens overflow connections that the pool closes again on
return, a new PostgreSQL backend per request (measured: 119 connections opened in 6 s at 32
clients, p99 640 ms; docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

from pydantic_core import to_json
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
log = logging.getLogger(__name__)

RETRY_SQLSTATES = {"40001", "40P01"}


POOL_SIZE = 10  # PostgreSQL connections kept open per process
# SQLite: turns of the event loop a group of hot transactions stays open for more to join. A
# turn with nothing else to do is a few microseconds; under load each turn reads and parses the
# requests that came in, so the groups grow with the load (docs/benchmarks.md: 8 turns, groups
# of ~8 at 8 clients and ~15 at 32, 12-18% more commits/s than running each group at once).
GROUP_TURNS = 8
SQLITE_AUTOCHECKPOINT = 1000  # pages; SQLite's default, for every process but the server
# Bytes the WAL file is cut back to when it starts over. Under a steady till load the WAL never
# starts over (the checkpointer never quite catches up), so it grows (~400 MB in 8 s at full
# speed) and starts over in the next pause; cut back to 64 MB, the next burst had to grow the
# file again and paid for it: p99 at 8 connections 7.7 -> 47 ms, stalls of ~140 ms
# (docs/decisions.md). Kept up to 1 GiB, the file is reused instead.
WAL_SIZE_LIMIT = 1024 * 1024 * 1024


def make_engine(url: str, wal: dict[str, int] | None = None, **kwargs: Any) -> Engine:
    # A database error logged with its traceback must not print the statement's values: they
    # hold phone numbers and emails (RELIABILITY: no personal data in logs).
    kwargs.setdefault("hide_parameters", True)
    # JSON columns (a sale's stored result, audit changes) written by pydantic's serializer, in
    # Rust: a sale's result took ~15 us through json.dumps, ~2 us here. Read back with json.loads.
    kwargs.setdefault("json_serializer", _json_text)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_setup(engine, wal if wal is not None else {"autocheckpoint": SQLITE_AUTOCHECKPOINT})
        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _json_text(value: Any) -> str:
    return to_json(value).decode()


def _sqlite_setup(engine: Engine, wal: dict[str, int]) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA wal_autocheckpoint={int(wal['autocheckpoint'])}")
        cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # On the driver itself: every transaction pays for this, and SQLAlchemy's own execution
        # path costs more than the BEGIN does.
        mode = conn.get_execution_options().get("sqlite_begin", "")
        conn.connection.dbapi_connection.execute(f"BEGIN {mode}".strip())


def is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in RETRY_SQLSTATES:
        return True
    return "database is locked" in str(orig)


def _retrying(once: Callable[[], T], attempts: int) -> T:
    """Runs the transaction `once` again (after a short random sleep) while the database asks
    for a retry: serialization failures and deadlocks on PostgreSQL, busy on SQLite."""
    for attempt in range(1, attempts + 1):
        try:
            return once()
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            log.info("transaction retried", extra={"attempt": attempt})
            time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable")


class Checkpointer(threading.Thread):
    """SQLite WAL checkpoints on a thread of their own, for the server process.

    By default the commit that takes the WAL past 1,000 pages runs the checkpoint itself: it
    copies those pages into the database file and fsyncs it, ~20 ms here. A hot-path commit
    runs on the event loop, so every request in flight would wait for it (1 commit in 100 of a
    busy till). Here the server's connections never checkpoint; this thread runs a PASSIVE
    checkpoint (it never blocks readers or writers) every `every` seconds, with the GIL
    released while SQLite copies and syncs. Other processes (CLI, imports) keep the default.
    """

    def __init__(self, engine: Engine, every: float = 0.1):
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self.engine, self.every = engine, every
        self.stopping = threading.Event()
        self.runs = 0

    def checkpoint(self) -> None:
        raw = self.engine.raw_connection()
        try:
            raw.dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
            self.runs += 1
        finally:
            raw.close()

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                self.checkpoint()
            except Exception:  # a failed checkpoint is retried on the next tick
                log.warning("WAL checkpoint failed", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
        self.checkpoint()


class Unit:
    """What a transaction's function is handed: the connection and its transaction, with an ORM
    session only if the function asks for one, and the hooks to run once it has committed.

    The hot path's statements are prebuilt (`kit/sql.py`): they only need the connection, and the
    ORM session's own bookkeeping (begin, `connection()` on every statement, commit, close) was
    about a sixth of a commit's CPU. `connection()` hands the connection over directly; anything
    else a service asks of a session (`get`, `scalar`, `add`, `flush`, `begin_nested`) goes to a
    real `Session`, made on first use and bound to the same connection, inside the same
    transaction. It is flushed before the commit. Services are typed against `Session`.
    """

    __slots__ = ("_orm", "committed_hooks", "conn")

    def __init__(self, conn: Connection):
        self.conn = conn
        self._orm: Session | None = None
        self.committed_hooks: list[Callable[[], object]] = []

    def connection(self, *args: Any, **kwargs: Any) -> Connection:
        if args or kwargs:
            return self.orm.connection(*args, **kwargs)
        return self.conn

    @property
    def orm(self) -> Session:
        if self._orm is None:
            self._orm = Session(bind=self.conn, expire_on_commit=False)
        return self._orm

    def __getattr__(self, name: str) -> Any:
        return getattr(self.orm, name)

    def release(self, flush: bool) -> None:
        """Flush what the ORM session holds (when committing) and let it go."""
        orm, self._orm = self._orm, None
        if orm is None:
            return
        try:
            if flush:
                orm.flush()
        finally:
            orm.close()

    def committed(self) -> None:
        """Runs the `after_commit` hooks, each once, in the order they were registered. The
        transaction has committed: a hook that fails is logged, and the caller still gets its
        result."""
        hooks, self.committed_hooks = self.committed_hooks, []
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.warning("after-commit hook failed", exc_info=True)


def after_commit(session: Session, hook: Callable[[], object]) -> None:
    """Run `hook` once the transaction `session` belongs to has committed; never if it rolls back
    (or is retried: a retry runs the function, and so registers its hooks, again). For effects
    outside the database that must not happen for a sale that did not: the outbox is the place
    for messages (DESIGN.md invariant 6)."""
    if isinstance(session, Unit):
        session.committed_hooks.append(hook)
        return

    # A plain ORM session (a test's or a script's own): the same promise through its events.
    def _done(_s: Session) -> None:
        event.remove(session, "after_rollback", _dropped)
        hook()

    def _dropped(_s: Session) -> None:
        event.remove(session, "after_commit", _done)

    event.listen(session, "after_commit", _done, once=True)
    event.listen(session, "after_rollback", _dropped, once=True)


class JobsStopped(Exception):
    """The server is stopping; a background job gives up before its next transaction."""


@dataclass(frozen=True)
class _Waiting:
    fn: Callable[[Session], Any]
    context: contextvars.Context
    future: asyncio.Future[Any]


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class Database:
    def __init__(self, url: str, **engine_kwargs: Any):
        self.url = url
        self._wal = {"autocheckpoint": SQLITE_AUTOCHECKPOINT}
        self.engine = make_engine(url, self._wal, **engine_kwargs)
        self.checkpointer: Checkpointer | None = None
        writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        # PostgreSQL reads run in autocommit: under READ COMMITTED each statement takes its own
        # snapshot anyway, so a read transaction would only add a BEGIN and a ROLLBACK round
        # trip. On SQLite a read transaction is one snapshot (WAL), and costs nothing to keep.
        reader = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        # Per event loop (tests run several loops): hot transactions in flight on PostgreSQL,
        # hot writes waiting for the next group on SQLite.
        self._slots: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            WeakKeyDictionary()
        )
        self._groups: WeakKeyDictionary[asyncio.AbstractEventLoop, dict[bool, list[_Waiting]]] = (
            WeakKeyDictionary()
        )
        self._last_group = {True: 0, False: 0}  # size of the last group of each kind
        self._serving_loop: asyncio.AbstractEventLoop | None = None  # set by `serving`
        self._jobs_stopping = threading.Event()  # `stop_jobs`: background jobs give up
        self._binds = {True: writer, False: reader}  # by `write`
        self._sessions = {
            write: sessionmaker(bind, expire_on_commit=False) for write, bind in self._binds.items()
        }

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, write: bool = True) -> Iterator[Session]:
        """A bare ORM session for looking at the database (tests, one-off scripts): it neither
        commits nor retries. Work runs through `run` or `arun`."""
        with self._sessions[write]() as session:
            yield session

    def run(
        self,
        fn: Callable[[Session], T],
        *,
        write: bool = True,
        job: bool = False,
        attempts: int = 5,
    ) -> T:
        """The one way to run a transaction from a thread (a `def` route or page, the CLI, a
        job): `fn(unit)`, committed on success (its `after_commit` hooks then run once), rolled
        back on any error, and run again while the database asks for a retry. A read
        (`write=False`) commits nothing and takes no write lock.

        `job`: a background job of the serving process. It gives up with JobsStopped once the
        server is stopping, and on SQLite its writes join the event loop's writer queue (the
        till's groups, `arun`): a thread that took the write lock itself would make the loop,
        the till's one writer, wait in SQLite's busy handler, and one that writes back to back
        can keep it waiting for a second or more (measured: a job over 8,900 accounts, p99 of
        sales 1 s). Requests do not: a login's password hash must not run on the loop."""
        if job:
            if self._jobs_stopping.is_set():
                raise JobsStopped("the server is stopping")
            loop = self._serving_loop
            if write and self.is_sqlite and loop is not None and loop.is_running():
                if _on_loop(loop):
                    raise RuntimeError("run(job=True) is for threads; on the event loop, arun")
                return asyncio.run_coroutine_threadsafe(self.arun(fn), loop).result()
        return _retrying(lambda: self._once(fn, write), attempts)

    async def arun(self, fn: Callable[[Session], T], *, write: bool = True) -> T:
        """`run` from the event loop, for short transactions (the till: lookup, quote, commit;
        see the module docstring): on SQLite in the loop's groups, on PostgreSQL on the thread
        pool, at most `POOL_SIZE` at once. The same commit, retries and hooks."""
        if self.is_sqlite:
            return cast(T, await self._grouped(fn, write))
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.engine.pool.size())  # type: ignore[attr-defined]
        async with slots:
            return await run_in_threadpool(self.run, fn, write=write)

    def _once(self, fn: Callable[[Session], T], write: bool) -> T:
        with self._binds[write].connect() as conn:
            transaction = conn.begin()
            unit = Unit(conn)
            try:
                result = fn(cast(Session, unit))
                unit.release(flush=write)
            except BaseException:
                unit.release(flush=False)
                raise
            if write:
                transaction.commit()
        # a read's transaction was rolled back as the connection closed: nothing to undo, so
        # its hooks run too
        unit.committed()
        return result

    def _grouped(self, fn: Callable[[Session], Any], write: bool) -> asyncio.Future[Any]:
        """SQLite: the hot transactions that reach the event loop together run as one group.

        Writes: each runs in a savepoint of one transaction, so a sale that fails undoes only its
        own writes, and the group shares the BEGIN, the commit and its WAL write: consecutive
        sales touch the same index pages (keys made in time order), which a group writes once.
        Reads (quote, lookup) share one snapshot, one connection and one BEGIN. A group stays
        open for `GROUP_TURNS` turns of the loop, in which requests already read reach it; on a
        quiet till that is a few microseconds."""
        loop = asyncio.get_running_loop()
        groups = self._groups.get(loop)
        if groups is None:
            groups = self._groups[loop] = {True: [], False: []}
        waiting = groups[write]
        if not waiting:
            # Held open only while requests come in together: a turn costs the loop a poll of
            # its sockets, a system call, so a lone till (groups of one) commits at once.
            turns = GROUP_TURNS if self._last_group[write] > 1 else 0
            loop.call_soon(self._run_group_later, loop, waiting, write, turns)
        future = loop.create_future()
        # The caller's context (idempotency claim, clock, log fields) goes with its function.
        waiting.append(_Waiting(fn, contextvars.copy_context(), future))
        return future

    def _run_group_later(
        self, loop: asyncio.AbstractEventLoop, waiting: list[_Waiting], write: bool, turns: int
    ) -> None:
        if turns:
            loop.call_soon(self._run_group_later, loop, waiting, write, turns - 1)
            return
        group = waiting[:]
        waiting.clear()
        self._last_group[write] = len(group)
        try:
            outcomes = _retrying(lambda: self._run_group(group, write), 5)
        except BaseException as exc:  # the group's transaction failed: nothing was written
            outcomes = [(False, exc)] * len(group)
        for item, (ok, value) in zip(group, outcomes, strict=True):
            if ok:
                unit, value = value
                item.context.run(unit.committed)
            if item.future.cancelled():
                continue  # the client went away; its sale stands, like any committed one
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)

    def _run_group(self, group: list[_Waiting], write: bool) -> list[tuple[bool, Any]]:
        # A lone write needs no savepoint: its failure rolls back the transaction, and the
        # database's request to retry (busy) reaches `_retrying`.
        savepoints = write and len(group) > 1
        outcomes: list[tuple[bool, Any]] = []
        with self._binds[write].connect() as conn:
            transaction = conn.begin()
            raw = conn.connection.dbapi_connection
            assert raw is not None
            for item in group:
                if savepoints:
                    raw.execute("SAVEPOINT hot_write")
                unit = Unit(conn)
                try:
                    value = item.context.run(item.fn, cast(Session, unit))
                    item.context.run(unit.release, write)
                except Exception as exc:
                    unit.release(flush=False)
                    if write and not savepoints:
                        raise
                    if savepoints:
                        raw.execute("ROLLBACK TO hot_write")
                    outcomes.append((False, exc))
                else:
                    outcomes.append((True, (unit, value)))
                if savepoints:
                    raw.execute("RELEASE hot_write")
            if write:
                transaction.commit()
        # a read's transaction is rolled back as the connection closes; the hooks of the
        # functions that succeeded run once the group has committed (`_run_group_later`)
        return outcomes

    def stop_jobs(self) -> None:
        """From now on `run(job=True)` raises JobsStopped: a job stops between two transactions."""
        self._jobs_stopping.set()

    @contextmanager
    def serving(self) -> Iterator[None]:
        """While the server runs: on SQLite, checkpoints move to a `Checkpointer` thread, and
        background jobs' writes go through the event loop (`run(job=True)`)."""
        self._jobs_stopping.clear()
        if not self.is_sqlite:
            yield
            return
        with suppress(RuntimeError):  # called from the server's lifespan, on its loop
            self._serving_loop = asyncio.get_running_loop()
        self._wal["autocheckpoint"] = 0
        self.engine.dispose()  # connections made from now on leave checkpoints to the thread
        self.checkpointer = Checkpointer(self.engine)
        self.checkpointer.start()
        try:
            yield
        finally:
            self._serving_loop = None
            self.checkpointer.stop()
            self.checkpointer = None
            self._wal["autocheckpoint"] = SQLITE_AUTOCHECKPOINT
            self.engine.dispose()

    def dispose(self) -> None:
        self.engine.dispose()
