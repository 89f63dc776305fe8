from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal, Self

from pydantic import Field, model_validator

from regulars.kit.schemas import Schema
from regulars.loyalty.program import Names, Program


class ProgramOut(Schema):
    version: int
    currency: str
    program: Program
    created_at: datetime | None


class LedgerEntryOut(Schema):
    id: uuid.UUID
    points: int = Field(description="Signed: credits positive, debits negative")
    kind: str
    reason: str = Field(description="A stable code; for an adjustment, the manager's note")
    message: str | None = Field(
        default=None, description="For an adjustment: what the customer reads instead of reason"
    )
    purchase_id: uuid.UUID | None
    voucher_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None


class AdjustmentCreate(Schema):
    points: int = Field(description="Signed; never zero", ge=-10_000_000, le=10_000_000)
    reason: str = Field(min_length=3, max_length=200, description="Internal note, for staff")
    message: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Optional: what the customer sees in their history instead of the reason",
    )

    @model_validator(mode="after")
    def _nonzero(self) -> Self:
        if self.points == 0:
            raise ValueError("points: must not be zero")
        return self


class AdjustmentOut(Schema):
    entry: LedgerEntryOut
    balance: int


RewardKind = Literal["free_item", "amount_off", "percent_off"]


class RewardCreate(Schema):
    name: str = Field(min_length=1, max_length=120, description="In the shop's language")
    names: Names = Field(default_factory=dict, description="`name` in other languages")
    kind: RewardKind
    cost_points: int = Field(gt=0, le=100_000_000)
    amount: int = Field(default=0, ge=0, le=10**15, description="Minor units off, for amount_off")
    percent: int = Field(default=0, ge=0, le=100, description="For percent_off")
    sku: str | None = Field(default=None, max_length=64, description="The free item's SKU")
    stock: int | None = Field(default=None, ge=0, le=1_000_000_000)
    valid_days: int = Field(default=30, ge=1, le=3650)
    early_access_tier: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9_-]+$",
        description="Until `early_access_until`, only this tier (or a higher one) has it",
    )
    early_access_until: datetime | None = Field(default=None, description="RFC 3339")

    @model_validator(mode="after")
    def _early_access(self) -> Self:
        if (self.early_access_tier is None) != (self.early_access_until is None):
            raise ValueError("early_access_until: give both early_access_tier and this, or none")
        if self.early_access_until is not None and self.early_access_until.tzinfo is None:
            raise ValueError("early_access_until: give a time zone offset")
        return self

    @model_validator(mode="after")
    def _value(self) -> Self:
        if self.kind == "amount_off" and self.amount <= 0:
            raise ValueError("amount: must be positive for amount_off")
        if self.kind == "percent_off" and not 1 <= self.percent <= 100:
            raise ValueError("percent: must be 1..100 for percent_off")
        if self.kind == "free_item" and not self.sku:
            raise ValueError("sku: needed for free_item")
        return self


class RewardUpdate(Schema):
    active: bool | None = None
    stock: int | None = Field(default=None, ge=0, le=1_000_000_000)
    names: Names | None = None


class RewardOut(Schema):
    id: uuid.UUID
    name: str
    names: dict[str, str]
    kind: RewardKind
    cost_points: int
    amount: int
    percent: int
    sku: str | None
    stock: int | None
    valid_days: int
    active: bool
    early_access_tier: str | None
    early_access_until: datetime | None
    created_at: datetime


class RedemptionCreate(Schema):
    reward_id: uuid.UUID


class VoucherOut(Schema):
    id: uuid.UUID
    code: str
    customer_id: uuid.UUID
    reward_id: uuid.UUID | None
    source: str
    name: str
    names: dict[str, str]
    kind: RewardKind
    amount: int
    percent: int
    sku: str | None
    points_cost: int
    status: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None
    purchase_id: uuid.UUID | None


class RedemptionOut(Schema):
    voucher: VoucherOut
    balance: int


class StampOut(Schema):
    card: str
    name: str
    stamps: int
    required: int
    reward_name: str
    completed_now: int = 0
    names: dict[str, str] = Field(default_factory=dict, description="`name` in other languages")
    reward_names: dict[str, str] = Field(default_factory=dict)


class TierOut(Schema):
    code: str | None
    name: str | None
    multiplier: int = 100
    perks: str = ""
    qualifying_spend: int = 0
    next_code: str | None = None
    next_name: str | None = None
    next_multiplier: int | None = None
    next_perks: str = ""
    spend_to_next: int | None = None
    names: dict[str, str] = Field(default_factory=dict, description="`name` in other languages")
    perks_i18n: dict[str, str] = Field(default_factory=dict)
    next_names: dict[str, str] = Field(default_factory=dict)
    next_perks_i18n: dict[str, str] = Field(default_factory=dict)


class LoyaltySummary(Schema):
    customer_id: uuid.UUID
    currency: str
    balance: int
    lifetime_earned: int
    expiring_soon: int = Field(description="Points that expire within `expiring_days`")
    expiring_days: int
    tier: TierOut
    stamps: list[StampOut]
    vouchers: list[VoucherOut]
