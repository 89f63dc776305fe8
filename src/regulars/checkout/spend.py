"""What customers spent, for other domains: money paid less money refunded, all time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase
from regulars.kit.context import Ctx


def spend_by_customer(ctx: Ctx) -> Any:
    """A subquery of (customer_id, spend) over the merchant's member sales."""
    return (
        select(
            Purchase.customer_id.label("customer_id"),
            func.sum(Purchase.total - Purchase.refunded_total).label("spend"),
        )
        .where(Purchase.merchant_id == ctx.merchant_id, Purchase.customer_id.is_not(None))
        .group_by(Purchase.customer_id)
        .subquery("spend")
    )


def has_bought(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> bool:
    q = select(
        exists().where(Purchase.merchant_id == ctx.merchant_id, Purchase.customer_id == customer_id)
    )
    return bool(session.scalar(q))


def latest_member_sales(
    session: Session, ctx: Ctx, since: datetime, until: datetime
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(customer_id, purchase_id) of each member's newest sale in [since, until), not fully
    refunded: one per customer, for messages that follow a visit (a survey, a thank-you)."""
    p = Purchase
    rows = session.execute(
        select(p.customer_id, p.id, p.created_at)
        .where(
            p.merchant_id == ctx.merchant_id,
            p.customer_id.is_not(None),
            p.created_at >= since,
            p.created_at < until,
            (p.refunded_total < p.total) | (p.total == 0),
        )
        .order_by(p.customer_id, p.created_at.desc(), p.id)
    ).all()
    out: dict[uuid.UUID, uuid.UUID] = {}
    for customer_id, purchase_id, _at in rows:
        if customer_id is not None:
            out.setdefault(customer_id, purchase_id)
    return list(out.items())


def visits_and_spend(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> tuple[int, int]:
    """A customer's purchases (visits) and lifetime spend, by the (merchant, customer) index."""
    q = select(
        func.count(Purchase.id),
        func.coalesce(func.sum(Purchase.total - Purchase.refunded_total), 0),
    ).where(Purchase.merchant_id == ctx.merchant_id, Purchase.customer_id == customer_id)
    visits, spend = session.execute(q).one()
    return int(visits), int(spend)
