from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import Field, model_validator

from regulars.kit.schemas import Schema
from regulars.loyalty.schemas import StampOut, TierOut

MAX_SALE = 10**15  # minor units; keeps every sum far inside a 64-bit integer


class CustomerRef(Schema):
    id: uuid.UUID | None = None
    phone: str | None = Field(default=None, max_length=40)
    member_code: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if sum(v is not None for v in (self.id, self.phone, self.member_code)) != 1:
            raise ValueError("give exactly one of id, phone, member_code")
        return self


class LineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    category: str = Field(default="", max_length=64)
    quantity: int = Field(ge=1, le=100_000)
    unit_price: int = Field(ge=0, le=10**12, description="Minor units")


class CheckoutIn(Schema):
    receipt_id: str = Field(min_length=1, max_length=64, examples=["R-1001"])
    store_id: uuid.UUID | None = Field(default=None, description="Default: the main store")
    customer: CustomerRef | None = Field(default=None, description="Omit for an anonymous sale")
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    coupon_codes: list[str] = Field(default_factory=list, max_length=10)
    vouchers: list[str] = Field(default_factory=list, max_length=10)
    redeem_points: int = Field(default=0, ge=0, le=10**9)

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if sum(line.quantity * line.unit_price for line in self.lines) > MAX_SALE:
            raise ValueError(f"lines: a sale adds up to at most {MAX_SALE} minor units")
        return self


class BreakdownOut(Schema):
    rule: str
    points: int


class AppliedVoucher(Schema):
    code: str
    name: str
    discount: int


class CouponDiscount(Schema):
    code: str = Field(description="As printed")
    campaign_id: uuid.UUID
    amount: int = Field(description="Minor units off")


class CheckoutOut(Schema):
    purchase_id: uuid.UUID | None = Field(description="null in a quote")
    receipt_id: str
    store_id: uuid.UUID
    customer_id: uuid.UUID | None
    currency: str
    subtotal: int
    discount_total: int
    points_redeemed: int
    points_value: int = Field(description="Minor units paid with points")
    total: int = Field(description="Minor units paid in money")
    points_earned: int
    points_breakdown: list[BreakdownOut]
    balance: int | None
    stamps: list[StampOut]
    tier: TierOut | None
    vouchers_applied: list[AppliedVoucher]
    discounts: list[CouponDiscount] = Field(default_factory=list, description="Coupons applied")
    receipt_lines: list[str]
    created_at: datetime | None


class RefundLineIn(Schema):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=100_000)


class RefundIn(Schema):
    refund_id: str = Field(min_length=1, max_length=64)
    lines: list[RefundLineIn] = Field(
        default_factory=list, max_length=500, description="Empty: the whole sale"
    )


class RefundOut(Schema):
    refund_id: str
    purchase_id: uuid.UUID
    amount: int
    points_reversed: int = Field(description="Earned points taken back")
    points_returned: int = Field(description="Points that paid for the refunded part, given back")
    balance: int | None
    created_at: datetime


def canonical(body: Any) -> dict[str, Any]:
    """The request as compared for replays: parsed, defaults filled, so key order and omitted
    defaults do not make two identical sales look different."""
    data: dict[str, Any] = body.model_dump(mode="json")
    return data


class PurchaseLineOut(Schema):
    line_no: int
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int = Field(description="Minor units")
    discount: int = Field(description="Minor units taken off this line by vouchers")
    net: int = Field(description="Minor units: quantity × unit_price − discount")
    refunded_quantity: int


class PurchaseOut(Schema):
    id: uuid.UUID
    receipt_id: str
    store_id: uuid.UUID
    currency: str
    subtotal: int
    discount_total: int
    points_value: int = Field(description="Minor units paid with points")
    total: int = Field(description="Minor units paid in money")
    refunded_total: int = Field(description="Minor units given back by refunds")
    points_earned: int
    points_redeemed: int = Field(description="Points that paid part of the sale")
    created_at: datetime
    lines: list[PurchaseLineOut]


class FavouriteItem(Schema):
    sku: str
    name: str = Field(description="As it was last sold to this customer")
    category: str
    quantity: int = Field(description="Units bought, less units refunded")


class FavouriteCategory(Schema):
    category: str
    quantity: int = Field(description="Units bought, less units refunded")


class InsightsOut(Schema):
    customer_id: uuid.UUID
    currency: str
    visits: int = Field(description="Purchases, refunded ones included")
    first_visit_at: datetime | None
    last_visit_at: datetime | None
    lifetime_spend: int = Field(description="Minor units paid in money, less refunds")
    average_days_between_visits: float | None = Field(
        description="Days from the first to the last visit over the gaps between visits, "
        "one decimal; null before a second visit"
    )
    favourite_items: list[FavouriteItem] = Field(description="Top 5 by quantity kept")
    favourite_categories: list[FavouriteCategory] = Field(description="Top 5 by quantity kept")
