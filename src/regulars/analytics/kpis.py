"""The dashboard's KPIs for a period (docs/analytics.md): SQL aggregates, one grouped query per
figure family, the same statements on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from math import floor
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from regulars.analytics.periods import Period, local_day
from regulars.checkout.models import Purchase
from regulars.kit.context import Ctx
from regulars.loyalty import service as loyalty
from regulars.loyalty import stats as points

AT_RISK_DAYS = 60
CHURN_DAYS = 180

P = Purchase
NET = P.total - P.refunded_total  # what the customer paid in money, less what was refunded


@dataclass(frozen=True)
class Thresholds:
    """A member is at risk when their last purchase is `at_risk_days` or more before the end of
    the period, churned at `churn_days` or more."""

    at_risk_days: int = AT_RISK_DAYS
    churn_days: int = CHURN_DAYS


def half_up(value: Fraction) -> int:
    return floor(value + Fraction(1, 2))


def ratio(numerator: int, denominator: int) -> dict[str, int | None]:
    """An exact fraction with its value in basis points (x 10,000, halves up); None when the
    denominator is 0."""
    bp = half_up(Fraction(numerator * 10_000, denominator)) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "basis_points": bp}


def average(total: int, count: int) -> int | None:
    return half_up(Fraction(total, count)) if count else None


def uplift(a_total: int, a_count: int, b_total: int, b_count: int) -> int | None:
    """How much more (basis points; negative: less) an average A is than an average B."""
    if not (a_count and b_count and b_total):
        return None
    return half_up((Fraction(a_total * b_count, a_count * b_total) - 1) * 10_000)


@dataclass(frozen=True)
class Counts:
    sales: int
    revenue: int
    member_sales: int
    member_revenue: int
    non_member_sales: int
    non_member_revenue: int
    active_members: int
    new_customers: int
    new_revenue: int
    returning_customers: int
    returning_revenue: int
    repeat_customers: int
    buyers: int
    at_risk: int
    churned: int
    points_issued: int
    points_redeemed: int
    points_outstanding: int
    point_value: int

    def figures(self) -> dict[str, Any]:
        """The counts and what follows from them: rates, averages, the liability in money."""
        return asdict(self) | {
            "repeat_purchase_rate": ratio(self.repeat_customers, self.active_members),
            "purchase_frequency": ratio(self.member_sales, self.active_members),
            "redemption_rate": ratio(self.points_redeemed, self.points_issued),
            "average_spend_new": average(self.new_revenue, self.new_customers),
            "average_spend_returning": average(self.returning_revenue, self.returning_customers),
            "returning_spend_more_bp": uplift(
                self.returning_revenue,
                self.returning_customers,
                self.new_revenue,
                self.new_customers,
            ),
            "average_member_sale": average(self.member_revenue, self.member_sales),
            "average_non_member_sale": average(self.non_member_revenue, self.non_member_sales),
            "member_sale_more_bp": uplift(
                self.member_revenue,
                self.member_sales,
                self.non_member_revenue,
                self.non_member_sales,
            ),
            "points_liability": self.points_outstanding * self.point_value,
        }


def sales_split(
    session: Session, ctx: Ctx, start: datetime, end: datetime
) -> dict[bool, tuple[int, int]]:
    """Sales and revenue in [start, end), members' (True) and anonymous (False)."""
    member = P.customer_id.is_not(None)
    q = (
        select(member.label("member"), func.count(), func.coalesce(func.sum(NET), 0))
        .where(P.merchant_id == ctx.merchant_id, P.created_at >= start, P.created_at < end)
        .group_by(member)
    )
    found = {bool(m): (int(n), int(r)) for m, n, r in session.execute(q)}
    return {k: found.get(k, (0, 0)) for k in (True, False)}


