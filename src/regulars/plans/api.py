from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from regulars.merchants.auth import Tx, tx
from regulars.plans import offers, service
from regulars.plans.schemas import (
    CustomerOffers,
    OfferCreate,
    OfferOut,
    OfferUpdate,
    PaymentCreate,
    PaymentOut,
    PlanCreate,
    PlanOut,
)

router = APIRouter(tags=["payment plans"])
REPLAYED = {
    "description": "A replay: this payment_id was paid before with the same amount",
    "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}},
}


@router.post("/payment-plan-offers", response_model=OfferOut, status_code=201)
def create_offer(body: OfferCreate, t: Tx = Depends(tx)) -> object:
    return t(offers.create_offer, body)


@router.get("/payment-plan-offers", response_model=list[OfferOut])
def list_offers(t: Tx = Depends(tx)) -> object:
    return t(offers.list_offers)


@router.get("/payment-plan-offers/{offer_id}", response_model=OfferOut)
def get_offer(offer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(offers.get_offer, offer_id)


@router.patch("/payment-plan-offers/{offer_id}", response_model=OfferOut)
def update_offer(offer_id: uuid.UUID, body: OfferUpdate, t: Tx = Depends(tx)) -> object:
    return t(offers.update_offer, offer_id, body)


@router.get("/customers/{customer_id}/payment-plan-offers", response_model=CustomerOffers)
def customer_offers(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    """Every offer, whether this customer may take it, and the reasons (codes, and words in the
    customer's language) when not."""
    return t(offers.customer_offers, customer_id)


@router.post("/payment-plans", response_model=PlanOut, status_code=201)
def create_plan(body: PlanCreate, t: Tx = Depends(tx)) -> object:
    """409 `not-eligible` with the reasons when the customer may not take the offer."""
    return t(service.create_plan, body)


@router.get("/payment-plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.get_plan, plan_id)


@router.get("/customers/{customer_id}/payment-plans", response_model=list[PlanOut])
def customer_plans(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.customer_plans, customer_id)


@router.post(
    "/payment-plans/{plan_id}/payments",
    response_model=PaymentOut,
    status_code=201,
    responses={200: {"model": PaymentOut, **REPLAYED}},
)
def pay(plan_id: uuid.UUID, body: PaymentCreate, t: Tx = Depends(tx)) -> Response:
    """Partial, exact or early; applied to the oldest unpaid installments first. The same
    `payment_id` again replays the first answer (200); with another amount it is 409; more
    than the plan's `remaining` is 422 on `amount`."""
    answer, replayed = t(service.pay, plan_id, body)
    out = PaymentOut.model_validate(answer).model_dump_json()
    if replayed:
        return Response(out, 200, {"Idempotent-Replayed": "true"}, "application/json")
    return Response(out, 201, media_type="application/json")
