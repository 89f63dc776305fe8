from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any, Literal
from zoneinfo import available_timezones

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.numbers import get_territory_currencies
from pydantic import Field, field_validator

from regulars.kit.schemas import Schema

RoleName = Literal["owner", "manager", "cashier"]
SHIPPED_LOCALES = ("en", "my", "ur", "lo", "ms")
# Names in the tz database that are not a place: the server's own zone, and a placeholder.
NOT_A_PLACE = {"localtime", "Factory", "posixrules"}


@cache
def tender_currencies() -> frozenset[str]:
    """ISO 4217 codes that are money somewhere today (not XXX, XTS, gold, or retired codes)."""
    return frozenset(
        code
        for region in phonenumbers.SUPPORTED_REGIONS
        for code in get_territory_currencies(region, tender=True)
    )


class MerchantCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, examples=["MM"])
    currency: str = Field(min_length=3, max_length=3, examples=["MMK"])
    timezone: str = Field(examples=["Asia/Yangon"])
    locale: str = Field(default="en", examples=["my"])
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")

    @field_validator("country")
    @classmethod
    def _country(cls, v: str) -> str:
        v = v.upper()
        # Babel also lists groupings (EU, UN, ZZ); a shop's country must have phone numbers.
        if v not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("not an ISO 3166 country code")
        return v

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        v = v.upper()
        if v not in tender_currencies():
            raise ValueError("not an ISO 4217 currency code")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if v not in available_timezones() or v in NOT_A_PLACE:
            raise ValueError("not an IANA time zone")
        return v

    @field_validator("locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        try:
            Locale.parse(v)
        except (ValueError, UnknownLocaleError):
            raise ValueError("not a known locale") from None
        return v


class MerchantOut(Schema):
    id: uuid.UUID
    slug: str
    name: str
    country: str
    currency: str
    timezone: str
    locale: str
    created_at: datetime


class StoreCreate(Schema):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)


class StoreOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    created_at: datetime


class StaffCreate(Schema):
    email: str = Field(min_length=3, max_length=254, pattern=r"^\s*[^@\s]+@[^@\s]+\s*$")
    name: str = Field(min_length=1, max_length=200)
    role: RoleName
    password: str = Field(min_length=10, max_length=200)


class StaffOut(Schema):
    id: uuid.UUID
    email: str
    name: str
    role: RoleName
    active: bool
    created_at: datetime


class ApiKeyCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    role: RoleName = "cashier"


class ApiKeyOut(Schema):
    id: uuid.UUID
    name: str
    prefix: str
    role: RoleName
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret; shown this once and never again.")


class AuditEventOut(Schema):
    id: uuid.UUID
    at: datetime
    actor_type: str
    actor_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: uuid.UUID | None
    changes: dict[str, Any]
