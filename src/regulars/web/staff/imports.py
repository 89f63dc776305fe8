"""The CSV import page (a manager's): upload, a progress bar fed by a JSON endpoint, counts, the
rows that were rejected or imported with a warning (reasons in the reader's language) and the
report."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from regulars.customers.imports import jobs as import_jobs
from regulars.customers.imports.rows import date_order
from regulars.db import Database
from regulars.kit.errors import InvalidField, ProblemError
from regulars.web import i18n
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database, error_page
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)
MANAGERS_ONLY = N_("Importing customers is for a manager or the owner. Ask one of them.")
NOT_AN_EMAIL = N_("not a valid email address")
SHOWN_ROWS = 200  # on the page; the report has every row
# A report reason ("field: why") -> the words the page shows, in the reader's language.
REASONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), text)
    for p, text in [
        (
            r"is not a date in .* like (?P<example>[\d/]+) form",
            N_("not a date: write 1991-05-14 or %(example)s"),
        ),
        (r"is not a date in .* form", N_("not a date: write it as 1991-05-14")),
        (
            r"must be between 1900-01-01 and 2100-01-01",
            N_("a date between 1900 and 2100 is needed"),
        ),
        (r"each tag is 1 to (?P<n>\d+) characters", N_("each tag has at most %(n)s characters")),
        (r"at most (?P<n>\d+) tags", N_("at most %(n)s tags")),
        (r"must be yes or no.*", N_("write yes or no, or leave it empty")),
        (r"must be one of .*", N_("not one of the languages en, my, ur, lo, ms")),
        (r"is longer than (?P<n>\d+) characters", N_("longer than %(n)s characters")),
        (r"is not a (?:valid )?phone number.*", N_("not a valid phone number")),
        (r"needs a name, phone or email", N_("the row has no name, phone or email")),
        (r"more than (?P<n>\d+) bytes of JSON", N_("custom fields longer than %(n)s bytes")),
        (
            r"has (?P<n>\d+) fields but the header has (?P<m>\d+)",
            N_("%(n)s cells, but the header has %(m)s"),
        ),
        (
            r"already belongs to a customer",
            N_("already belongs to a customer (turn merging on to update them)"),
        ),
        (
            r"belongs to another customer than the phone",
            N_("belongs to another customer than the phone"),
        ),
        (r"duplicate \w+ in file \(row (?P<n>\d+)\)", N_("the same as in row %(n)s of this file")),
    ]
]


def _form(
    request: Request,
    staff: Staff,
    status: int = 200,
    error: str | None = None,
    detail: str | None = None,
) -> Response:
    order = date_order(staff.ctx.merchant.locale, staff.ctx.merchant.country)
    return page(
        request,
        "staff/import.html",
        staff.lang,
        status=status,
        staff=staff,
        section="import",
        error=error,
        detail=detail,
        date_example={"dmy": "14/05/1991", "mdy": "05/14/1991"}.get(order, "1991/05/14"),
    )


@router.get("/customers/import")
def import_form(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    if not staff.ctx.actor.at_least("manager"):
        return error_page(request, 403, MANAGERS_ONLY)
    return _form(request, staff)


@router.post("/customers/import", dependencies=[Depends(check_csrf)])
def upload(
    request: Request,
    file: UploadFile = File(...),
    merge: bool = Form(False),
    signup_bonus: bool = Form(False),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    if not staff.ctx.actor.at_least("manager"):
        return error_page(request, 403, MANAGERS_ONLY)
    name = (file.filename or "customers.csv").rsplit("/", 1)[-1][:255]
    try:
        data = import_jobs.read_upload(file.file)
        job_id = import_jobs.start_job(db, staff.ctx, name, data, merge, signup_bonus)
    except InvalidField as exc:
        error = N_("This file could not be read. Save it as CSV (UTF-8) and try again.")
        return _form(request, staff, 422, error, detail=exc.detail)
    except ProblemError as exc:
        if exc.status != 413:
            raise
        return _form(request, staff, 413, N_("The file is too large. Split it into smaller files."))
    return RedirectResponse(f"/customers/import/{job_id}", status_code=303)


def _status(job: Any) -> dict[str, Any]:
    total, done = int(job.total_rows or 0), int(job.processed_rows or 0)
    finished = job.status in ("done", "failed")
    percent = 100 if finished else (min(99, done * 100 // total) if total else 0)
    return {
        "status": job.status,
        "total_rows": total,
        "processed_rows": done,
        "percent": percent,
        "imported": int(job.imported or 0),
        "merged": int(job.merged or 0),
        "rejected": int(job.rejected or 0),
        "failed": job.status == "failed",
    }


@router.get("/customers/import/{job_id}")
def job_page(
    request: Request,
    job_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    job = import_jobs.get_job(db, staff.ctx, job_id)
    notes, more = _noted_rows(job.report or "", staff.lang)
    return page(
        request,
        "staff/import_job.html",
        staff.lang,
        staff=staff,
        section="import",
        job_id=job_id,
        filename=job.filename,
        job=_status(job),
        notes=notes,
        more_notes=more,
    )


def reason_text(reason: str, lang: str) -> str:
    """One report reason in the reader's words: "birthday: not a date: write ...", each part of
    a row's warnings translated; the column name stays as the file has it."""
    gettext = i18n.gettext_for(lang).gettext
    parts = []
    for part in reason.split("; "):
        field, _sep, why = part.partition(": ")
        why = why.removesuffix(" (left out)")
        for pattern, text in REASONS:
            match = pattern.fullmatch(why)
            if match:
                why = gettext(text) % match.groupdict()
                break
        else:
            if field == "email":  # the email checker's own words, in English
                why = gettext(NOT_AN_EMAIL)
        # The column name is the file's (Latin): isolated, so a right-to-left page keeps order.
        parts.append(f"\u2066{field}\u2069: {why}" if field else why)
    return "; ".join(parts)


def _noted_rows(report: str, lang: str) -> tuple[list[dict[str, Any]], int]:
    """The report's rows that carry a reason (rejected, or imported with a field left out), the
    first SHOWN_ROWS of them, and how many more the report holds."""
    noted: list[dict[str, Any]] = []
    more = 0
    for rec in csv.DictReader(io.StringIO(report)):
        if not rec.get("reason"):
            continue
        if len(noted) == SHOWN_ROWS:
            more += 1
            continue
        noted.append(
            {
                "row": rec["row"],
                "rejected": rec["outcome"] == "rejected",
                "reason": reason_text(rec["reason"], lang),
            }
        )
    return noted, more


@router.get("/customers/import/{job_id}/status")
def job_status(
    job_id: uuid.UUID, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    job = import_jobs.get_job(db, staff.ctx, job_id)
    return JSONResponse(_status(job), headers={"Cache-Control": "no-store"})


@router.get("/customers/import/{job_id}/report.csv")
def job_report(
    job_id: uuid.UUID, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    return Response(
        import_jobs.finished_report(db, staff.ctx, job_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-report.csv"'},
    )
