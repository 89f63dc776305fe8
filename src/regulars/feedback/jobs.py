"""Feedback's daily jobs (daily.JOBS): surveys after yesterday's visits, SLA breach alerts, and
points for profiles completed. Each does one customer or ticket per transaction and is safe to
run twice (unique survey per purchase, one breach row per ticket and kind, one award row)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from regulars.checkout import spend
from regulars.customers import service as customers
from regulars.feedback import awards, notify, settings, surveys, tickets
from regulars.feedback.schemas import SurveyCreate
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict


def visits_due(session: Session, ctx: Ctx) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Each member's newest sale of the shop's yesterday and today so far (a run that was
    missed yesterday still asks), when surveys after a purchase are on."""
    if not settings.get(session, ctx.merchant_id).survey_after_purchase:
        return []
    tz = ZoneInfo(ctx.merchant.timezone)
    today = clock.now().astimezone(tz).date()
    since = datetime.combine(today - timedelta(days=1), time(0), tzinfo=tz)
    return spend.latest_member_sales(session, ctx, since, clock.now())


def survey_one(session: Session, ctx: Ctx, item: tuple[uuid.UUID, uuid.UUID]) -> int:
    customer_id, purchase_id = item
    config = settings.get(session, ctx.merchant_id)
    body = SurveyCreate(customer_id=customer_id, purchase_id=purchase_id, kind=config.survey_kind)
    try:
        with session.begin_nested():
            made = surveys.create(session, ctx, body)
    except Conflict:
        return 0  # this visit was asked about already
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    notify.survey_invite(session, ctx, customer, made.survey, made.token)
    return 1


def ticket_one(session: Session, ctx: Ctx, ticket_id: uuid.UUID) -> int:
    return len(tickets.alert_breaches(session, ctx, ticket_id))


def profile_one(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    return int(awards.give_profile(session, ctx, customer) > 0)
