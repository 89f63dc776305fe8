from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic_core import to_json

from regulars.checkout import history, refunds, service
from regulars.checkout.schemas import (
    CheckoutIn,
    CheckoutOut,
    InsightsOut,
    PurchaseOut,
    RefundIn,
    RefundOut,
)
from regulars.kit import lane
from regulars.kit.pagination import page_request
from regulars.kit.schemas import Page
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["checkout"])
REPLAYED = {
    "description": "A replay: this receipt/refund was committed before with the same body",
    "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}},
}


def _answer(model: type[Any], result: Mapping[str, Any], replayed: bool) -> Response:
    """Validated against the response model, serialized once (pydantic, in Rust)."""
    body = model.model_validate(result).model_dump_json()
    if replayed:
        return Response(body, 200, {"Idempotent-Replayed": "true"}, "application/json")
    return Response(body, 201, media_type="application/json")


# A quote or a new sale is sent as the service built it, already in CheckoutOut's shape (the
# tests hold it to the model); validating our own dict again cost ~25 us a request. A replay's
# stored result may be older than the model, so it goes through the model.


async def _quote(t: Tx, body: CheckoutIn) -> Response:
    result = await t.reading.arun(service.quote, body)
    return Response(to_json(result), media_type="application/json")


async def _commit(t: Tx, body: CheckoutIn) -> Response:
    result, replayed = await t.arun(service.commit, body)
    if replayed:
        return _answer(CheckoutOut, result, replayed)
    return Response(to_json(result), 201, media_type="application/json")


# The same two routes for the till's fast lane (kit/lane.py), by method and path under the API.
LANE = {
    ("POST", "/checkout/quote"): lane.Route(CheckoutIn, _quote),
    ("POST", "/checkout"): lane.Route(CheckoutIn, _commit),
}


@router.post("/checkout/quote", response_model=CheckoutOut)
async def quote(body: CheckoutIn, t: Tx = Depends(tx)) -> Response:
    return await _quote(t, body)


@router.post(
    "/checkout",
    response_model=CheckoutOut,
    status_code=201,
    responses={200: {"model": CheckoutOut, **REPLAYED}},
)
async def commit(body: CheckoutIn, t: Tx = Depends(tx)) -> Response:
    return await _commit(t, body)


@router.post(
    "/purchases/{purchase_id}/refunds",
    response_model=RefundOut,
    status_code=201,
    responses={200: {"model": RefundOut, **REPLAYED}},
)
def refund(purchase_id: uuid.UUID, body: RefundIn, t: Tx = Depends(tx)) -> Response:
    result, replayed = t(refunds.refund, purchase_id, body)
    return _answer(RefundOut, result, replayed)


@router.get("/purchases/{purchase_id}", response_model=CheckoutOut)
def get_purchase(purchase_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.purchase_result, purchase_id)


@router.get("/customers/{customer_id}/purchases", response_model=Page[PurchaseOut])
def customer_purchases(
    customer_id: uuid.UUID,
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, max_length=64),
    t: Tx = Depends(tx),
) -> object:
    return t(history.purchases, customer_id, page_request(limit, cursor))


@router.get("/customers/{customer_id}/insights", response_model=InsightsOut)
def customer_insights(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(history.insights, customer_id)
