"""CSV import of customers (terminal and web) and CSV export.

The file is streamed twice: once to check it is UTF-8 CSV with a usable header and to count its
rows (for the progress bar), then in batches of BATCH_ROWS. Each batch is its own transaction, so
a crash loses at most the batch in flight; running the same file again with merge picks up where
it stopped. Every row ends as imported, merged or rejected; the report lists each one.
"""

from __future__ import annotations

import csv
import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TextIO

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.customers.csv_export import export_csv, iter_export
from regulars.customers.imports.batch import Outcome, apply_batch
from regulars.customers.imports.rows import DateOrder, Header, Rejected, Row, date_order, parse_row
from regulars.customers.imports.seen import SeenKeys
from regulars.customers.models import ImportJob
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField
from regulars.loyalty import signup as loyalty_signup
from regulars.merchants import service as merchants

__all__ = ["export_csv", "import_file_cli", "iter_export"]

log = logging.getLogger(__name__)
BATCH_ROWS = 1000
BATCH_ATTEMPTS = 5
REPORT_COLUMNS = ("row", "outcome", "customer_id", "reason")
Opener = Callable[[], AbstractContextManager[TextIO]]


@dataclass
class Counts:
    total_rows: int = 0
    processed_rows: int = 0
    imported: int = 0
    merged: int = 0
    rejected: int = 0

    def add(self, outcomes: list[Outcome]) -> None:
        self.processed_rows += len(outcomes)
        for o in outcomes:
            setattr(self, o.outcome, getattr(self, o.outcome) + 1)


def authorize(ctx: Ctx) -> None:
    merchants.require_role(ctx, "manager")


# --- reading -------------------------------------------------------------------------------


def _rows(fh: TextIO) -> Iterator[list[str]]:
    """Data rows after the header; blank lines are skipped and not numbered."""
    return (cells for cells in csv.reader(fh) if cells)


def _header(rows: Iterator[list[str]]) -> Header:
    first = next(rows, None)
    if first is None:
        raise InvalidField("file", "is empty")
    return Header.parse(first)


def _file_error(exc: Exception) -> InvalidField:
    if isinstance(exc, UnicodeDecodeError):
        return InvalidField("file", f"is not UTF-8 text (byte {exc.start})")
    return InvalidField("file", f"is not readable CSV ({exc})")


def scan(open_text: Opener) -> int:
    """Checks the header and counts the data rows; raises InvalidField('file', ...)."""
    try:
        with open_text() as fh:
            rows = _rows(fh)
            _header(rows)
            return sum(1 for _ in rows)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _file_error(exc) from None


def parse_batch(
    header: Header, first: int, cells: list[list[str]], country: str, order: DateOrder = "ymd"
) -> list[Row | Outcome]:
    """Rows `first`, `first + 1`, ...; a row that fails a check becomes its rejected Outcome."""
    out: list[Row | Outcome] = []
    for number, row in enumerate(cells, start=first):
        try:
            out.append(parse_row(header, number, row, country, order))
        except Rejected as exc:
            out.append(Outcome(number, "rejected", None, exc.reason))
    return out


def _raw_batches(open_text: Opener) -> Iterator[tuple[Header, int, list[list[str]]]]:
    with open_text() as fh:
        rows = _rows(fh)
        header = _header(rows)
        batch: list[list[str]] = []
        first = 1
        for cells in rows:
            batch.append(cells)
            if len(batch) == BATCH_ROWS:
                yield header, first, batch
                first, batch = first + len(batch), []
        if batch:
            yield header, first, batch


def _parsed(open_text: Opener, ctx: Ctx) -> Iterator[list[Row | Outcome]]:
    country = ctx.merchant.country
    order = date_order(ctx.merchant.locale, country)
    for header, first, cells in _raw_batches(open_text):
        yield parse_batch(header, first, cells, country, order)


# --- the run -------------------------------------------------------------------------------


def _save_batch(
    db: Database,
    ctx: Ctx,
    batch: list[Row | Outcome],
    merge: bool,
    seen: SeenKeys,
    job_id: uuid.UUID | None,
    counts: Counts,
    signup_bonus: bool = False,
) -> list[Outcome]:
    rows = [r for r in batch if isinstance(r, Row)]

    def work(session: Session) -> list[Outcome]:
        decided = {o.row: o for o in apply_batch(session, ctx, rows, merge, seen)}
        outcomes = [decided[r.number] if isinstance(r, Row) else r for r in batch]
        if signup_bonus:
            new = [o.customer_id for o in outcomes if o.outcome == "imported" and o.customer_id]
            loyalty_signup.award_signup_bonuses(session, ctx, new)
        if job_id is not None:
            after = Counts(**asdict(counts))
            after.add(outcomes)
            set_job(session, ctx, job_id, **asdict(after))
        return outcomes

    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            outcomes = db.run(work)
        except IntegrityError:
            # A member code drawn twice, or a phone/email added meanwhile: redo with fresh codes
            # and a fresh look at who exists.
            if attempt == BATCH_ATTEMPTS:
                raise
            log.info("import batch redone", extra={"attempt": attempt})
            continue
        seen.commit()
        counts.add(outcomes)
        return outcomes
    raise AssertionError("unreachable")


def run_file(
    db: Database,
    ctx: Ctx,
    open_text: Opener,
    merge: bool,
    report: IO[str],
    counts: Counts,
    job_id: uuid.UUID | None = None,
    on_batch: Callable[[Counts], None] | None = None,
    signup_bonus: bool = False,
) -> None:
    """With `signup_bonus`, each imported (new) customer gets the program's sign-up points in
    the batch's transaction (loyalty.signup); off by default, as moving a list in is not a
    sign-up."""
    writer = csv.writer(report)
    writer.writerow(REPORT_COLUMNS)
    seen = SeenKeys()
    try:
        for n, batch in enumerate(_parsed(open_text, ctx)):
            outcomes = _save_batch(db, ctx, batch, merge, seen, job_id, counts, signup_bonus)
            writer.writerows((o.row, o.outcome, o.customer_id or "", o.reason) for o in outcomes)
            if n == 0:
                _refresh_statistics(db, counts.total_rows)
            if on_batch is not None:
                on_batch(counts)
    finally:
        seen.close()


def _refresh_statistics(db: Database, incoming: int) -> None:
    """PostgreSQL plans the foreign-key check of every consent row once per connection; planned
    while `customers` looked empty it is a sequential scan, and an import into a new install
    slows to a crawl (8 rows/s at 55,000 customers, measured). ANALYZE after the first batch
    makes PostgreSQL re-plan with real figures; skipped when the statistics already know more
    rows than the import brings, and a no-op (with a warning) for a role that does not own the
    tables."""
    if db.is_sqlite:
        return
    query = text("SELECT reltuples FROM pg_class WHERE oid = 'customers'::regclass")
    known = db.run(lambda s: s.scalar(query), write=False)
    if known is None or known < incoming:
        db.run(lambda s: s.execute(text("ANALYZE customers, customer_consents")))


def failure_text(exc: Exception, counts: Counts) -> str:
    if isinstance(exc, InvalidField):
        return exc.detail
    if isinstance(exc, (UnicodeDecodeError, csv.Error)):
        return _file_error(exc).detail
    # Never the exception text: a database error can quote the row's phone or email.
    log.error("import failed", extra={"error": type(exc).__name__, "rows": counts.processed_rows})
    done = counts.processed_rows
    return f"stopped after row {done} ({type(exc).__name__}); the rows up to it are saved"


def audit_import(
    db: Database, ctx: Ctx, job_id: uuid.UUID | None, merge: bool, counts: Counts, status: str
) -> None:
    changes: dict[str, Any] = {**asdict(counts), "merge": merge, "status": status}
    db.run(
        lambda s: merchants.record_audit(
            s, ctx, "customers.imported", "import_job", job_id, changes
        )
    )


# --- terminal ------------------------------------------------------------------------------


def import_file_cli(
    db: Database,
    ctx: Ctx,
    path: Path,
    *,
    merge: bool = False,
    report_path: Path | None = None,
    signup_bonus: bool = False,
) -> dict[str, Any]:
    """`regulars import customers`: a progress bar on stderr, a JSON-able summary returned."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    authorize(ctx)

    def open_text() -> AbstractContextManager[TextIO]:
        return path.open(encoding="utf-8-sig", newline="")

    counts = Counts()
    started = time.perf_counter()
    try:
        counts.total_rows = scan(open_text)
    except InvalidField as exc:
        return {"status": "failed", "error": exc.detail, **asdict(counts)}
    report: IO[str] = (
        report_path.open("w", encoding="utf-8", newline="")
        if report_path is not None
        else tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115
    )
    status, error = "done", None
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    with report, progress:
        task = progress.add_task("importing rows", total=counts.total_rows)
        try:
            run_file(
                db, ctx, open_text, merge, report, counts,
                on_batch=lambda c: progress.update(task, completed=c.processed_rows),
                signup_bonus=signup_bonus,
            )  # fmt: skip
        except Exception as exc:
            status, error = "failed", failure_text(exc, counts)
        rejections = [] if report_path is not None else _first_rejections(report)
    audit_import(db, ctx, None, merge, counts, status)
    seconds = time.perf_counter() - started
    summary: dict[str, Any] = {"status": status, **asdict(counts), "merge": merge}
    summary["seconds"] = round(seconds, 3)
    summary["rows_per_second"] = round(counts.processed_rows / seconds) if seconds else None
    summary["report"] = str(report_path) if report_path is not None else None
    if report_path is None:
        summary["rejections"] = rejections
    if error:
        summary["error"] = error
    return summary


def _first_rejections(report: IO[str], limit: int = 100) -> list[dict[str, Any]]:
    report.seek(0)
    found = []
    for rec in csv.DictReader(report):
        if rec["outcome"] == "rejected":
            found.append({"row": int(rec["row"]), "reason": rec["reason"]})
            if len(found) == limit:
                break
    return found


def set_job(session: Session, ctx: Ctx, job_id: uuid.UUID, **values: Any) -> None:
    session.execute(
        update(ImportJob)
        .where(ImportJob.merchant_id == ctx.merchant_id, ImportJob.id == job_id)
        .values(**values, updated_at=clock.now())
    )
