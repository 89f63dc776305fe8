from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from regulars.kit.schemas import Schema

Channel = Literal["email", "sms", "whatsapp", "viber", "line", "telegram"]
Locale = Literal["en", "my", "ur", "lo", "ms"]
MAX_ATTRIBUTES_BYTES = 4096


class _Profile(Schema):
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40, examples=["09 7812 34567"])
    email: str | None = Field(default=None, max_length=254)
    birthday: date | None = None
    anniversary: date | None = None
    locale: Locale | None = None
    preferred_channel: Channel | None = Field(
        default=None, description="Messages go here first, then to other channels by consent"
    )
    timezone: str | None = Field(
        default=None,
        max_length=64,
        examples=["Asia/Yangon"],
        description="IANA zone for quiet hours; null = the shop's",
    )
    tags: list[str] | None = Field(default=None, max_length=30)
    attributes: dict[str, Any] | None = Field(
        default=None, description='Free fields, e.g. {"vehicle": "Hilux", "plate": "YGN 2B-1234"}'
    )
    consent: dict[Channel, bool] | None = Field(
        default=None, description="Per channel: true = may receive marketing"
    )
    consent_source: str = Field(default="api", min_length=1, max_length=32)
    store_id: uuid.UUID | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        cleaned = []
        for tag in v:
            tag = " ".join(tag.split())
            if not 1 <= len(tag) <= 40:
                raise ValueError("each tag is 1 to 40 characters")
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and len(json.dumps(v, ensure_ascii=False).encode()) > MAX_ATTRIBUTES_BYTES:
            raise ValueError(f"at most {MAX_ATTRIBUTES_BYTES} bytes of JSON")
        return v

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone, e.g. Asia/Yangon") from None
        return v

    @field_validator("birthday", "anniversary")
    @classmethod
    def _past(cls, v: date | None) -> date | None:
        if v is not None and not date(1900, 1, 1) <= v <= date(2100, 1, 1):
            raise ValueError("must be between 1900-01-01 and 2100-01-01")
        return v


class CustomerCreate(_Profile):
    """At least a name, a phone or an email."""

    referral_code: str | None = Field(
        default=None, max_length=40, description="The code of the member who brought them"
    )


class CustomerUpdate(_Profile):
    """Only the fields sent are changed; null clears a field."""

    consent_source: str = Field(default="api", min_length=1, max_length=32)


class CustomerMerge(Schema):
    """The customer to merge into the one in the path, which survives."""

    other_id: uuid.UUID = Field(description="This customer is erased and points at the survivor")


class ConsentOut(Schema):
    granted: bool
    source: str
    updated_at: datetime


class CustomerOut(Schema):
    id: uuid.UUID
    member_code: str
    name: str | None
    phone: str | None = Field(description="E.164")
    email: str | None
    birthday: date | None
    anniversary: date | None
    locale: str | None
    preferred_channel: str | None = None
    timezone: str | None = None
    tags: list[str]
    attributes: dict[str, Any]
    consent: dict[str, ConsentOut]
    points_balance: int = Field(description="Current points (loyalty ledger balance)")
    tier: str | None = Field(description="Current tier code, null before any tier")
    store_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class NoteCreate(Schema):
    body: str = Field(min_length=1, max_length=4000)


class NoteOut(Schema):
    id: uuid.UUID
    customer_id: uuid.UUID
    body: str
    author_type: str
    author_id: uuid.UUID | None
    created_at: datetime


class TimelineEntry(Schema):
    kind: str = Field(
        description="note, purchase, message, ticket, survey, review or service_visit"
    )
    at: datetime
    id: uuid.UUID
    summary: str
    status: str | None = None
    author_id: uuid.UUID | None = None


class CustomerExport(Schema):
    """Everything held about one person (data portability)."""

    customer: CustomerOut
    notes: list[NoteOut]
    referrals: dict[str, Any] = Field(
        default_factory=dict,
        description="Their referral codes, who referred them, the friends they referred (by id)",
    )
    audit: list[dict[str, Any]]
    exported_at: datetime
