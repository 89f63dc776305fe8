"""Who may be written to at all: live customers (not erased, not merged away) with consent on at
least one channel. The worker checks consent again, per channel, when it sends; this only keeps
a daily run from writing (and handing codes to) customers who said no to everything."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from regulars.customers.models import Consent, Customer
from regulars.kit.context import Ctx

_C = Customer


def _reachable(ctx: Ctx) -> ColumnElement[bool]:
    granted = select(Consent.customer_id).where(
        Consent.merchant_id == ctx.merchant_id, Consent.granted.is_(True)
    )
    return _C.id.in_(granted)


def _live(ctx: Ctx) -> tuple[ColumnElement[bool], ...]:
    return (
        _C.merchant_id == ctx.merchant_id,
        _C.erased_at.is_(None),
        _C.merged_into_id.is_(None),
        _reachable(ctx),
    )


def reachable(session: Session, ctx: Ctx, ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
    """Those of `ids` who are live and consent to some channel, in id order."""
    wanted = sorted(set(ids))
    found: list[uuid.UUID] = []
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found += session.scalars(select(_C.id).where(*_live(ctx), _C.id.in_(chunk)))
    return sorted(found)


def _month_day(session: Session, column: ColumnElement[date] | object) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(column, "MM-DD")
    return func.strftime("%m-%d", column)


def on_day(session: Session, ctx: Ctx, field: str, day: date) -> list[uuid.UUID]:
    """Reachable customers whose `field` (birthday, anniversary) falls on `day`'s month and day;
    on 28 February of a year without a 29th, those born on the 29th too."""
    column = getattr(_C, field)
    days = [day.strftime("%m-%d")]
    if day.month == 2 and day.day == 28 and not _leap(day.year):
        days.append("02-29")
    q = select(_C.id).where(*_live(ctx), column.is_not(None), _month_day(session, column).in_(days))
    return list(session.scalars(q.order_by(_C.id)))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def falls_on(value: date | None, day: date) -> bool:
    """Does a yearly date (a birthday) fall on `day`, by the rule of `on_day`?"""
    if value is None:
        return False
    if (value.month, value.day) == (day.month, day.day):
        return True
    return (
        (value.month, value.day) == (2, 29)
        and (day.month, day.day) == (2, 28)
        and not _leap(day.year)
    )
