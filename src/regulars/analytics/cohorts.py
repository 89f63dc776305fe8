"""Cohort retention: customers grouped by the local month of their first purchase, and how many
of each cohort bought again in each later month (docs/analytics.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.analytics.periods import local_month
from regulars.checkout.models import Purchase
from regulars.kit import clock
from regulars.kit.context import Ctx

DEFAULT_MONTHS = 12
P = Purchase


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_back(today: date, count: int) -> list[str]:
    """The `count` months up to and including this one, oldest first."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def matrix(session: Session, ctx: Ctx, months: int = DEFAULT_MONTHS) -> dict[str, Any]:
    """One grouped read: (first-purchase month, purchase month) -> distinct customers. Row `c`
    holds the cohort's size and, for each month offset k = 0, 1, ..., the customers who bought
    in month c + k (k = 0 is the whole cohort); offsets that have not happened yet are absent."""
    tz = ctx.merchant.timezone
    keys = months_back(clock.today(tz), months)
    first = (
        select(P.customer_id.label("customer_id"), func.min(P.created_at).label("first_at"))
        .where(P.merchant_id == ctx.merchant_id, P.customer_id.is_not(None))
        .group_by(P.customer_id)
        .subquery()
    )
    cohort = local_month(session, first.c.first_at, tz).label("cohort")
    month = local_month(session, P.created_at, tz).label("month")
    q = (
        select(cohort, month, func.count(func.distinct(P.customer_id)))
        .join(first, (first.c.customer_id == P.customer_id))
        .where(P.merchant_id == ctx.merchant_id)
        .group_by(cohort, month)
    )
    cells: dict[str, dict[str, int]] = {}
    for c, m, n in session.execute(q):
        if str(c) >= keys[0]:
            cells.setdefault(str(c), {})[str(m)] = int(n)
    rows = []
    for i, key in enumerate(keys):
        got = cells.get(key, {})
        size = got.get(key, 0)
        retained = [got.get(later, 0) for later in keys[i:]]
        rows.append({"cohort": key, "customers": size, "retained": retained})
    return {"months": keys, "rows": rows}


def percent_rows(data: dict[str, Any]) -> list[list[int | None]]:
    """Each cell as basis points of its cohort's size (None for an empty cohort)."""
    out: list[list[int | None]] = []
    for row in data["rows"]:
        size = row["customers"]
        out.append([(n * 10_000 + size // 2) // size if size else None for n in row["retained"]])
    return out
