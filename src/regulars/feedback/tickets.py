"""Complaint tickets (F2) with service-level targets in the shop's business hours.

A ticket gets two deadlines when it opens: the first staff reply and the resolution, each the
priority's target in business minutes (feedback/settings.py). The first staff message sets
`first_responded_at`; status `resolved` or `closed` sets `resolved_at`, and reopening clears it.
Breaches are found by the daily job `tickets.sla`: one `ticket_breaches` row per (ticket, kind)
is the alert, and the managers hear of it through the outbox, once, however often the job runs.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.feedback import notify, settings
from regulars.feedback.models import Ticket, TicketBreach, TicketMessage
from regulars.feedback.schemas import TicketCreate, TicketMessageCreate, TicketOut, TicketUpdate
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.kit.sql import insert_ignore
from regulars.merchants import service as merchants

OPEN = ("open", "pending")
DONE = ("resolved", "closed")


def create(session: Session, ctx: Ctx, data: TicketCreate, source: str = "api") -> Ticket:
    customers.get_customer(session, ctx, data.customer_id, details=False)
    config = settings.get(session, ctx.merchant_id)
    if data.category not in config.categories:
        raise InvalidField("category", f"must be one of {', '.join(config.categories)}")
    target = config.sla[data.priority]
    now = clock.now()
    tz = ctx.merchant.timezone
    hours = config.business_hours
    ticket = Ticket(
        merchant_id=ctx.merchant_id,
        customer_id=data.customer_id,
        category=data.category,
        priority=data.priority,
        subject=data.subject,
        status="open",
        source=source,
        created_at=now,
        first_response_due_at=settings.add_business_minutes(
            now, target.first_response_minutes, hours, tz
        ),
        resolution_due_at=settings.add_business_minutes(now, target.resolution_minutes, hours, tz),
    )
    session.add(ticket)
    session.flush()
    if data.body:  # the complaint in the customer's words, whoever typed it in
        _add_message(session, ctx, ticket, data.body, "customer")
    merchants.record_audit(session, ctx, "ticket.opened", "ticket", ticket.id)
    return ticket


def get(session: Session, ctx: Ctx, ticket_id: uuid.UUID) -> Ticket:
    ticket = session.get(Ticket, (ctx.merchant_id, ticket_id), populate_existing=True)
    if ticket is None:
        raise NotFound("ticket not found")
    return ticket


def messages(session: Session, ctx: Ctx, ticket_id: uuid.UUID) -> list[TicketMessage]:
    return list(
        session.scalars(
            select(TicketMessage)
            .where(
                TicketMessage.merchant_id == ctx.merchant_id, TicketMessage.ticket_id == ticket_id
            )
            .order_by(TicketMessage.created_at, TicketMessage.id)
        )
    )


def detail(session: Session, ctx: Ctx, ticket_id: uuid.UUID) -> dict[str, Any]:
    ticket = get(session, ctx, ticket_id)
    out = {c: getattr(ticket, c) for c in TicketOut.model_fields}
    return out | {"messages": messages(session, ctx, ticket_id)}


def list_tickets(
    session: Session,
    ctx: Ctx,
    status: str | None = None,
    customer_id: uuid.UUID | None = None,
    assignee_id: uuid.UUID | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """Open ones first, soonest deadline first: the order a person works them in."""
    q = select(Ticket).where(Ticket.merchant_id == ctx.merchant_id)
    if status == "active":
        q = q.where(Ticket.status.in_(OPEN))
    elif status is not None:
        q = q.where(Ticket.status == status)
    if customer_id is not None:
        q = q.where(Ticket.customer_id == customer_id)
    if assignee_id is not None:
        q = q.where(Ticket.assignee_id == assignee_id)
    q = q.order_by(Ticket.status.in_(DONE), Ticket.resolution_due_at, Ticket.id).limit(limit)
    return list(session.scalars(q))


def _add_message(
    session: Session, ctx: Ctx, ticket: Ticket, body: str, author: str
) -> TicketMessage:
    now = clock.now()
    message = TicketMessage(
        merchant_id=ctx.merchant_id,
        ticket_id=ticket.id,
        author_type=author,
        author_id=ticket.customer_id if author == "customer" else ctx.actor.id,
        body=body,
        created_at=now,
    )
    session.add(message)
    if author == "staff" and ticket.first_responded_at is None:
        ticket.first_responded_at = now
    if author == "customer" and ticket.status in DONE:
        ticket.status, ticket.resolved_at = "open", None  # the customer came back: reopen
    session.flush()
    return message


def add_message(
    session: Session, ctx: Ctx, ticket_id: uuid.UUID, data: TicketMessageCreate
) -> TicketMessage:
    ticket = get(session, ctx, ticket_id)
    author = "customer" if ctx.actor.kind == "customer" else data.author_type
    return _add_message(session, ctx, ticket, data.body, author)


def update_ticket(session: Session, ctx: Ctx, ticket_id: uuid.UUID, data: TicketUpdate) -> Ticket:
    ticket = get(session, ctx, ticket_id)
    changes: dict[str, Any] = {}
    if data.assignee_id is not None:
        staff = {s.id for s in merchants.list_staff(session, ctx)}
        if data.assignee_id not in staff:
            raise InvalidField("assignee_id", "no such staff member")
        changes["assignee_id"] = data.assignee_id
    elif data.unassign:
        changes["assignee_id"] = None
    if data.priority is not None and data.priority != ticket.priority:
        changes["priority"] = data.priority
    if data.status is not None and data.status != ticket.status:
        changes["status"] = data.status
        ticket.resolved_at = clock.now() if data.status in DONE else None
    for key, value in changes.items():
        setattr(ticket, key, value)
    session.flush()
    if changes:
        merchants.record_audit(
            session,
            ctx,
            "ticket.updated",
            "ticket",
            ticket.id,
            {k: str(v) for k, v in changes.items()},
        )
    return ticket


# --- SLA ---------------------------------------------------------------------------------------


def breached(ticket: Ticket, now: datetime) -> list[tuple[str, datetime]]:
    """The targets this ticket has missed by `now`."""
    out = []
    responded = ticket.first_responded_at
    if (responded or now) > ticket.first_response_due_at:
        out.append(("first_response", ticket.first_response_due_at))
    resolved = ticket.resolved_at if ticket.status in DONE else None
    if (resolved or now) > ticket.resolution_due_at:
        out.append(("resolution", ticket.resolution_due_at))
    return out


def overdue(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    """Open tickets past a deadline without its alert: the SLA job's read."""
    now = clock.now()
    alerted = select(TicketBreach.ticket_id).where(
        TicketBreach.merchant_id == ctx.merchant_id, TicketBreach.kind == "resolution"
    )
    q = select(Ticket.id).where(
        Ticket.merchant_id == ctx.merchant_id,
        Ticket.status.in_(OPEN),
        or_(
            Ticket.resolution_due_at < now,
            (Ticket.first_responded_at.is_(None)) & (Ticket.first_response_due_at < now),
        ),
        Ticket.id.not_in(alerted),
    )
    return list(session.scalars(q.order_by(Ticket.id)))


