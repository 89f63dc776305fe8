"""Making many codes: in batches, each its own transaction, the progress in a `CodeJob` row.
Beyond `SYNC_LIMIT` codes the API hands the work to a background thread (as customer imports
do) and answers at once; the CLI runs the same batches with a progress bar."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound
from regulars.merchants import service as merchants
from regulars.offers import service
from regulars.offers.codes import printed
from regulars.offers.models import CodeJob

SYNC_LIMIT = 2_000  # a request makes up to this many codes itself
BATCH = 10_000
CSV_COLUMNS = ("code", "customer_id", "expires_at", "used_at")

_threads: dict[uuid.UUID, threading.Thread] = {}
# Jobs run on threads of the process that started them: one left "running" from before this
# process started belongs to a server that stopped (`interrupted`).
PROCESS_STARTED = datetime.now(UTC)
INTERRUPTED = (
    "the server stopped while this job ran: {done} of {count} codes were made and kept; "
    "start a job for the other {rest}"
)


def generate(
    db: Database,
    ctx: Ctx,
    campaign_id: uuid.UUID,
    count: int,
    progress: Callable[[int], None] = lambda _n: None,
    job: bool = False,
) -> int:
    """`count` codes in batches of BATCH; `progress(n)` after each batch with the codes made."""
    made = 0
    while made < count:
        made += db.run(
            partial(
                service.add_codes, ctx=ctx, campaign_id=campaign_id, count=min(BATCH, count - made)
            ),
            job=job,
        )
        progress(made)
    return made


def _job(session: Session, ctx: Ctx, campaign_id: uuid.UUID, job_id: uuid.UUID) -> CodeJob:
    found = session.scalar(
        select(CodeJob).where(
            CodeJob.merchant_id == ctx.merchant_id,
            CodeJob.campaign_id == campaign_id,
            CodeJob.id == job_id,
        )
    )
    if found is None:
        raise NotFound("code job not found")
    return found


def get_job(session: Session, ctx: Ctx, campaign_id: uuid.UUID, job_id: uuid.UUID) -> CodeJob:
    return _job(session, ctx, campaign_id, job_id)


def start(db: Database, ctx: Ctx, campaign_id: uuid.UUID, count: int) -> CodeJob:
    """A job for `count` codes: done before this returns when small, else running in a thread."""

    def create(s: Session) -> CodeJob:
        service.get_campaign(s, ctx, campaign_id)
        job = CodeJob(merchant_id=ctx.merchant_id, campaign_id=campaign_id, count=count)
        if count <= SYNC_LIMIT:
            job.done = service.add_codes(s, ctx, campaign_id, count)
            job.status, job.finished_at = "done", clock.now()
        else:
            merchants.require_role(ctx, "manager")
        s.add(job)
        s.flush()
        return job

    job = db.run(create)
    if job.status == "running":
        thread = threading.Thread(target=_run, args=(db, ctx, job), daemon=True)
        _threads[job.id] = thread
        thread.start()
    return job


def _set(db: Database, ctx: Ctx, job_id: uuid.UUID, **values: object) -> None:
    db.run(
        lambda s: s.execute(
            update(CodeJob)
            .where(CodeJob.merchant_id == ctx.merchant_id, CodeJob.id == job_id)
            .values(**values)
        ),
        job=True,
    )


def _run(db: Database, ctx: Ctx, job: CodeJob) -> None:
    try:
        generate(
            db, ctx, job.campaign_id, job.count, lambda n: _set(db, ctx, job.id, done=n), job=True
        )
        _set(db, ctx, job.id, status="done", finished_at=clock.now())
    except Exception as exc:  # the codes made so far stay; the job says where it stopped
        _set(db, ctx, job.id, status="failed", error=str(exc)[:500], finished_at=clock.now())
    finally:
        _threads.pop(job.id, None)


def interrupted(db: Database, before: datetime = PROCESS_STARTED) -> int:
    """At start-up: jobs still "running" that were started before `before` are failed, with
    an error saying how many codes were made and how many to start a new job for (the codes
    made stay: each batch committed). Returns how many. Should one still be running in another
    worker process after all, its own end sets it "done" again."""

    def mark(session: Session) -> int:
        stale = session.scalars(
            select(CodeJob).where(CodeJob.status == "running", CodeJob.created_at < before)
        ).all()
        for job in stale:
            rest = job.count - job.done
            job.status, job.finished_at = "failed", clock.now()
            job.error = INTERRUPTED.format(done=job.done, count=job.count, rest=rest)[:500]
        return len(stale)

    return db.run(mark)


def wait(job_id: uuid.UUID, timeout: float | None = None) -> None:
    """Blocks until a job started in this process has finished (tests, shutdown)."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)


def _page(
    session: Session, ctx: Ctx, campaign_id: uuid.UUID, after: uuid.UUID | None, size: int
) -> list[tuple[Any, ...]]:
    return [
        (c.id, printed(c.code), c.customer_id, c.expires_at, c.used_at)
        for c in service.code_page(session, ctx, campaign_id, after, size)
    ]


def csv_chunks(db: Database, ctx: Ctx, campaign_id: uuid.UUID, page: int = 5_000) -> Iterator[str]:
    """codes.csv: a header, then every code of the campaign in creation order, a page per
    read transaction (a million codes stream without being held in memory). The caller checks
    the campaign first (`service.export_codes`), so that a wrong id is a 404, not a cut stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    after: uuid.UUID | None = None
    while True:
        rows = db.run(
            partial(_page, ctx=ctx, campaign_id=campaign_id, after=after, size=page), write=False
        )
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        for _id, code, customer_id, expires_at, used_at in rows:
            writer.writerow(
                (
                    code,
                    customer_id or "",
                    expires_at.isoformat() if expires_at else "",
                    used_at.isoformat() if used_at else "",
                )
            )
        yield buffer.getvalue()
        after = rows[-1][0]
