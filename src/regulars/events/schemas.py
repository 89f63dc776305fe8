from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from regulars.kit.schemas import Schema


def _clean(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        value = " ".join(value.split())
        if not 1 <= len(value) <= 40:
            raise ValueError("each is 1 to 40 characters")
        if value not in out:
            out.append(value)
    return out


class EventCreate(Schema):
    name: str = Field(min_length=1, max_length=120)
    starts_at: datetime = Field(description="RFC 3339 with an offset")
    capacity: int = Field(ge=1, le=100_000, description="Seats, guests included")
    guests_allowed: int = Field(default=1, ge=0, le=10, description="Guests per RSVP (+1 = 1)")
    tiers: list[str] = Field(default_factory=list, max_length=10, description="Invited tiers")
    tags: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Invited tags; with no tiers and no tags every member is invited",
    )

    @field_validator("tiers", "tags")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        return _clean(v)

    @field_validator("starts_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("give a time zone offset")
        return v


class EventOut(Schema):
    id: uuid.UUID
    name: str
    starts_at: datetime
    capacity: int
    taken: int = Field(description="Seats held by RSVPs, guests included")
    guests_allowed: int
    tiers: list[str]
    tags: list[str]
    created_at: datetime


class RsvpCreate(Schema):
    customer_id: uuid.UUID
    guests: int = Field(default=0, ge=0, le=10)


class GuestPassOut(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    rsvp_id: uuid.UUID
    customer_id: uuid.UUID
    code: str
    checked_in_at: datetime | None
    created_at: datetime


class RsvpOut(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    customer_id: uuid.UUID
    guests: int
    passes_given: int
    code: str = Field(description="The pass's QR holds this code")
    checked_in_at: datetime | None
    created_at: datetime


class GuestPassCreate(Schema):
    phone: str = Field(min_length=1, max_length=40, description="The friend's phone")
    name: str | None = Field(default=None, max_length=200)
    consent: bool = Field(
        description="The friend agreed to hear from the shop by SMS (recorded as their consent)"
    )


class CheckInCreate(Schema):
    code: str = Field(min_length=1, max_length=40, description="As the scanner typed it")


class CheckInOut(Schema):
    status: str = Field(description="`checked_in`, or `already_checked_in` for a second scan")
    kind: str = Field(description="`member` (admits the member and unnamed guests) or `guest`")
    admits: int
    customer_id: uuid.UUID
    name: str | None
    checked_in_at: datetime


class ClubCreate(Schema):
    name: str = Field(min_length=1, max_length=80)
    multiplier: int = Field(
        default=100, ge=100, le=1000, description="Percent on points earned (150 = 1.5x)"
    )
    perk: str = Field(default="", max_length=500)


class ClubOut(Schema):
    id: uuid.UUID
    name: str
    multiplier: int
    perk: str
    members: int
    created_at: datetime


class ClubMemberCreate(Schema):
    customer_id: uuid.UUID


class ClubMemberOut(Schema):
    club_id: uuid.UUID
    customer_id: uuid.UUID
    joined_at: datetime