def alert_breaches(session: Session, ctx: Ctx, ticket_id: uuid.UUID) -> list[str]:
    """Records each newly missed target and tells the managers (once per ticket and kind)."""
    ticket = get(session, ctx, ticket_id)
    if ticket.status not in OPEN:
        return []
    new = []
    for kind, due in breached(ticket, clock.now()):
        row = {
            "merchant_id": ctx.merchant_id,
            "ticket_id": ticket.id,
            "kind": kind,
            "due_at": due,
            "alerted_at": clock.now(),
        }
        if insert_ignore(session, TicketBreach.__table__, row):  # type: ignore[arg-type]
            new.append(kind)
            notify.breach(session, ctx, ticket, kind)
    return new


def breaches(session: Session, ctx: Ctx, ticket_id: uuid.UUID) -> list[TicketBreach]:
    return list(
        session.scalars(
            select(TicketBreach).where(
                TicketBreach.merchant_id == ctx.merchant_id, TicketBreach.ticket_id == ticket_id
            )
        )
    )


def figures(session: Session, ctx: Ctx, start: date, end: date) -> dict[str, Any]:
    """Complaint handling for tickets opened in [start, end] (shop days): count, median first
    response in business minutes, and the share that met each target (A6)."""
    tz = ZoneInfo(ctx.merchant.timezone)
    lo = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    rows = list(
        session.scalars(
            select(Ticket).where(
                Ticket.merchant_id == ctx.merchant_id,
                Ticket.created_at >= lo,
                Ticket.created_at < hi,
            )
        )
    )
    config = settings.get(session, ctx.merchant_id)
    now = clock.now()
    responses = [
        settings.business_minutes_between(
            t.created_at, t.first_responded_at, config.business_hours, ctx.merchant.timezone
        )
        for t in rows
        if t.first_responded_at is not None
    ]
    met_first = [t for t in rows if not any(k == "first_response" for k, _ in breached(t, now))]
    met_both = [t for t in rows if not breached(t, now)]
    return {
        "from": start,
        "to": end,
        "tickets": len(rows),
        "open": sum(t.status in OPEN for t in rows),
        "median_first_response_minutes": median(responses) if responses else None,
        "first_response_within_sla_percent": round(100 * len(met_first) / len(rows))
        if rows
        else None,
        "within_sla_percent": round(100 * len(met_both) / len(rows)) if rows else None,
    }
