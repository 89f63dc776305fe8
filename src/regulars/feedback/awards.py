"""Engagement awards kept once: the (customer, what, ref) row is inserted first, and only the
call that inserted it posts the points (loyalty/engagement.py). A concurrent second call, or a
job run twice, finds the row and gives nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.customers.models import Customer
from regulars.feedback.models import EngagementAward
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.sql import insert_ignore
from regulars.loyalty import engagement


def give(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, what: engagement.What, ref: str
) -> int:
    """The program's points for `what` (0 when the program gives none or this was given)."""
    points = engagement.points_for(session, ctx, what)
    if points <= 0:
        return 0
    row = {
        "merchant_id": ctx.merchant_id,
        "customer_id": customer_id,
        "what": what,
        "ref": ref,
        "points": points,
        "awarded_at": clock.now(),
    }
    if not insert_ignore(session, EngagementAward.__table__, row):  # type: ignore[arg-type]
        return 0
    return engagement.credit(session, ctx, customer_id, what, points)


def profile_complete(customer: Customer) -> bool:
    return bool(customer.name and customer.email and customer.birthday)


def give_profile(session: Session, ctx: Ctx, customer: Customer) -> int:
    """Points once for a completed profile (name, email and birthday)."""
    if not profile_complete(customer):
        return 0
    return give(session, ctx, customer.id, "profile", "profile")


def profiles_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    """Customers with a complete profile and no profile award yet (the daily job's read)."""
    awarded = select(EngagementAward.customer_id).where(
        EngagementAward.merchant_id == ctx.merchant_id, EngagementAward.what == "profile"
    )
    return list(
        session.scalars(
            select(Customer.id).where(
                Customer.merchant_id == ctx.merchant_id,
                Customer.erased_at.is_(None),
                Customer.merged_into_id.is_(None),
                Customer.name.is_not(None),
                Customer.email.is_not(None),
                Customer.birthday.is_not(None),
                Customer.id.not_in(awarded),
            )
        )
    )
