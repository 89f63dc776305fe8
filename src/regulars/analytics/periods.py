"""Periods in the shop's own days, and SQL that buckets a UTC timestamp into local days/months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.errors import InvalidField

PRESETS = (7, 30, 90, 365)
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    """Local calendar days `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of `first` to local midnight after `last`."""
        zone = ZoneInfo(timezone)
        start = datetime.combine(self.first, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(0), zone).astimezone(UTC)
        return start, end

    def each_day(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]


def last_days(days: int, timezone: str) -> Period:
    today = clock.today(timezone)
    return Period(today - timedelta(days=days - 1), today)


def parse(first: date | None, last: date | None, timezone: str, days: int | None = None) -> Period:
    """A custom range (`from`, `to`), or the last `days` days (30 unless told); bad input names
    the field."""
    if first is None and last is None:
        return last_days(days or DEFAULT_DAYS, timezone)
    if first is None:
        raise InvalidField("from", "give from with to")
    last = last or clock.today(timezone)
    if last < first:
        raise InvalidField("to", "must not be before from")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidField("from", f"a period is at most {MAX_DAYS} days")
    return Period(first, last)


def _offset(timezone: str) -> str:
    minutes = int(
        (clock.now().astimezone(ZoneInfo(timezone)).utcoffset() or timedelta())
        // timedelta(minutes=1)
    )
    return f"{minutes:+d} minutes"


def local_day(session: Session, column: Any, timezone: str) -> Any:
    """`YYYY-MM-DD` of the shop's day. PostgreSQL converts with the zone's rules; SQLite shifts by
    the zone's offset now (the shops' zones keep no daylight saving)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(timezone, column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column, _offset(timezone))


def local_month(session: Session, column: Any, timezone: str) -> Any:
    """`YYYY-MM` of the shop's month, as `local_day`."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(timezone, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, _offset(timezone))
