"""Surveys (F1): NPS (0-10) or CSAT (1-5) after a purchase, answered by a tokenised link with no
sign-in. The token is 128 random bits; only its SHA-256 is stored. One answer per token: the
answer is one conditional UPDATE (`answered_at IS NULL`), so two concurrent answers leave one
score and one award. Points for answering come from the program (`engagement.survey_points`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.feedback import awards, settings
from regulars.feedback.models import Survey
from regulars.feedback.schemas import SurveyAnswer, SurveyCreate
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound

SCALES = {"nps": (0, 10), "csat": (1, 5)}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_path(slug: str, token: str) -> str:
    return f"/f/{slug}/{token}"


@dataclass(frozen=True)
class Created:
    survey: Survey
    token: str


def create(session: Session, ctx: Ctx, data: SurveyCreate) -> Created:
    customers.get_customer(session, ctx, data.customer_id, details=False)
    if data.purchase_id is not None:
        found = session.scalar(
            select(Survey.id).where(
                Survey.merchant_id == ctx.merchant_id, Survey.purchase_id == data.purchase_id
            )
        )
        if found is not None:
            raise Conflict("this purchase already has a survey")
    valid_days = settings.get(session, ctx.merchant_id).survey_valid_days
    token = secrets.token_urlsafe(16)
    now = clock.now()
    survey = Survey(
        merchant_id=ctx.merchant_id,
        customer_id=data.customer_id,
        purchase_id=data.purchase_id,
        kind=data.kind,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    session.add(survey)
    session.flush()
    return Created(survey, token)


def get(session: Session, ctx: Ctx, survey_id: uuid.UUID) -> Survey:
    survey = session.get(Survey, (ctx.merchant_id, survey_id))
    if survey is None:
        raise NotFound("survey not found")
    return survey


def by_token(session: Session, merchant_id: uuid.UUID, token: str) -> Survey | None:
    """The survey a link opens (answered or expired ones too, so the page can say so)."""
    return session.scalar(
        select(Survey).where(Survey.merchant_id == merchant_id, Survey.token_hash == _hash(token))
    )


def answer(session: Session, ctx: Ctx, token: str, data: SurveyAnswer) -> Survey:
    """Records the one answer of a token; 409 when already answered, 404 unknown or expired."""
    survey = by_token(session, ctx.merchant_id, token)
    now = clock.now()
    if survey is None or survey.expires_at <= now:
        raise NotFound("this survey link is unknown or has expired")
    low, high = SCALES[survey.kind]
    if not low <= data.score <= high:
        raise InvalidField("score", f"must be from {low} to {high}")
    taken = session.execute(
        update(Survey)
        .where(
            Survey.merchant_id == ctx.merchant_id,
            Survey.id == survey.id,
            Survey.answered_at.is_(None),
        )
        .values(answered_at=now, score=data.score, comment=data.comment)
        .returning(Survey.id)
    ).first()
    if taken is None:
        raise Conflict("this survey has already been answered")
    awards.give(session, ctx, survey.customer_id, "survey", str(survey.id))
    session.refresh(survey)
    return survey


def list_for(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[Survey]:
    return list(
        session.scalars(
            select(Survey)
            .where(Survey.merchant_id == ctx.merchant_id, Survey.customer_id == customer_id)
            .order_by(Survey.created_at.desc())
        )
    )


def results(session: Session, ctx: Ctx, start: date, end: date) -> dict[str, Any]:
    """NPS (promoters 9-10 minus detractors 0-6, in percent of answers) and CSAT (share of 4-5)
    for answers in [start, end] (shop days), with the same by month for the chart (A6)."""
    tz = ZoneInfo(ctx.merchant.timezone)
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = session.execute(
        select(Survey.kind, Survey.score, Survey.answered_at).where(
            Survey.merchant_id == ctx.merchant_id,
            Survey.answered_at >= lo,
            Survey.answered_at < hi,
        )
    ).all()
    months: dict[str, list[tuple[str, int]]] = {}
    every: list[tuple[str, int]] = []
    for kind, score, at in rows:
        if score is None or at is None:
            continue
        every.append((kind, score))
        months.setdefault(at.astimezone(tz).strftime("%Y-%m"), []).append((kind, score))
    return {
        "from": start,
        "to": end,
        **_figures(every),
        "by_month": [{"month": m, **_figures(v)} for m, v in sorted(months.items())],
    }


def _figures(answers: list[tuple[str, int]]) -> dict[str, Any]:
    nps = [s for k, s in answers if k == "nps"]
    csat = [s for k, s in answers if k == "csat"]
    promoters = sum(s >= 9 for s in nps)
    detractors = sum(s <= 6 for s in nps)
    satisfied = sum(s >= 4 for s in csat)
    return {
        "nps": {
            "responses": len(nps),
            "promoters": promoters,
            "passives": len(nps) - promoters - detractors,
            "detractors": detractors,
            "score": round(100 * (promoters - detractors) / len(nps)) if nps else None,
        },
        "csat": {
            "responses": len(csat),
            "satisfied": satisfied,
            "percent": round(100 * satisfied / len(csat)) if csat else None,
        },
    }
