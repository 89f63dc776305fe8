"""The CSV import page: upload, a progress bar fed by a JSON endpoint, counts and the report."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse

from regulars.customers.imports import jobs as import_jobs
from regulars.db import Database
from regulars.kit.errors import InvalidField, ProblemError
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _form(
    request: Request,
    staff: Staff,
    status: int = 200,
    error: str | None = None,
    detail: str | None = None,
) -> Response:
    return page(
        request,
        "staff/import.html",
        staff.lang,
        status=status,
        staff=staff,
        section="import",
        error=error,
        detail=detail,
    )


@router.get("/customers/import")
def import_form(request: Request, staff: Staff = Depends(current_staff)) -> Response:
    return _form(request, staff)


@router.post("/customers/import", dependencies=[Depends(check_csrf)])
def upload(
    request: Request,
    file: UploadFile = File(...),
    merge: bool = Form(False),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    name = (file.filename or "customers.csv").rsplit("/", 1)[-1][:255]
    try:
        data = import_jobs.read_upload(file.file)
        job_id = import_jobs.start_job(db, staff.ctx, name, data, merge)
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
    return page(
        request,
        "staff/import_job.html",
        staff.lang,
        staff=staff,
        section="import",
        job_id=job_id,
        filename=job.filename,
        job=_status(job),
    )


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
