"""CSV imports started from the web or the API: a background thread per job, its progress and
report in an `ImportJob` row, and the closing of a job whose server stopped under it."""

from __future__ import annotations

import io
import tempfile
import threading
import uuid
from contextlib import AbstractContextManager
from dataclasses import asdict
from datetime import timedelta
from typing import IO, TextIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regulars.customers.imports import importer
from regulars.customers.imports.importer import REPORT_COLUMNS, Counts, Opener, authorize
from regulars.customers.models import ImportJob
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound, ProblemError

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".ods", ".numbers")
STALE_AFTER = timedelta(minutes=10)  # a running job with no batch written for this long was cut off


class UploadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Upload too large"


_threads: dict[uuid.UUID, threading.Thread] = {}


def _job(session: Session, ctx: Ctx, job_id: uuid.UUID) -> ImportJob:
    job = session.scalar(
        select(ImportJob).where(ImportJob.merchant_id == ctx.merchant_id, ImportJob.id == job_id)
    )
    if job is None:
        raise NotFound("import not found")
    return job


def job_by_id(session: Session, ctx: Ctx, job_id: uuid.UUID) -> ImportJob:
    """The job of this merchant, or 404."""
    authorize(ctx)
    return _job(session, ctx, job_id)


def get_job(db: Database, ctx: Ctx, job_id: uuid.UUID) -> ImportJob:
    """The job as it stands; a job cut off by a stopped server is closed as failed first."""
    job = db.run(lambda s: job_by_id(s, ctx, job_id), write=False)
    if not _cut_off(job):
        return job
    if db.run(lambda s: _close_cut_off(s, ctx, job)):
        importer.audit_import(db, ctx, job.id, job.merge, _counts(job), "failed")
    return db.run(lambda s: _job(s, ctx, job_id), write=False)


def finished_report(db: Database, ctx: Ctx, job_id: uuid.UUID) -> str:
    job = get_job(db, ctx, job_id)
    if job.status == "running":
        raise Conflict("the import is still running; poll the job until it is done")
    return job.report or ",".join(REPORT_COLUMNS) + "\r\n"


def _cut_off(job: ImportJob) -> bool:
    """Running, not in this process, and no batch written for STALE_AFTER: its thread died with
    the server that ran it (a batch takes seconds; the job writes its counts after each)."""
    moved = job.updated_at or job.created_at
    return job.status == "running" and job.id not in _threads and moved < clock.now() - STALE_AFTER


def _close_cut_off(session: Session, ctx: Ctx, job: ImportJob) -> bool:
    """Marks the job failed unless it moved since it was read (another process closing it, or a
    late batch); True when this call closed it."""
    moved = (
        ImportJob.updated_at.is_(None)
        if job.updated_at is None
        else (ImportJob.updated_at == job.updated_at)
    )
    error = (
        f"stopped after row {job.processed_rows}: the server stopped during the import; the "
        "rows up to it are saved, import the file again with merge to finish"
    )
    closed = session.execute(
        update(ImportJob)
        .where(
            ImportJob.merchant_id == ctx.merchant_id,
            ImportJob.id == job.id,
            ImportJob.status == "running",
            moved,
        )
        .values(status="failed", error=error, finished_at=clock.now(), updated_at=clock.now())
    )
    return bool(closed.rowcount)  # type: ignore[attr-defined]


def _counts(job: ImportJob) -> Counts:
    return Counts(job.total_rows, job.processed_rows, job.imported, job.merged, job.rejected)


def read_upload(fh: IO[bytes], limit: int | None = None) -> bytes:
    limit = limit or MAX_UPLOAD_BYTES
    data = fh.read(limit + 1)
    if len(data) > limit:
        raise UploadTooLarge(f"file: larger than {limit // (1024 * 1024)} MB; split it")
    return data


def _bytes_opener(data: bytes) -> Opener:
    def open_text() -> AbstractContextManager[TextIO]:
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")

    return open_text


def start_job(
    db: Database, ctx: Ctx, filename: str, data: bytes, merge: bool, signup_bonus: bool = False
) -> uuid.UUID:
    """Checks the file now (422 naming `file`), then imports in a background thread."""
    authorize(ctx)
    if filename.lower().endswith(SPREADSHEET_SUFFIXES):
        raise InvalidField("file", "is a spreadsheet; save it as CSV (UTF-8) first")
    if not data.strip():
        raise InvalidField("file", "is empty")
    if b"\x00" in data:
        raise InvalidField("file", "is not a CSV text file")
    open_text = _bytes_opener(data)
    total = importer.scan(open_text)

    def create(session: Session) -> uuid.UUID:
        job = ImportJob(
            merchant_id=ctx.merchant_id,
            filename=filename[-255:] or "upload.csv",
            merge=merge,
            signup_bonus=signup_bonus,
            total_rows=total,
            status="running",
        )
        session.add(job)
        session.flush()
        return job.id

    job_id = db.run(create)
    thread = threading.Thread(
        target=_run_job,
        args=(db, ctx, job_id, open_text, merge, total, signup_bonus),
        daemon=True,
    )
    _threads[job_id] = thread
    thread.start()
    return job_id


def _run_job(
    db: Database,
    ctx: Ctx,
    job_id: uuid.UUID,
    open_text: Opener,
    merge: bool,
    total: int,
    signup_bonus: bool,
) -> None:
    counts = Counts(total_rows=total)
    status, error = "done", None
    with tempfile.SpooledTemporaryFile(1 << 20, "w+", encoding="utf-8", newline="") as report:
        try:
            importer.run_file(
                db, ctx, open_text, merge, report, counts, job_id, signup_bonus=signup_bonus
            )
        except Exception as exc:
            status, error = "failed", importer.failure_text(exc, counts)
        report.seek(0)
        text = report.read()
    try:
        db.run(
            lambda s: importer.set_job(
                s, ctx, job_id, status=status, error=error, report=text,
                finished_at=clock.now(), **asdict(counts),
            )
        )  # fmt: skip
        importer.audit_import(db, ctx, job_id, merge, counts, status)
    finally:
        _threads.pop(job_id, None)


def wait(job_id: uuid.UUID, timeout: float | None = None) -> None:
    """Blocks until a job started in this process has finished (tests, shutdown)."""
    thread = _threads.get(job_id)
    if thread is not None:
        thread.join(timeout)
