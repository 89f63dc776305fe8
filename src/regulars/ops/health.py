"""`/readyz`: may this process take traffic? The database answers, its schema is the one this
version needs, and the background worker beats when one is expected.

Workers: a process that works the outbox (or any other queue) records a heartbeat, and
`/readyz` checks it is recent. The heartbeat's home is a `worker_heartbeats` table (a row per
worker, a last-beat time); until this version has one, or when a deployment runs no worker, the
worker is "not expected". A domain with its own notion registers it with `heartbeats(fn)`.
`REGULARS_WORKER` says whether one is expected: `auto` (the default: when a heartbeat was ever
recorded), `yes` or `no`; `REGULARS_WORKER_MAX_AGE` is how old the newest beat may be (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, String, func, inspect, select, text
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.kit import clock
from regulars.ops import schema
from regulars.settings import Settings

HEARTBEAT_TABLE = "worker_heartbeats"
# fn(read session) -> {worker name: its last beat}; the built-in one reads HEARTBEAT_TABLE
Heartbeats = Callable[[Session], dict[str, datetime]]
_SOURCES: list[Heartbeats] = []


def heartbeats(fn: Heartbeats) -> None:
    """Register where workers' heartbeats are read from (in place of the table's default)."""
    _SOURCES.append(fn)


def _from_table(session: Session) -> dict[str, datetime]:
    from regulars.models import metadata

    table = metadata.tables.get(HEARTBEAT_TABLE)
    if table is None or not inspect(session.connection()).has_table(HEARTBEAT_TABLE):
        return {}
    names = [c for c in table.columns if isinstance(c.type, String)]
    beats = [c for c in table.columns if isinstance(c.type, DateTime) and c.name != "created_at"]
    if not names or not beats:
        return {}
    rows = session.execute(select(names[0], func.max(beats[0])).group_by(names[0])).all()
    return {str(name): _utc(at) for name, at in rows if at is not None}


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _worker(session: Session, settings: Settings) -> dict[str, Any]:
    beats: dict[str, datetime] = {}
    for fn in _SOURCES or [_from_table]:
        beats |= fn(session)
    expected = settings.worker == "yes" or (settings.worker == "auto" and bool(beats))
    if not expected:
        return {"status": "not expected"}
    if not beats:
        return {"status": "failing", "detail": "no worker has ever beaten; is it running?"}
    name, last = max(beats.items(), key=lambda kv: kv[1])
    age = (clock.now() - last).total_seconds()
    out = {"worker": name, "last_beat": last.isoformat(), "age_seconds": round(age, 1)}
    if age > settings.worker_max_age:
        detail = f"the newest heartbeat is {age:.0f} s old (at most {settings.worker_max_age})"
        return {"status": "failing", "detail": detail, **out}
    return {"status": "ok", **out}


def ready(db: Database, settings: Settings) -> tuple[bool, dict[str, Any]]:
    """(ready?, the checks as JSON), one read transaction."""
    checks: dict[str, Any] = {}
    start = time.perf_counter()

    def read(session: Session) -> None:
        session.execute(text("SELECT 1"))
        checks["database"] = {
            "status": "ok",
            "engine": db.engine.dialect.name,
            "ms": round((time.perf_counter() - start) * 1000, 2),
        }
        standing = schema.standing(schema.current(session.connection()))
        if standing.current:
            checks["migrations"] = {"status": "ok", "revision": standing.revision}
        else:
            checks["migrations"] = {
                "status": "failing",
                "revision": standing.revision,
                "needed": standing.head,
                "detail": "run `regulars migrate`"
                if standing.known
                else "the database was migrated by a newer version of Regulars",
            }
        checks["worker"] = _worker(session, settings)

    try:
        db.run(read, write=False)
    except Exception as exc:  # the database is the thing that is down
        checks["database"] = {"status": "failing", "detail": type(exc).__name__}
    ok = "migrations" in checks and all(
        c["status"] in ("ok", "not expected") for c in checks.values()
    )
    return ok, {"status": "ready" if ok else "not ready", "checks": checks}
