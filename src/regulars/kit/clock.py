"""The one source of "now". Tests move time with `frozen()`; code never calls datetime.now()."""

from __future__ import annotations

import calendar
import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now() -> datetime:
    """Aware UTC datetime."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today(timezone: str) -> date:
    """The calendar date in the merchant's time zone (birthdays, "today" reports)."""
    return now().astimezone(ZoneInfo(timezone)).date()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def add_months(at: datetime, months: int) -> datetime:
    """Same day and time `months` later (or earlier), clamped to the month's last day."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))
