"""The daily jobs, run by the server itself, so a shop needs no cron for its points to expire
and its tiers to move.

Every merchant's day is its own (its time zone, DESIGN.md invariant 5): each job runs once per
merchant per local day, at the first tick after RUN_AT local time (02:00, when shops are shut),
or at start-up when that day's run is missing (a server that was off at 02:00 catches up; the
jobs work on whatever is due up to now, so a late run misses nothing). A `scheduled_runs` row per
(merchant, job, day) is the claim: however many server processes tick, one of them takes each
run; a run left unfinished by a process that died is taken again after RECLAIM_AFTER. The jobs
are safe to run twice anyway, and work one customer per transaction (loyalty/tasks.py).

`regulars serve` ticks every minute on a thread of its own (`REGULARS_DAILY_JOBS=off` turns it
off, for a deployment that runs `regulars daily` from its own scheduler instead).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from regulars.checkout import tasks as checkout_tasks
from regulars.db import Database, JobsStopped
from regulars.kit import clock, idempotency
from regulars.kit.context import SYSTEM, Ctx
from regulars.kit.ids import new_id
from regulars.kit.sql import insert_or_skip
from regulars.loyalty import tasks as loyalty_tasks
from regulars.merchants import service as merchants
from regulars.merchants.models import ScheduledRun

log = logging.getLogger(__name__)

RUN_AT = time(2, 0)  # local time of the merchant
RECLAIM_AFTER = timedelta(hours=1)
TICK_SECONDS = 60.0


def _purge_idempotency_keys(db: Database, ctx: Ctx) -> dict[str, int]:
    return {"keys_purged": db.run_job(partial(idempotency.purge, merchant_id=ctx.merchant_id))}


JOBS: dict[str, Callable[[Database, Ctx], dict[str, int]]] = {
    "points.expire": loyalty_tasks.expire_points,
    "tiers.recompute": checkout_tasks.recompute_tiers,
    "idempotency.purge": _purge_idempotency_keys,
}

_INSERT_RUN = insert_or_skip(ScheduledRun.__table__, ScheduledRun.id)  # type: ignore[arg-type]
_R = ScheduledRun


def due_date(now: datetime, timezone: str) -> date:
    """The local day whose run is due at `now`: today from RUN_AT on, yesterday before it."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if local.time() >= RUN_AT else local.date() - timedelta(days=1)


def _claim(session: Session, ctx: Ctx, job: str, day: date) -> uuid.UUID | None:
    """This process's run of `job` for `day`, or None when another has it (or it is done)."""
    now, run_id = clock.now(), new_id()
    values = {"merchant_id": ctx.merchant_id, "id": run_id, "job": job, "run_date": day,
              "started_at": now, "finished_at": None, "result": {}}  # fmt: skip
    if _INSERT_RUN.first(session, **values) is not None:
        return run_id
    of_day = (_R.merchant_id == ctx.merchant_id, _R.job == job, _R.run_date == day)
    taken = session.execute(
        update(_R)
        .where(*of_day, _R.finished_at.is_(None), _R.started_at < now - RECLAIM_AFTER)
        .values(started_at=now)
        .returning(_R.id)
    ).scalar()
    return None if taken is None else uuid.UUID(str(taken))


def _finish(session: Session, ctx: Ctx, run_id: uuid.UUID, result: dict[str, int]) -> None:
    session.execute(
        update(_R)
        .where(_R.merchant_id == ctx.merchant_id, _R.id == run_id)
        .values(finished_at=clock.now(), result=result)
    )


def run_due(db: Database) -> list[dict[str, Any]]:
    """Runs every daily job that is due and not taken, merchant by merchant; returns what ran."""
    ran: list[dict[str, Any]] = []
    for merchant in db.run(merchants.list_merchants, write=False):
        ctx = Ctx(merchant, SYSTEM)
        day = due_date(clock.now(), merchant.timezone)
        for name, job in JOBS.items():
            run_id = db.run_job(partial(_claim, ctx=ctx, job=name, day=day))
            if run_id is None:
                continue
            try:
                result = job(db, ctx)
            except JobsStopped:
                raise
            except Exception:  # left unfinished: taken again after RECLAIM_AFTER
                log.warning("daily job failed", extra={"job": name, "merchant": merchant.slug},
                            exc_info=True)  # fmt: skip
                continue
            db.run_job(partial(_finish, ctx=ctx, run_id=run_id, result=result))
            done = {"merchant": merchant.slug, "job": name, "run_date": day.isoformat(), **result}
            log.info("daily job done", extra=done)
            ran.append(done)
    return ran


class DailyJobs(threading.Thread):
    """`run_due` at start-up and then every `every` seconds, while the server runs."""

    def __init__(self, db: Database, every: float = TICK_SECONDS):
        super().__init__(name="daily-jobs", daemon=True)
        self.db, self.every = db, every
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                run_due(self.db)
            except JobsStopped:
                return
            except Exception:  # the next tick tries again; an unfinished run is reclaimed
                log.warning("daily jobs failed", exc_info=True)
            self.stopping.wait(self.every)

    async def close(self) -> None:
        """From the server's shutdown, on its loop: the job in hand stops before its next
        transaction (which may be waiting for this loop, so the loop is not blocked)."""
        self.stopping.set()
        self.db.stop_jobs()
        await asyncio.to_thread(self.join, 30)
