"""Rewarded reviews and posts (F3, L7): a customer sends a review or the link to a post about
the shop; staff approve or reject it. Approval is one conditional UPDATE from `pending`, so two
managers approving at once give the points once; the award row (feedback/awards.py) backs that
up."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.feedback import awards
from regulars.feedback.models import Review
from regulars.feedback.schemas import ReviewCreate
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.merchants import service as merchants


def submit(session: Session, ctx: Ctx, data: ReviewCreate) -> Review:
    if data.kind == "post" and data.url is None:
        raise InvalidField("url", "a post needs its link")
    if data.kind == "review" and data.body is None and data.rating is None:
        raise InvalidField("body", "a review needs words or a rating")
    customers.get_customer(session, ctx, data.customer_id, details=False)
    review = Review(
        merchant_id=ctx.merchant_id,
        customer_id=data.customer_id,
        kind=data.kind,
        rating=data.rating,
        body=data.body,
        url=str(data.url) if data.url is not None else None,
        status="pending",
        points_awarded=0,
        created_at=clock.now(),
    )
    session.add(review)
    session.flush()
    return review


def get(session: Session, ctx: Ctx, review_id: uuid.UUID) -> Review:
    review = session.get(Review, (ctx.merchant_id, review_id), populate_existing=True)
    if review is None:
        raise NotFound("review not found")
    return review


def list_reviews(
    session: Session,
    ctx: Ctx,
    status: str | None = None,
    customer_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[Review]:
    q = select(Review).where(Review.merchant_id == ctx.merchant_id)
    if status is not None:
        q = q.where(Review.status == status)
    if customer_id is not None:
        q = q.where(Review.customer_id == customer_id)
    return list(session.scalars(q.order_by(Review.created_at.desc(), Review.id).limit(limit)))


def decide(
    session: Session, ctx: Ctx, review_id: uuid.UUID, verdict: Literal["approved", "rejected"]
) -> Review:
    """Approve (points once) or reject a pending review; 409 when it was already decided."""
    merchants.require_role(ctx, "manager")
    review = get(session, ctx, review_id)
    taken = session.execute(
        update(Review)
        .where(
            Review.merchant_id == ctx.merchant_id,
            Review.id == review_id,
            Review.status == "pending",
        )
        .values(status=verdict, decided_by=ctx.actor.id, decided_at=clock.now())
        .returning(Review.id)
    ).first()
    if taken is None:
        raise Conflict(f"this {review.kind} was already {review.status}")
    if verdict == "approved":
        what: Literal["review", "post"] = "post" if review.kind == "post" else "review"
        points = awards.give(session, ctx, review.customer_id, what, str(review.id))
        session.execute(
            update(Review)
            .where(Review.merchant_id == ctx.merchant_id, Review.id == review_id)
            .values(points_awarded=points)
        )
    merchants.record_audit(session, ctx, f"review.{verdict}", "review", review_id)
    return get(session, ctx, review_id)
