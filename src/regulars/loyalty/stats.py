"""Point figures for analytics, read from loyalty's own tables (others never name them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from regulars.kit.context import Ctx
from regulars.loyalty.models import PointsEntry

ISSUED_KINDS = ("earn", "bonus", "referral")
REDEEMED_KINDS = ("redeem", "payment")


def points_flow(session: Session, ctx: Ctx, start: datetime, end: datetime) -> tuple[int, int]:
    """Points issued (earned, bonus, referral) and redeemed (rewards, points as payment) in
    [start, end), both as positive numbers; one grouped read."""
    e = PointsEntry
    issued = case((e.kind.in_(ISSUED_KINDS) & (e.points > 0), e.points), else_=0)
    redeemed = case((e.kind.in_(REDEEMED_KINDS) & (e.points < 0), -e.points), else_=0)
    q = select(func.coalesce(func.sum(issued), 0), func.coalesce(func.sum(redeemed), 0)).where(
        e.merchant_id == ctx.merchant_id, e.created_at >= start, e.created_at < end
    )
    row = session.execute(q).one()
    return int(row[0]), int(row[1])


def outstanding_points(session: Session, ctx: Ctx, at: datetime) -> int:
    """Points members held at `at`: each customer's ledger sum up to then, debts counted as 0."""
    e = PointsEntry
    per_customer = (
        select(func.sum(e.points).label("held"))
        .where(e.merchant_id == ctx.merchant_id, e.created_at < at)
        .group_by(e.customer_id)
        .subquery()
    )
    held = per_customer.c.held
    q = select(func.coalesce(func.sum(case((held > 0, held), else_=0)), 0))
    return int(session.scalar(q) or 0)
