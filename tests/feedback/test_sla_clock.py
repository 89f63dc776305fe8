"""The SLA clock counts the shop's opening hours in its own time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from regulars.feedback.settings import (
    Hours,
    Settings,
    add_business_minutes,
    business_minutes_between,
)

YANGON = "Asia/Yangon"
TZ = ZoneInfo(YANGON)
HOURS = Settings().business_hours  # Mon-Sat 09:00-18:00, Sunday closed


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


def test_a_complaint_late_on_friday_is_due_on_saturday_morning() -> None:
    start = local(2026, 12, 4, 17, 30)  # a Friday
    due = add_business_minutes(start.astimezone(UTC), 60, HOURS, YANGON)
    assert due.astimezone(TZ) == local(2026, 12, 5, 9, 30)
    assert due.tzinfo == UTC


def test_saturday_evening_skips_the_closed_sunday() -> None:
    due = add_business_minutes(local(2026, 12, 5, 17, 30).astimezone(UTC), 60, HOURS, YANGON)
    assert due.astimezone(TZ) == local(2026, 12, 7, 9, 30)  # Monday


def test_before_opening_the_clock_starts_at_opening() -> None:
    due = add_business_minutes(local(2026, 12, 7, 6, 0).astimezone(UTC), 480, HOURS, YANGON)
    assert due.astimezone(TZ) == local(2026, 12, 7, 17, 0)


def test_two_days_of_resolution_time_span_two_opening_days() -> None:
    due = add_business_minutes(local(2026, 12, 7, 12, 0).astimezone(UTC), 2 * 540, HOURS, YANGON)
    assert due.astimezone(TZ) == local(2026, 12, 9, 12, 0)


def test_a_shop_with_no_opening_hours_counts_every_minute() -> None:
    never: dict[str, Hours | None] = dict.fromkeys(HOURS)
    start = local(2026, 12, 6, 23, 0).astimezone(UTC)
    assert (add_business_minutes(start, 90, never, YANGON) - start).total_seconds() == 5400


def test_minutes_between_counts_only_opening_hours() -> None:
    start = local(2026, 12, 4, 17, 0).astimezone(UTC)
    end = local(2026, 12, 7, 10, 0).astimezone(UTC)
    # Friday 17-18 (60) + Saturday 09-18 (540) + Sunday closed + Monday 09-10 (60)
    assert business_minutes_between(start, end, HOURS, YANGON) == 660
    assert business_minutes_between(end, start, HOURS, YANGON) == 0
