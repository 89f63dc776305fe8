from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Response

from regulars.customers import merge, service
from regulars.customers.schemas import (
    CustomerCreate,
    CustomerExport,
    CustomerMerge,
    CustomerOut,
    CustomerUpdate,
    NoteCreate,
    NoteOut,
    TimelineEntry,
)
from regulars.kit.pagination import page_request
from regulars.kit.schemas import Page
from regulars.merchants.auth import Tx, tx
from regulars.referrals import service as referrals
from regulars.timeline import timeline as full_timeline

router = APIRouter(tags=["customers"])


@router.post("/customers", response_model=CustomerOut, status_code=201)
def create_customer(body: CustomerCreate, t: Tx = Depends(tx)) -> object:
    """`referral_code`: the friend is attributed to that member (docs/referrals.md)."""
    return t(referrals.create_customer, body)


@router.get("/customers", response_model=Page[CustomerOut])
def list_customers(
    q: str | None = Query(None, max_length=200, description="Name (any script), phone, code"),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, max_length=64),
    t: Tx = Depends(tx),
) -> object:
    return t(service.list_customers, page_request(limit, cursor), q)


@router.get("/customers/lookup", response_model=CustomerOut)
async def lookup_customer(
    phone: str | None = Query(None, max_length=40, examples=["09 7812 34567"]),
    code: str | None = Query(None, max_length=40, description="Member code or scanned QR"),
    t: Tx = Depends(tx),
) -> object:
    return await t.arun(service.lookup, phone=phone, code=code)


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def get_customer(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.get_customer, customer_id)


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(customer_id: uuid.UUID, body: CustomerUpdate, t: Tx = Depends(tx)) -> object:
    return t(service.update_customer, customer_id, body)


@router.delete("/customers/{customer_id}", status_code=204, response_class=Response)
def erase_customer(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> Response:
    t(service.erase_customer, customer_id)
    return Response(status_code=204)


@router.post("/customers/{customer_id}/merge", response_model=CustomerOut)
def merge_customers(customer_id: uuid.UUID, body: CustomerMerge, t: Tx = Depends(tx)) -> object:
    """Merge `other_id` into this customer, which survives (manager); answers the survivor."""
    return t(merge.merge_customers, customer_id, body)


@router.get("/customers/{customer_id}/export", response_model=CustomerExport)
def export_customer(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t.writing(service.export_customer, customer_id)


@router.get(
    "/customers/{customer_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "Member QR code"}},
)
def customer_qr(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> Response:
    return Response(t(service.qr_svg, customer_id), media_type="image/svg+xml")


@router.post("/customers/{customer_id}/notes", response_model=NoteOut, status_code=201)
def add_note(customer_id: uuid.UUID, body: NoteCreate, t: Tx = Depends(tx)) -> object:
    return t(service.add_note, customer_id, body)


@router.get("/customers/{customer_id}/notes", response_model=list[NoteOut])
def list_notes(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.list_notes, customer_id)


@router.get("/customers/{customer_id}/timeline", response_model=list[TimelineEntry])
def timeline(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(full_timeline, customer_id)
