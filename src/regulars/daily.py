"""The daily jobs, run by the server itself, so a shop needs no cron for its points to expire
and its tiers to move.

Every merchant's day is its own (its time zone, DESIGN.md invariant 5): each job runs once per
merchant per local day, at the first tick after RUN_AT local time (02:00, when shops are shut),
or at start-up when that day's run is missing (a server that was off at 02:00 catches up; the
jobs work on whatever is due up to now, so a late run misses nothing). A `scheduled_runs` row per
(merchant, job, day) is the claim: however many server processes tick, one of them takes each
run; a run left unfinished by a process that died is taken again after RECLAIM_AFTER. The jobs
are safe to run twice anyway, and work one customer per transaction (`Job`): a domain adds its
daily job as a `Job` in JOBS, with a `due` read and a per-customer function in its own package.

`regulars serve` ticks every minute on a thread of its own (`REGULARS_DAILY_JOBS=off` turns it
off, for a deployment that runs `regulars daily` from its own scheduler instead).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from regulars.aftercare import jobs as aftercare
from regulars.analytics import service as analytics
from regulars.automations import daily as automations
from regulars.checkout import service as checkout
from regulars.db import Database, JobsStopped
from regulars.feedback import awards as feedback_awards
from regulars.feedback import jobs as feedback
from regulars.feedback import tickets as feedback_tickets
from regulars.kit import clock, idempotency
from regulars.kit.context import SYSTEM, Ctx
from regulars.kit.ids import new_id
from regulars.kit.sql import insert_or_skip
from regulars.loyalty import ledger, tiers
from regulars.merchants import service as merchants
from regulars.merchants.models import ScheduledRun
from regulars.ops.metrics import DAILY_FAILURES, DAILY_RUNS
from regulars.plans import jobs as plans

log = logging.getLogger(__name__)

RUN_AT = time(2, 0)  # local time of the merchant
RECLAIM_AFTER = timedelta(hours=1)
TICK_SECONDS = 60.0


T = TypeVar("T")
# Runs one transaction: `partial(db.run, job=True)` in production, or the caller's own session.
Runner = Callable[[Callable[[Session], T]], T]


@dataclass(frozen=True)
class Job:
    """A daily job: who is due (one read), and what it does for each of them in a transaction of
    its own (`one` returns how much it did: points expired, tiers changed, keys purged). A run
    over a whole shop so holds SQLite's write lock (or a PostgreSQL account lock) for one
    customer at a time, and the till keeps selling while it runs. `one` is safe to run twice."""

    due: Callable[[Session, Ctx], Sequence[Any]]
    one: Callable[[Session, Ctx, Any], int]
    counts: str  # the name of what `one` counts, in the job's result
    each: str = "customers"  # the name of who it is due for

    def _one(self, session: Session, ctx: Ctx, item: Any) -> int:
        return self.one(session, ctx, item)

    def run(self, ctx: Ctx, runner: Runner[Any]) -> dict[str, int]:
        """The one loop: `one` for each of `due`, one transaction each."""
        total = touched = 0
        for item in runner(lambda s: self.due(s, ctx)):
            done = int(runner(partial(self._one, ctx=ctx, item=item)))
            total += done
            touched += done > 0
        return {self.each: touched, self.counts: total}


def _merchant(_session: Session, ctx: Ctx) -> list[uuid.UUID]:
    return [ctx.merchant_id]


def _purge_keys(session: Session, ctx: Ctx, merchant_id: uuid.UUID) -> int:
    return idempotency.purge(session, merchant_id)


def _expire_points(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    return ledger.expire_customer(session, ctx, customer_id)


def _points_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    return ledger.customers_with_due_points(session, ctx, clock.now())


def _recompute_tier(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    return tiers.recompute_one(session, ctx, customer_id, spend=checkout.qualifying_spend)


JOBS: dict[str, Job] = {
    "points.expire": Job(_points_due, _expire_points, "points"),
    "tiers.recompute": Job(tiers.accounts, _recompute_tier, "tier_changes"),
    "idempotency.purge": Job(_merchant, _purge_keys, "keys_purged", "merchants"),
    "surveys.send": Job(feedback.visits_due, feedback.survey_one, "surveys"),
    "tickets.sla": Job(feedback_tickets.overdue, feedback.ticket_one, "alerts", "tickets"),
    "engagement.profile": Job(feedback_awards.profiles_due, feedback.profile_one, "awards"),
    "aftercare.remind": Job(aftercare.reminders_due, aftercare.remind_one, "reminders", "services"),
    "aftercare.perks": Job(aftercare.perks_due, aftercare.perks_one, "inspections"),
    "automations.birthday": Job(automations.birthdays_due, automations.birthday_one, "messages"),
    "automations.anniversary": Job(
        automations.anniversaries_due, automations.anniversary_one, "messages"
    ),
    "automations.winback": Job(automations.winback_due, automations.winback_one, "messages"),
    "automations.points_expiring": Job(
        automations.expiring_due, automations.expiring_one, "messages"
    ),
    "plans.overdue": Job(plans.due, plans.one, "installments_overdue", "plans"),
    "analytics.refresh": Job(_merchant, analytics.refresh_job, "customers_scored", "merchants"),
}


def run_job(db: Database, ctx: Ctx, name: str) -> dict[str, int]:
    """One daily job for one merchant, as the server runs it (also `regulars expire`, `regulars
    recompute-tiers`): reads on their own, each write a background job's transaction."""

    def runner(fn: Callable[[Session], Any]) -> Any:
        return db.run(fn, job=True)

    return JOBS[name].run(ctx, runner)


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
        for name in JOBS:
            run_id = db.run(partial(_claim, ctx=ctx, job=name, day=day), job=True)
            if run_id is None:
                continue
            try:
                result = run_job(db, ctx, name)
            except JobsStopped:
                raise
            except Exception:  # left unfinished: taken again after RECLAIM_AFTER
                DAILY_FAILURES.labels(name).inc()
                log.warning("daily job failed", extra={"job": name, "merchant": merchant.slug},
                            exc_info=True)  # fmt: skip
                continue
            db.run(partial(_finish, ctx=ctx, run_id=run_id, result=result), job=True)
            DAILY_RUNS.labels(name).inc()
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
