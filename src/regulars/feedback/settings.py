"""A merchant's feedback settings and the SLA clock.

Service-level targets count **business minutes**: the shop's opening hours in its own time zone
(DESIGN.md invariant 5). A complaint sent at 17:30 to a shop that shuts at 18:00, with a first
response target of 60 minutes, is due at 09:30 the next opening day. A shop with no opening hours
set counts every minute.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from sqlalchemy.orm import Session

from regulars.feedback.models import FeedbackSettings
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.schemas import Schema
from regulars.merchants import service as merchants

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRIORITIES = ("urgent", "high", "normal", "low")
Priority = Literal["urgent", "high", "normal", "low"]
PART = "feedback"
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class Hours(Schema):
    opens: str = Field(pattern=HHMM, description="HH:MM, shop time")
    closes: str = Field(pattern=HHMM, description="HH:MM, shop time, after `opens`")

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.closes <= self.opens:
            raise ValueError("closes must be after opens")
        return self


class Target(Schema):
    first_response_minutes: int = Field(ge=1, le=60 * 24 * 30)
    resolution_minutes: int = Field(ge=1, le=60 * 24 * 90)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.resolution_minutes < self.first_response_minutes:
            raise ValueError("resolution_minutes must not be shorter than first_response_minutes")
        return self


def _default_hours() -> dict[str, Hours | None]:
    open_day = Hours(opens="09:00", closes="18:00")
    return {day: (None if day == "sun" else open_day) for day in DAYS}


def _default_targets() -> dict[str, Target]:
    minutes = {"urgent": (60, 480), "high": (240, 1440), "normal": (480, 2880), "low": (1440, 7200)}
    return {
        p: Target(first_response_minutes=f, resolution_minutes=r) for p, (f, r) in minutes.items()
    }


class Settings(Schema):
    business_hours: dict[str, Hours | None] = Field(
        default_factory=_default_hours, description="Per weekday mon..sun; null = closed"
    )
    sla: dict[str, Target] = Field(
        default_factory=_default_targets, description="Per priority, in business minutes"
    )
    survey_after_purchase: bool = Field(
        default=True, description="Ask members who bought yesterday how it went (one a day)"
    )
    survey_kind: Literal["nps", "csat"] = "nps"
    survey_valid_days: int = Field(default=14, ge=1, le=90)
    categories: list[str] = Field(
        default_factory=lambda: ["product", "service", "delivery", "billing", "other"],
        min_length=1,
        max_length=20,
    )

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if set(self.business_hours) - set(DAYS):
            raise ValueError(f"business_hours: days are {', '.join(DAYS)}")
        if set(self.sla) != set(PRIORITIES):
            raise ValueError(f"sla: one target for each of {', '.join(PRIORITIES)}")
        return self


def get(session: Session, merchant_id: uuid.UUID) -> Settings:
    row = session.get(FeedbackSettings, (merchant_id, PART))
    return Settings.model_validate(row.config) if row is not None else Settings()


def put(session: Session, ctx: Ctx, data: Settings) -> Settings:
    merchants.require_role(ctx, "manager")
    row = session.get(FeedbackSettings, (ctx.merchant_id, PART))
    config: dict[str, Any] = data.model_dump(mode="json")
    if row is None:
        session.add(FeedbackSettings(merchant_id=ctx.merchant_id, part=PART, config=config))
    else:
        row.config, row.updated_at = config, clock.now()
    session.flush()
    merchants.record_audit(session, ctx, "feedback.settings", "merchant", ctx.merchant_id)
    return data


def _hm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def add_business_minutes(
    start: datetime, minutes: int, hours: dict[str, Hours | None], timezone: str
) -> datetime:
    """`start` plus `minutes` of opening hours, in UTC. Every minute counts when no day opens."""
    if not any(hours.get(day) for day in DAYS):
        return start + timedelta(minutes=minutes)
    tz = ZoneInfo(timezone)
    local = start.astimezone(tz)
    left = timedelta(minutes=minutes)
    day = local.date()
    while True:
        window = hours.get(DAYS[day.weekday()])
        if window is not None:
            opens = datetime.combine(day, _hm(window.opens), tzinfo=tz)
            closes = datetime.combine(day, _hm(window.closes), tzinfo=tz)
            begin = max(local, opens)
            if begin < closes:
                if begin + left <= closes:
                    return (begin + left).astimezone(start.tzinfo)
                left -= closes - begin
        day += timedelta(days=1)
        local = datetime.combine(day, time(0), tzinfo=tz)


def business_minutes_between(
    start: datetime, end: datetime, hours: dict[str, Hours | None], timezone: str
) -> int:
    """Opening minutes from `start` to `end` (0 when end is not later): for SLA figures."""
    if end <= start:
        return 0
    if not any(hours.get(day) for day in DAYS):
        return int((end - start).total_seconds() // 60)
    tz = ZoneInfo(timezone)
    local, stop = start.astimezone(tz), end.astimezone(tz)
    total = timedelta()
    day = local.date()
    while day <= stop.date():
        window = hours.get(DAYS[day.weekday()])
        if window is not None:
            opens = datetime.combine(day, _hm(window.opens), tzinfo=tz)
            closes = datetime.combine(day, _hm(window.closes), tzinfo=tz)
            a, b = max(local, opens), min(stop, closes)
            if b > a:
                total += b - a
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)
