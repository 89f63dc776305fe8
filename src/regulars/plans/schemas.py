from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from regulars.kit.schemas import Schema

MAX_AMOUNT = 10**15  # minor units; far above any price, well inside BIGINT


class OfferFields(Schema):
    name: str = Field(min_length=1, max_length=120)
    installments: int = Field(ge=1, le=120, description="Payments after the down payment")
    interval_months: int = Field(ge=1, le=12, description="Months between two installments")
    down_payment_percent: int = Field(
        default=0, ge=0, le=99, description="Of the principal, floored to the minor unit"
    )
    fee: int = Field(default=0, ge=0, le=MAX_AMOUNT, description="Minor units, added once")
    min_price: int = Field(ge=1, le=MAX_AMOUNT, description="Smallest principal, minor units")
    max_price: int = Field(ge=1, le=MAX_AMOUNT, description="Largest principal, minor units")
    min_visits: int = Field(default=0, ge=0, le=100_000, description="Purchases made before")
    min_spend: int = Field(
        default=0,
        ge=0,
        le=MAX_AMOUNT,
        description="Lifetime spend, minor units (paid less refunded)",
    )
    max_open_plans: int = Field(
        default=1, ge=1, le=20, description="Plans a customer may have open at once, any offer"
    )
    late_days: int = Field(
        default=7, ge=0, le=365, description="An earlier installment paid later than this refuses"
    )
    active: bool = True


class OfferCreate(OfferFields):
    pass


class OfferUpdate(Schema):
    """Every field optional; a plan already taken keeps the terms it was made with."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    installments: int | None = Field(default=None, ge=1, le=120)
    interval_months: int | None = Field(default=None, ge=1, le=12)
    down_payment_percent: int | None = Field(default=None, ge=0, le=99)
    fee: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    min_price: int | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    max_price: int | None = Field(default=None, ge=1, le=MAX_AMOUNT)
    min_visits: int | None = Field(default=None, ge=0, le=100_000)
    min_spend: int | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    max_open_plans: int | None = Field(default=None, ge=1, le=20)
    late_days: int | None = Field(default=None, ge=0, le=365)
    active: bool | None = None


class OfferOut(OfferFields):
    id: uuid.UUID
    currency: str
    created_at: datetime


class Refusal(Schema):
    code: str
    message: str = Field(description="In the customer's language")


class OfferChoice(Schema):
    offer: OfferOut
    eligible: bool
    reasons: list[Refusal]


class CustomerOffers(Schema):
    customer_id: uuid.UUID
    visits: int
    lifetime_spend: int
    open_plans: int
    data: list[OfferChoice]


class PlanCreate(Schema):
    customer_id: uuid.UUID
    offer_id: uuid.UUID
    principal: int = Field(ge=1, le=MAX_AMOUNT, description="Minor units")
    first_due: date = Field(description="The shop's calendar day of the first payment")


class InstallmentOut(Schema):
    seq: int
    due_on: date
    amount: int
    paid: int
    status: Literal["open", "overdue", "paid"]
    down_payment: bool
    paid_on: date | None


class PlanOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    offer_id: uuid.UUID
    name: str
    currency: str
    principal: int
    fee: int
    total: int
    paid: int
    remaining: int
    status: Literal["open", "overdue", "completed"]
    interval_months: int
    first_due: date
    created_at: datetime
    completed_at: datetime | None
    schedule: list[InstallmentOut]


class PaymentCreate(Schema):
    payment_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")
    amount: int = Field(ge=1, le=MAX_AMOUNT, description="Minor units")


class Applied(Schema):
    seq: int
    amount: int


class PaymentOut(Schema):
    payment_id: str
    plan_id: uuid.UUID
    amount: int
    applied: list[Applied] = Field(description="What the payment covered, oldest first")
    points_awarded: int
    remaining: int
    plan: PlanOut
