from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from regulars.kit.pagination import page_request
from regulars.kit.schemas import Page
from regulars.merchants import service
from regulars.merchants.auth import Tx, tx
from regulars.merchants.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    AuditEventOut,
    MerchantOut,
    StaffCreate,
    StaffOut,
    StoreCreate,
    StoreOut,
)

router = APIRouter(tags=["merchant"])


@router.get("/merchant", response_model=MerchantOut)
def get_merchant(t: Tx = Depends(tx)) -> object:
    return t(service.get_merchant_row)


@router.get("/stores", response_model=list[StoreOut])
def list_stores(t: Tx = Depends(tx)) -> object:
    return t(service.list_stores)


@router.post("/stores", response_model=StoreOut, status_code=201)
def create_store(body: StoreCreate, t: Tx = Depends(tx)) -> object:
    return t(service.create_store, body)


@router.get("/stores/{store_id}", response_model=StoreOut)
def get_store(store_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.get_store, store_id)


@router.get("/staff", response_model=list[StaffOut])
def list_staff(t: Tx = Depends(tx)) -> object:
    return t(service.list_staff)


@router.post("/staff", response_model=StaffOut, status_code=201)
def create_staff(body: StaffCreate, t: Tx = Depends(tx)) -> object:
    return t(service.create_staff, body)


@router.get("/api-keys", response_model=Page[ApiKeyOut])
def list_api_keys(
    limit: int = Query(50, ge=1, le=200), cursor: str | None = None, t: Tx = Depends(tx)
) -> object:
    return t(service.list_api_keys, page_request(limit, cursor))


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201)
def create_api_key(body: ApiKeyCreate, t: Tx = Depends(tx)) -> object:
    key, secret = t(service.issue_api_key, body)
    return ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(key).model_dump(), "key": secret}
    )


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
def revoke_api_key(key_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.revoke_api_key, key_id)


@router.get("/audit-events", response_model=Page[AuditEventOut])
def list_audit_events(
    limit: int = Query(50, ge=1, le=200), cursor: str | None = None, t: Tx = Depends(tx)
) -> object:
    return t(service.list_audit, page_request(limit, cursor))
