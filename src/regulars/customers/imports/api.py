"""CSV import (as background jobs with a row-by-row report) and CSV export of customers."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import Field

from regulars.customers.imports import importer
from regulars.customers.imports import jobs as import_jobs
from regulars.kit.problems import MEDIA_TYPE, Problem
from regulars.kit.schemas import Schema
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["customers"])


class ImportJobOut(Schema):
    id: uuid.UUID
    filename: str
    status: str = Field(description="running, done or failed")
    merge: bool
    signup_bonus: bool
    total_rows: int
    processed_rows: int
    imported: int
    merged: int
    rejected: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None


@router.post(
    "/customer-imports",
    response_model=ImportJobOut,
    status_code=202,
    responses={413: {"model": Problem, "description": "Over 50 MB", "content": {MEDIA_TYPE: {}}}},
)
def start_import(
    file: UploadFile = File(..., description="CSV, UTF-8, header row; see docs/import.md"),
    merge: bool = Form(False, description="Merge rows whose phone or email already exists"),
    signup_bonus: bool = Form(
        False, description="Give each new (imported) customer the program's sign-up points"
    ),
    t: Tx = Depends(tx),
) -> object:
    importer.authorize(t.ctx)
    data = import_jobs.read_upload(file.file)
    name = file.filename or "upload.csv"
    job_id = import_jobs.start_job(t.db, t.ctx, name, data, merge, signup_bonus)
    return import_jobs.get_job(t.db, t.ctx, job_id)


@router.get("/customer-imports/{job_id}", response_model=ImportJobOut)
def get_import(job_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return import_jobs.get_job(t.db, t.ctx, job_id)


@router.get(
    "/customer-imports/{job_id}/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "row,outcome,customer_id,reason"}},
)
def import_report(job_id: uuid.UUID, t: Tx = Depends(tx)) -> Response:
    report = import_jobs.finished_report(t.db, t.ctx, job_id)
    return Response(
        report,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job_id}-report.csv"'},
    )


@router.get(
    "/customers.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Every customer, importable"}},
)
def export_customers(t: Tx = Depends(tx)) -> StreamingResponse:
    chunks = importer.iter_export(t.db, t.ctx)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )
