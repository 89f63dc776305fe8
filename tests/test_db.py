"""The unit of work's engine setup: SQLite checkpoints leave the hot path while the server runs."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from regulars.db import SQLITE_AUTOCHECKPOINT, Database, JobsStopped, Unit
from regulars.kit import clock
from regulars.kit.ids import new_id
from regulars.kit.sql import Prebuilt
from regulars.merchants.models import AuditEvent
from regulars.migrate import upgrade
from tests.factories import make_merchant

PAGE = 4096


def _autocheckpoint(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_while_serving_sqlite_checkpoints_run_on_their_own_thread(tmp_path: Path) -> None:
    path = tmp_path / "serve.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    try:
        assert _autocheckpoint(db) == SQLITE_AUTOCHECKPOINT
        with db.serving():
            assert db.checkpointer is not None and db.checkpointer.is_alive()
            assert _autocheckpoint(db) == 0  # no commit copies the WAL into the file itself
            before = path.stat().st_size
            with db.engine.begin() as conn:  # 2,500 pages: far past SQLite's own threshold
                conn.execute(text("CREATE TABLE ballast (b BLOB)"))
                for _ in range(50):
                    conn.execute(
                        text("INSERT INTO ballast VALUES (randomblob(:n))"), {"n": 50 * PAGE}
                    )
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and (
                path.stat().st_size < before + 2000 * PAGE or db.checkpointer.runs < 1
            ):
                time.sleep(0.05)
            # Only the checkpointer copies pages into the database file now.
            assert path.stat().st_size >= before + 2000 * PAGE
            assert db.checkpointer.runs >= 1
        assert db.checkpointer is None
        assert _autocheckpoint(db) == SQLITE_AUTOCHECKPOINT
    finally:
        db.dispose()


def test_serving_starts_a_checkpointer_only_on_sqlite(db: Database) -> None:
    with db.serving():
        assert (db.checkpointer is not None) == db.is_sqlite
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_reads_on_postgresql_run_in_autocommit_and_writes_in_a_transaction(db: Database) -> None:
    """READ COMMITTED gives each statement its own snapshot, so on PostgreSQL a read transaction
    would only add a BEGIN and a ROLLBACK; on SQLite a read transaction is one snapshot."""
    with db.session(write=False) as session:
        raw = session.connection().connection.dbapi_connection
        if db.is_sqlite:
            assert raw.in_transaction  # type: ignore[union-attr]
        else:
            assert raw.autocommit is True  # type: ignore[union-attr]
    with db.session(write=True) as session:
        raw = session.connection().connection.dbapi_connection
        if db.is_sqlite:
            assert raw.in_transaction  # type: ignore[union-attr]
        else:
            assert raw.autocommit is False  # type: ignore[union-attr]
        session.rollback()


def test_hot_transactions_on_postgresql_never_outgrow_the_pool(database_url: str) -> None:
    """A burst of 3x the pool waits for slots on the event loop: no overflow connection is
    opened (the pool would close it on return, one new backend per request)."""
    db = Database(database_url, pool_size=4)
    opened: list[int] = []
    event.listen(db.engine, "connect", lambda *_a: opened.append(1))
    in_flight = {"now": 0, "most": 0}

    def work(session: Session) -> int:
        in_flight["now"] += 1
        in_flight["most"] = max(in_flight["most"], in_flight["now"])
        try:
            wait = "SELECT 1" if db.is_sqlite else "SELECT pg_sleep(0.02)"
            session.execute(text(wait))
            return 1
        finally:
            in_flight["now"] -= 1

    async def burst() -> list[int]:
        return await asyncio.gather(*(db.arun(work, write=False) for _ in range(12)))

    try:
        assert asyncio.run(burst()) == [1] * 12
        if db.is_sqlite:  # on the loop, one group: one at a time
            assert in_flight["most"] == 1
        else:
            assert 1 < in_flight["most"] <= 4
            assert len(opened) <= 4
    finally:
        db.dispose()


def _audit(merchant_id: Any, action: str) -> AuditEvent:
    return AuditEvent(
        merchant_id=merchant_id, actor_type="system", action=action, entity_type="test"
    )


def _actions(db: Database, merchant_id: Any) -> list[str]:
    with db.session(write=False) as session:
        q = select(AuditEvent.action).where(
            AuditEvent.merchant_id == merchant_id, AuditEvent.entity_type == "test"
        )
        return sorted(session.scalars(q))


def test_a_hot_transaction_commits_prebuilt_and_orm_writes_together(db: Database) -> None:
    shop = make_merchant(db)
    mid = shop.ctx.merchant_id
    insert_audit = Prebuilt(insert(AuditEvent))
    sessions: list[Any] = []

    def prebuilt_only(session: Session) -> None:
        sessions.append(session)
        insert_audit.run(session, **_row(mid, "prebuilt"))

    def both(session: Session) -> None:
        insert_audit.run(session, **_row(mid, "both-prebuilt"))
        session.add(_audit(mid, "both-orm"))  # an ORM write, flushed before the commit

    db.run(prebuilt_only)
    assert isinstance(sessions[0], Unit) and sessions[0]._orm is None  # no ORM session made
    db.run(both)
    assert _actions(db, mid) == ["both-orm", "both-prebuilt", "prebuilt"]


def test_a_failed_hot_transaction_keeps_neither_kind_of_write(db: Database) -> None:
    shop = make_merchant(db)
    mid = shop.ctx.merchant_id
    insert_audit = Prebuilt(insert(AuditEvent))

    def fails(session: Session) -> None:
        insert_audit.run(session, **_row(mid, "prebuilt"))
        session.add(_audit(mid, "orm"))
        session.flush()
        raise RuntimeError("the sale failed")

    with pytest.raises(RuntimeError):
        db.run(fails)
    assert _actions(db, mid) == []


def _row(merchant_id: Any, action: str) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "id": new_id(),
        "at": clock.now(),
        "actor_type": "system",
        "actor_id": None,
        "action": action,
        "entity_type": "test",
        "entity_id": None,
        "changes": {},
    }


def test_a_transaction_the_database_asks_to_retry_runs_again(db: Database) -> None:
    calls: list[int] = []

    def busy_twice(session: Session) -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
        return "done"

    def broken(session: Session) -> str:
        calls.append(1)
        raise OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))

    assert db.run(busy_twice) == "done"
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(OperationalError):
        db.run(broken)
    assert len(calls) == 1  # not a retry case: raised at once


def test_hot_writes_that_arrive_together_commit_together_and_each_fails_alone(
    db: Database,
) -> None:
    shop = make_merchant(db)
    mid = shop.ctx.merchant_id
    insert_audit = Prebuilt(insert(AuditEvent))
    caller: contextvars.ContextVar[int] = contextvars.ContextVar("caller")
    begins: list[int] = []

    def began(_conn: Any) -> None:
        begins.append(1)

    event.listen(db.engine, "begin", began)

    def work(session: Session) -> int:
        n = caller.get()  # each function runs in its own caller's context
        insert_audit.run(session, **_row(mid, f"sale-{n}"))
        if n == 3:
            session.add(_audit(mid, "orm-3"))  # an ORM write in one member of the group
        if n == 4:
            raise RuntimeError("sale 4 failed")
        return n

    async def one(n: int) -> int:
        caller.set(n)
        return await db.arun(work)

    async def burst() -> list[Any]:
        return await asyncio.gather(*(one(n) for n in range(8)), return_exceptions=True)

    try:
        results = asyncio.run(burst())
    finally:
        event.remove(db.engine, "begin", began)
    assert [r if isinstance(r, int) else str(r) for r in results] == [
        0, 1, 2, 3, "sale 4 failed", 5, 6, 7
    ]  # fmt: skip
    assert _actions(db, mid) == sorted(["orm-3", *(f"sale-{n}" for n in range(8) if n != 4)])
    if db.is_sqlite:
        assert len(begins) == 1  # one transaction for the eight


def test_hot_reads_that_arrive_together_share_a_snapshot_and_fail_alone(db: Database) -> None:
    shop = make_merchant(db)
    mid = shop.ctx.merchant_id
    db.run(lambda s: Prebuilt(insert(AuditEvent)).run(s, **_row(mid, "seen")))
    count = Prebuilt(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.merchant_id == mid)
    )
    rows = int(db.run(lambda s: count.scalar(s), write=False))
    begins: list[int] = []

    def began(_conn: Any) -> None:
        begins.append(1)

    def read(n: int) -> Callable[[Session], int]:
        def work(session: Session) -> int:
            if n == 2:
                raise LookupError("read 2 failed")
            return int(count.scalar(session)) * 10 + n

        return work

    async def burst() -> list[Any]:
        reads = (db.arun(read(n), write=False) for n in range(5))
        return await asyncio.gather(*reads, return_exceptions=True)

    event.listen(db.engine, "begin", began)
    try:
        results = asyncio.run(burst())
    finally:
        event.remove(db.engine, "begin", began)
    expected = [rows * 10 + n if n != 2 else "read 2 failed" for n in range(5)]
    assert rows > 0 and [r if isinstance(r, int) else str(r) for r in results] == expected
    if db.is_sqlite:
        assert len(begins) == 1  # one snapshot for the five


def test_a_background_write_while_serving_joins_the_loops_writer_queue(db: Database) -> None:
    """SQLite: a thread's write runs on the event loop, in the till's groups, so the loop never
    waits on a write lock held by a thread; elsewhere it runs on the thread itself."""
    shop = make_merchant(db)
    mid = shop.ctx.merchant_id
    ran_on: list[int] = []

    def job_write(session: Session) -> str:
        ran_on.append(threading.get_ident())
        session.add(_audit(mid, "job"))
        return "written"

    async def serve() -> tuple[int, int, str]:
        loop_thread = threading.get_ident()
        with db.serving():
            worker: list[int] = []

            def from_thread() -> str:
                worker.append(threading.get_ident())
                return db.run(job_write, job=True)

            result = await asyncio.to_thread(from_thread)
        return loop_thread, worker[0], result

    loop_thread, worker_thread, result = asyncio.run(serve())

    assert result == "written"
    assert _actions(db, mid) == ["job"]
    assert ran_on == [loop_thread if db.is_sqlite else worker_thread]


def test_background_jobs_stop_before_their_next_transaction(db: Database) -> None:
    shop = make_merchant(db)
    mid = shop.ctx.merchant_id

    async def serve() -> None:
        with db.serving():
            await asyncio.to_thread(db.run, lambda s: s.add(_audit(mid, "before")), job=True)
            db.stop_jobs()
            with pytest.raises(JobsStopped):
                await asyncio.to_thread(db.run, lambda s: s.add(_audit(mid, "after")), job=True)

    asyncio.run(serve())
    assert _actions(db, mid) == ["before"]
