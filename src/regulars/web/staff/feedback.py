"""Staff pages for listening: the complaint queue with its SLA timers, one ticket's thread,
survey results with a chart, and reviews and posts waiting for a decision."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.feedback import reviews, surveys, tickets
from regulars.feedback.notify import PRIORITY_NAMES
from regulars.feedback.schemas import TicketMessageCreate, TicketUpdate
from regulars.feedback.settings import PRIORITIES
from regulars.kit import clock
from regulars.kit.errors import ProblemError
from regulars.merchants import service as merchants
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)

STATUS_NAMES = {
    "open": N_("Open"),
    "pending": N_("Waiting for the customer"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
}
EMPTY_REPLY = N_("Write a reply first.")


def timer(ticket: Any, now: datetime) -> dict[str, Any]:
    """The deadline that matters next and the minutes left (negative: overdue by)."""
    if ticket.status in tickets.DONE:
        return {"kind": "done", "minutes": 0}
    first = ticket.first_responded_at is None
    due = ticket.first_response_due_at if first else ticket.resolution_due_at
    minutes = int((due - now) / timedelta(minutes=1))
    return {"kind": "first_response" if first else "resolution", "minutes": minutes, "due": due}


def _page(
    request: Request, staff: Staff, template: str, status: int = 200, **values: Any
) -> Response:
    return page(
        request, template, staff.lang, status=status, staff=staff, section="tickets",
        tz=staff.ctx.merchant.timezone, statuses=STATUS_NAMES, priorities=PRIORITY_NAMES, **values,
    )  # fmt: skip


@router.get("/tickets")
def ticket_list(
    request: Request,
    show: str = "active",
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    show = show if show in ("active", "resolved", "closed") else "active"
    today = clock.today(staff.ctx.merchant.timezone)

    def load(s: Session) -> dict[str, Any]:
        rows = tickets.list_tickets(s, staff.ctx, show)
        names = customers.names_of(s, staff.ctx, {t.customer_id for t in rows})
        return {
            "rows": rows,
            "names": names,
            "figures": tickets.figures(s, staff.ctx, today - timedelta(days=29), today),
        }

    view = db.run(load, write=False)
    now = clock.now()
    return _page(
        request,
        staff,
        "staff/tickets.html",
        show=show,
        timers={t.id: timer(t, now) for t in view["rows"]},
        **view,
    )


def _ticket_page(
    request: Request,
    staff: Staff,
    db: Database,
    ticket_id: uuid.UUID,
    status: int = 200,
    error: str | None = None,
    reply: str = "",
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        ticket = tickets.get(s, staff.ctx, ticket_id)
        manager = staff.ctx.actor.at_least("manager")
        return {
            "ticket": ticket,
            "messages": tickets.messages(s, staff.ctx, ticket_id),
            "customer": customers.get_customer(s, staff.ctx, ticket.customer_id, details=False),
            "people": list(merchants.list_staff(s, staff.ctx)) if manager else [],
            "breaches": [b.kind for b in tickets.breaches(s, staff.ctx, ticket_id)],
        }

    view = db.run(load, write=False)
    return _page(
        request,
        staff,
        "staff/ticket.html",
        status,
        timer=timer(view["ticket"], clock.now()),
        error=error,
        reply=reply,
        priority_codes=PRIORITIES,
        **view,
    )


@router.get("/tickets/{ticket_id}")
def ticket_page(
    request: Request,
    ticket_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _ticket_page(request, staff, db, ticket_id)


@router.post("/tickets/{ticket_id}/reply", dependencies=[Depends(check_csrf)])
def reply(
    request: Request,
    ticket_id: uuid.UUID,
    body: str = Form("", max_length=5000),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    try:
        data = TicketMessageCreate(body=body, author_type="staff")
    except ValidationError:
        return _ticket_page(request, staff, db, ticket_id, 422, EMPTY_REPLY, body)
    db.run(lambda s: tickets.add_message(s, staff.ctx, ticket_id, data))
    return RedirectResponse(f"/tickets/{ticket_id}#thread", status_code=303)


@router.post("/tickets/{ticket_id}/update", dependencies=[Depends(check_csrf)])
def update(
    request: Request,
    ticket_id: uuid.UUID,
    status: str = Form(...),
    priority: str = Form(...),
    assignee: str = Form(""),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    fields: dict[str, Any] = {"status": status, "priority": priority}
    if staff.ctx.actor.at_least("manager"):
        fields |= {"assignee_id": assignee} if assignee else {"unassign": True}
    try:
        data = TicketUpdate.model_validate(fields)
        db.run(lambda s: tickets.update_ticket(s, staff.ctx, ticket_id, data))
    except (ValidationError, ProblemError):
        return _ticket_page(request, staff, db, ticket_id, 422, N_("Choose from the lists."))
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


# --- surveys and reviews ------------------------------------------------------------------------


@router.get("/feedback")
def feedback_page(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    today = clock.today(staff.ctx.merchant.timezone)
    start = today.replace(day=1) - timedelta(days=150)

    def load(s: Session) -> dict[str, Any]:
        pending = reviews.list_reviews(s, staff.ctx, "pending")
        return {
            "results": surveys.results(s, staff.ctx, start.replace(day=1), today),
            "pending": pending,
            "names": customers.names_of(s, staff.ctx, {r.customer_id for r in pending}),
        }

    view = db.run(load, write=False)
    return page(
        request, "staff/feedback.html", staff.lang, staff=staff, section="feedback",
        tz=staff.ctx.merchant.timezone, manager=staff.ctx.actor.at_least("manager"), **view,
    )  # fmt: skip


@router.post("/reviews/{review_id}/{verdict}", dependencies=[Depends(check_csrf)])
def decide(
    review_id: uuid.UUID,
    verdict: str,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    if verdict in ("approve", "reject"):
        outcome: Literal["approved", "rejected"] = (
            "approved" if verdict == "approve" else "rejected"
        )
        try:
            db.run(lambda s: reviews.decide(s, staff.ctx, review_id, outcome))
        except ProblemError as exc:
            if exc.status != 409:  # decided by someone else a moment ago: the list shows it
                raise
    return RedirectResponse("/feedback#reviews", status_code=303)
