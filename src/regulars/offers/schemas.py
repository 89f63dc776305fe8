from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from regulars.checkout.schemas import CustomerRef, LineIn
from regulars.kit.schemas import Schema

CouponKind = Literal["percent_off", "amount_off", "free_item"]
ReasonCode = Literal[
    "unknown",
    "inactive",
    "not_started",
    "expired",
    "used",
    "exhausted",
    "customer_limit",
    "needs_customer",
    "other_customer",
    "tier",
    "min_spend",
    "not_in_basket",
    "not_stackable",
    "duplicate",
]
_WHEN = "A time with an offset, or without one to mean the shop's time zone"


def _in_range(value: datetime | None) -> datetime | None:
    if value is not None and not 2000 <= value.year <= 2999:
        raise ValueError("a year from 2000 to 2999")
    return value


class CampaignFields(Schema):
    name: str = Field(min_length=1, max_length=120)
    kind: CouponKind
    value: int = Field(
        default=0,
        ge=0,
        le=10**15,
        description="Percent for percent_off, minor units for amount_off",
    )
    sku: str | None = Field(default=None, max_length=64, description="The free item's SKU")
    min_spend: int = Field(default=0, ge=0, le=10**15, description="Minor units")
    skus: list[str] = Field(default_factory=list, max_length=200, description="Scope: these SKUs")
    categories: list[str] = Field(default_factory=list, max_length=100)
    starts_at: datetime | None = Field(default=None, description=_WHEN)
    ends_at: datetime | None = Field(default=None, description=_WHEN)
    total_limit: int | None = Field(default=None, ge=1, le=10**9)
    per_customer_limit: int | None = Field(default=None, ge=1, le=10**6)
    tiers: list[str] = Field(default_factory=list, max_length=20, description="Eligible tier codes")
    stackable: bool = False
    release_on_refund: bool = Field(default=True, description="A full refund gives the use back")
    active: bool = True

    _times = field_validator("starts_at", "ends_at")(_in_range)


def check_value(kind: str, value: int, sku: str | None) -> None:
    if kind == "percent_off" and not 1 <= value <= 100:
        raise ValueError("value: a percent from 1 to 100 for percent_off")
    if kind == "amount_off" and value <= 0:
        raise ValueError("value: minor units above 0 for amount_off")
    if kind == "free_item" and not sku:
        raise ValueError("sku: the free item's SKU for free_item")


class CampaignCreate(CampaignFields):
    code: str | None = Field(
        default=None, min_length=3, max_length=40, description="A shared code anyone may type"
    )

    @model_validator(mode="after")
    def _rules(self) -> Self:
        check_value(self.kind, self.value, self.sku)
        return self


class CampaignUpdate(Schema):
    """Every field optional; the kind and the shared code stay as created."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    value: int | None = Field(default=None, ge=0, le=10**15)
    sku: str | None = Field(default=None, max_length=64)
    min_spend: int | None = Field(default=None, ge=0, le=10**15)
    skus: list[str] | None = Field(default=None, max_length=200)
    categories: list[str] | None = Field(default=None, max_length=100)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    total_limit: int | None = Field(default=None, ge=1, le=10**9)
    per_customer_limit: int | None = Field(default=None, ge=1, le=10**6)
    tiers: list[str] | None = Field(default=None, max_length=20)
    stackable: bool | None = None
    release_on_refund: bool | None = None
    active: bool | None = None

    _times = field_validator("starts_at", "ends_at")(_in_range)


class CampaignOut(Schema):
    id: uuid.UUID
    name: str
    kind: CouponKind
    value: int
    sku: str | None
    min_spend: int
    skus: list[str]
    categories: list[str]
    starts_at: datetime | None = Field(description="In the shop's time zone")
    ends_at: datetime | None
    total_limit: int | None
    per_customer_limit: int | None
    tiers: list[str]
    stackable: bool
    release_on_refund: bool
    active: bool
    code: str | None = Field(description="The shared code, if any")
    used: int = Field(description="Uses so far, counted while total_limit is set")
    created_at: datetime


class CodesCreate(Schema):
    count: int = Field(ge=1, le=1_000_000)


class CodeJobOut(Schema):
    id: uuid.UUID
    campaign_id: uuid.UUID
    count: int
    done: int
    status: str = Field(description="running, done or failed")
    error: str | None
    created_at: datetime
    finished_at: datetime | None


class PersonalCodeCreate(Schema):
    customer_id: uuid.UUID
    valid_days: int = Field(default=14, ge=1, le=366)


class CodeOut(Schema):
    code: str = Field(description="As printed: groups of four")
    campaign_id: uuid.UUID
    customer_id: uuid.UUID | None
    expires_at: datetime | None


class ValidateIn(Schema):
    code: str = Field(min_length=1, max_length=64)
    customer: CustomerRef | None = None
    lines: list[LineIn] = Field(default_factory=list, max_length=500)


class ValidateOut(Schema):
    valid: bool
    reason_code: ReasonCode | None
    reason: str = Field(description="Words a cashier can read out, in the customer's language")