def members(
    session: Session, ctx: Ctx, start: datetime, end: datetime, limits: Thresholds
) -> dict[str, int]:
    """One pass over each member's purchases up to `end`: who bought in the period, new or
    returning, repeat buyers, and who is at risk or churned at `end`."""
    in_period = P.created_at >= start
    per = (
        select(
            func.min(P.created_at).label("first_at"),
            func.max(P.created_at).label("last_at"),
            func.count().label("n"),
            func.sum(case((in_period, 1), else_=0)).label("n_in"),
            func.sum(case((in_period, NET), else_=0)).label("rev_in"),
        )
        .where(P.merchant_id == ctx.merchant_id, P.customer_id.is_not(None), P.created_at < end)
        .group_by(P.customer_id)
        .subquery()
    )
    active = per.c.n_in > 0
    new = and_(active, per.c.first_at >= start)
    returning = and_(active, per.c.first_at < start)
    risk_cut = end - timedelta(days=limits.at_risk_days)
    churn_cut = end - timedelta(days=limits.churn_days)

    def count(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    def total(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, per.c.rev_in), else_=0)), 0)

    q = select(
        count(active).label("active_members"),
        count(new).label("new_customers"),
        total(new).label("new_revenue"),
        count(returning).label("returning_customers"),
        total(returning).label("returning_revenue"),
        count(and_(active, per.c.n >= 2)).label("repeat_customers"),
        func.count().label("buyers"),
        count(and_(per.c.last_at < risk_cut, per.c.last_at >= churn_cut)).label("at_risk"),
        count(per.c.last_at < churn_cut).label("churned"),
    )
    return {k: int(v) for k, v in session.execute(q).one()._mapping.items()}


def counts(session: Session, ctx: Ctx, period: Period, limits: Thresholds) -> Counts:
    start, end = period.bounds(ctx.merchant.timezone)
    split = sales_split(session, ctx, start, end)
    issued, redeemed = points.points_flow(session, ctx, start, end)
    _version, program, _at = loyalty.current_program(session, ctx)
    return Counts(
        sales=split[True][0] + split[False][0],
        revenue=split[True][1] + split[False][1],
        member_sales=split[True][0],
        member_revenue=split[True][1],
        non_member_sales=split[False][0],
        non_member_revenue=split[False][1],
        **members(session, ctx, start, end, limits),
        points_issued=issued,
        points_redeemed=redeemed,
        points_outstanding=points.outstanding_points(session, ctx, end),
        point_value=program.points_payment.point_value,
    )


def kpis(session: Session, ctx: Ctx, period: Period, limits: Thresholds) -> dict[str, Any]:
    """This period's figures and the previous period's, for comparison."""
    before = period.previous()
    return {
        "currency": ctx.merchant.currency,
        "period": {"from": period.first, "to": period.last},
        "previous_period": {"from": before.first, "to": before.last},
        "thresholds": asdict(limits),
        "current": counts(session, ctx, period, limits).figures(),
        "previous": counts(session, ctx, before, limits).figures(),
    }


def daily_revenue(session: Session, ctx: Ctx, period: Period) -> list[dict[str, Any]]:
    """Revenue per local day of the period, members' and anonymous, days without sales as 0."""
    start, end = period.bounds(ctx.merchant.timezone)
    day = local_day(session, P.created_at, ctx.merchant.timezone).label("day")
    member = P.customer_id.is_not(None)
    q = (
        select(
            day,
            func.coalesce(func.sum(case((member, NET), else_=0)), 0),
            func.coalesce(func.sum(case((member, 0), else_=NET)), 0),
            func.count(),
        )
        .where(P.merchant_id == ctx.merchant_id, P.created_at >= start, P.created_at < end)
        .group_by(day)
    )
    found = {str(d): (int(m), int(a), int(n)) for d, m, a, n in session.execute(q)}
    out = []
    for d in period.each_day():
        m, a, n = found.get(d.isoformat(), (0, 0, 0))
        out.append({"day": d, "members": m, "non_members": a, "sales": n})
    return out
