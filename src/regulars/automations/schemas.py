"""Each automation's settings, with their defaults and bounds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoSettings(_Settings):
    pass


class CodeSettings(_Settings):
    campaign_id: uuid.UUID | None = Field(
        default=None, description="The coupon campaign the personal code applies (required on)"
    )
    valid_days: int = Field(default=14, ge=1, le=90, description="How long the code is valid")


class WinbackSettings(_Settings):
    days: int = Field(default=60, ge=7, le=730, description="Quiet days since the last purchase")


class ExpiringSettings(_Settings):
    days: int = Field(default=14, ge=1, le=90, description="Points expiring within this many days")


class RestockSettings(_Settings):
    min_visits: int = Field(
        default=2, ge=1, le=50, description="Visits the item was bought on to count as a favourite"
    )


class ThankYouSettings(_Settings):
    min_total: int = Field(default=0, ge=0, description="Smallest sale thanked (minor units)")


SETTINGS: dict[str, type[_Settings]] = {
    "welcome": NoSettings,
    "birthday": CodeSettings,
    "anniversary": CodeSettings,
    "restock": RestockSettings,
    "winback": WinbackSettings,
    "points_expiring": ExpiringSettings,
    "tier_up": NoSettings,
    "reward_unlocked": NoSettings,
    "thank_you": ThankYouSettings,
}

TRIGGERS: dict[str, str] = {
    "welcome": "a customer is created",
    "birthday": "daily, on the customer's birthday (shop's time zone)",
    "anniversary": "daily, on the customer's anniversary date",
    "restock": "POST /api/v1/products/{sku}/restock",
    "winback": "daily, when the last purchase is `days` days old",
    "points_expiring": "daily, points expiring within `days` days",
    "tier_up": "a sale moves the customer to a higher tier",
    "reward_unlocked": "a sale brings the balance up to a reward's cost or fills a stamp card",
    "thank_you": "a sale by a member",
}


class AutomationIn(BaseModel):
    """`enabled` and the kind's settings side by side: `{"enabled": true, "days": 45}`. Settings
    not given keep their value."""

    model_config = ConfigDict(extra="allow")

    enabled: bool | None = None


class AutomationOut(BaseModel):
    kind: str
    enabled: bool
    settings: dict[str, Any]
    trigger: str
    updated_at: datetime | None


class LogEntry(BaseModel):
    id: uuid.UUID
    kind: str
    customer_id: uuid.UUID | None
    reason: str | None = Field(description="Why the customer got it")
    status: str
    skip_reason: str | None
    channel: str | None
    created_at: datetime
    sent_at: datetime | None


class RestockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200, description="The item's name")


class RestockOut(BaseModel):
    sku: str
    notified: int = Field(description="Messages written to the outbox")
    already: int = Field(description="Favoured by customers told about it today already")
