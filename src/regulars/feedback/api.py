from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from regulars.feedback import reviews, settings, surveys, tickets
from regulars.feedback.schemas import (
    ReviewCreate,
    ReviewOut,
    SurveyAnswer,
    SurveyCreate,
    SurveyCreated,
    SurveyOut,
    TicketCreate,
    TicketDetail,
    TicketMessageCreate,
    TicketMessageOut,
    TicketOut,
    TicketUpdate,
)
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["feedback"])


def _period(start: date | None, end: date | None) -> tuple[date, date]:
    end = end or clock.now().date()
    return start or end - timedelta(days=89), end


@router.get("/feedback/settings", response_model=settings.Settings)
def get_settings(t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: settings.get(s, ctx.merchant_id))


@router.put("/feedback/settings", response_model=settings.Settings)
def put_settings(body: settings.Settings, t: Tx = Depends(tx)) -> object:
    return t(settings.put, body)


# --- surveys -----------------------------------------------------------------------------------


@router.post("/surveys", response_model=SurveyCreated, status_code=201)
def create_survey(body: SurveyCreate, request: Request, t: Tx = Depends(tx)) -> object:
    """A survey for one customer; the answer link is in the response only (its token is not
    stored)."""

    def work(s: Session, ctx: Ctx) -> dict[str, Any]:
        made = surveys.create(s, ctx, body)
        link = str(request.base_url).rstrip("/") + surveys.link_path(ctx.merchant.slug, made.token)
        out = SurveyOut.model_validate(made.survey).model_dump()
        return out | {"token": made.token, "link": link}

    return t(work)


@router.get("/surveys/results")
def survey_results(
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    t: Tx = Depends(tx),
) -> dict[str, Any]:
    """NPS and CSAT for answers in the period (shop days; the last 90 by default), by month."""
    return t(surveys.results, *_period(start, end))


@router.get("/surveys/{survey_id}", response_model=SurveyOut)
def get_survey(survey_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(surveys.get, survey_id)


@router.post("/surveys/answers/{token}", response_model=SurveyOut)
def answer_survey(token: str, body: SurveyAnswer, t: Tx = Depends(tx)) -> object:
    """The same answer the public link takes, for a shop that collects it on its own device."""
    return t(surveys.answer, token, body)


# --- tickets -----------------------------------------------------------------------------------


@router.post("/tickets", response_model=TicketOut, status_code=201)
def create_ticket(body: TicketCreate, t: Tx = Depends(tx)) -> object:
    """Answers `first_response_due_at` and `resolution_due_at`: the priority's targets counted in
    the shop's business hours."""
    return t(tickets.create, body)


@router.get("/tickets", response_model=list[TicketOut])
def list_tickets(
    status: Literal["active", "open", "pending", "resolved", "closed"] | None = None,
    customer_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    t: Tx = Depends(tx),
) -> object:
    return t(tickets.list_tickets, status, customer_id, assignee_id)


@router.get("/tickets/figures")
def ticket_figures(
    start: date | None = Query(None, alias="from"),
    end: date | None = Query(None, alias="to"),
    t: Tx = Depends(tx),
) -> dict[str, Any]:
    """Median first response (business minutes) and the share within SLA."""
    return t(tickets.figures, *_period(start, end))


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
def get_ticket(ticket_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(tickets.detail, ticket_id)


@router.patch("/tickets/{ticket_id}", response_model=TicketOut)
def update_ticket(ticket_id: uuid.UUID, body: TicketUpdate, t: Tx = Depends(tx)) -> object:
    return t(tickets.update_ticket, ticket_id, body)


@router.post("/tickets/{ticket_id}/messages", response_model=TicketMessageOut, status_code=201)
def add_message(ticket_id: uuid.UUID, body: TicketMessageCreate, t: Tx = Depends(tx)) -> object:
    return t(tickets.add_message, ticket_id, body)


# --- reviews -----------------------------------------------------------------------------------


@router.post("/reviews", response_model=ReviewOut, status_code=201)
def submit_review(body: ReviewCreate, t: Tx = Depends(tx)) -> object:
    return t(reviews.submit, body)


@router.get("/reviews", response_model=list[ReviewOut])
def list_reviews(
    status: Literal["pending", "approved", "rejected"] | None = None,
    customer_id: uuid.UUID | None = None,
    t: Tx = Depends(tx),
) -> object:
    return t(reviews.list_reviews, status, customer_id)


@router.post("/reviews/{review_id}/approve", response_model=ReviewOut)
def approve_review(review_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    """Gives the program's points once; 409 when the review was already decided."""
    return t(reviews.decide, review_id, "approved")


@router.post("/reviews/{review_id}/reject", response_model=ReviewOut)
def reject_review(review_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(reviews.decide, review_id, "rejected")
