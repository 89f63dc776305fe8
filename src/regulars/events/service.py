"""VIP events: invitations by tier or tag, RSVPs within capacity, guest passes, door check-in.

Capacity is kept by the database: an RSVP inserts its row, then takes its seats with one guarded
`UPDATE events SET taken = taken + n WHERE taken + n <= capacity`. On PostgreSQL the UPDATE takes
the event's row lock and re-checks the condition on the newest row, so concurrent RSVPs queue
there and the last seat goes once; on SQLite the write lock (BEGIN IMMEDIATE) serialises them. A
refused UPDATE raises, and the runner rolls the RSVP row back with it. The CHECK on `taken` backs
this up. Guest passes are counted the same way on the RSVP row (`passes_given < guests`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.customers.schemas import CustomerCreate
from regulars.events.errors import (
    AlreadyReplied,
    EventFull,
    EventStarted,
    NoGuestPassLeft,
    NotInvited,
    TooManyGuests,
)
from regulars.events.models import Event, GuestPass, Rsvp
from regulars.events.schemas import EventCreate, GuestPassCreate, RsvpCreate
from regulars.kit import clock, codes
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.loyalty import service as loyalty
from regulars.merchants import service as merchants

OWN_PHONE = "this is the member's own phone"
PASS_CODE_LENGTH = 12  # 60 bits from `secrets`: a pass cannot be guessed at the door
T = TypeVar("T", Rsvp, GuestPass)


def create_event(session: Session, ctx: Ctx, data: EventCreate) -> Event:
    merchants.require_role(ctx, "manager")
    event = Event(merchant_id=ctx.merchant_id, taken=0, **data.model_dump())
    session.add(event)
    session.flush()
    merchants.record_audit(session, ctx, "event.created", "event", event.id)
    return event


def list_events(session: Session, ctx: Ctx, upcoming: bool = False) -> Sequence[Event]:
    q = select(Event).where(Event.merchant_id == ctx.merchant_id)
    if upcoming:
        q = q.where(Event.starts_at > clock.now())
    return session.scalars(q.order_by(Event.starts_at, Event.id)).all()


def get_event(session: Session, ctx: Ctx, event_id: uuid.UUID) -> Event:
    event = session.get(Event, (ctx.merchant_id, event_id), populate_existing=True)
    if event is None:
        raise NotFound("event not found")
    return event


# --- invitations -------------------------------------------------------------------------------


def refusal(event: Event, tier: str | None, tags: Sequence[str]) -> str | None:
    """Why this customer may not RSVP (None: invited). Invited: a customer in one of the event's
    tiers or with one of its tags; an event naming neither invites every member."""
    if not event.tiers and not event.tags:
        return None
    if tier is not None and tier in event.tiers:
        return None
    if set(tags) & set(event.tags):
        return None
    wanted = [f"tier {', '.join(event.tiers)}"] if event.tiers else []
    wanted += [f"tag {', '.join(event.tags)}"] if event.tags else []
    return "not invited: this event is for customers with " + " or ".join(wanted)


def tier_of(session: Session, ctx: Ctx, customer: Customer) -> str | None:
    """The customer's tier; one who never bought is in the program's entry tier, as their card
    shows them."""
    if customer.tier is not None:
        return str(customer.tier)
    levels = loyalty.current_program(session, ctx)[1].tiers.levels
    return levels[0].code if levels else None


# --- RSVPs -------------------------------------------------------------------------------------


def _insert_with_code(session: Session, make: Callable[[str], T], taken: Callable[[], bool]) -> T:
    """Insert a row with a fresh pass code; `taken()` tells a clash on the row's other unique
    key (raised as AlreadyReplied) from a clash on the code (drawn again)."""
    for _attempt in range(5):
        row = make(codes.random_code(PASS_CODE_LENGTH))
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
            return row
        except IntegrityError:
            if taken():
                raise AlreadyReplied("this customer already has a place at this event") from None
    raise Conflict("could not allocate a pass code; try again")


def _taken_by(session: Session, ctx: Ctx, event_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
    """Whether the customer already holds an RSVP or a guest pass for this event."""
    for table in (Rsvp, GuestPass):
        found = session.scalar(
            select(table.id).where(
                table.merchant_id == ctx.merchant_id,
                table.event_id == event_id,
                table.customer_id == customer_id,
            )
        )
        if found is not None:
            return True
    return False


def rsvp(session: Session, ctx: Ctx, event_id: uuid.UUID, data: RsvpCreate) -> Rsvp:
    """A place for the customer and `guests` friends; 409 with the reason when refused."""
    event = get_event(session, ctx, event_id)
    customer = customers.get_customer(session, ctx, data.customer_id)
    if event.starts_at <= clock.now():
        raise EventStarted("this event has started: RSVPs are closed")
    reason = refusal(event, tier_of(session, ctx, customer), customer.tags or [])
    if reason is not None:
        raise NotInvited(reason)
    if data.guests > event.guests_allowed:
        raise TooManyGuests(f"this event allows {event.guests_allowed} guests per member")
    if _taken_by(session, ctx, event.id, customer.id):
        raise AlreadyReplied("this customer already has a place at this event")
    row = _insert_with_code(
        session,
        lambda code: Rsvp(
            merchant_id=ctx.merchant_id,
            event_id=event.id,
            customer_id=customer.id,
            guests=data.guests,
            passes_given=0,
            code=code,
        ),
        lambda: _taken_by(session, ctx, event.id, customer.id),
    )
    seats = 1 + data.guests
    took = session.execute(
        update(Event)
        .where(
            Event.merchant_id == ctx.merchant_id,
            Event.id == event.id,
            Event.taken + seats <= Event.capacity,
        )
        .values(taken=Event.taken + seats)
        .returning(Event.taken)
    ).scalar_one_or_none()
    if took is None:  # raising rolls the RSVP row back with the whole transaction
        left = get_event(session, ctx, event.id)
        raise EventFull(f"{left.capacity - left.taken} seats left, {seats} asked")
    merchants.record_audit(session, ctx, "event.rsvp", "event", event.id, {"seats": seats})
    return row


def list_rsvps(session: Session, ctx: Ctx, event_id: uuid.UUID) -> Sequence[Rsvp]:
    event = get_event(session, ctx, event_id)
    q = select(Rsvp).where(Rsvp.merchant_id == ctx.merchant_id, Rsvp.event_id == event.id)
    return session.scalars(q.order_by(Rsvp.created_at, Rsvp.id)).all()


def get_rsvp(session: Session, ctx: Ctx, event_id: uuid.UUID, rsvp_id: uuid.UUID) -> Rsvp:
    row = session.get(Rsvp, (ctx.merchant_id, rsvp_id), populate_existing=True)
    if row is None or row.event_id != event_id:
        raise NotFound("RSVP not found")
    return row


def people(session: Session, ctx: Ctx, ids: set[uuid.UUID]) -> dict[uuid.UUID, Customer]:
    """The customers behind an event's replies and passes, in one query."""
    if not ids:
        return {}
    q = select(Customer).where(Customer.merchant_id == ctx.merchant_id, Customer.id.in_(ids))
    return {c.id: c for c in session.scalars(q)}


def passes_of(session: Session, ctx: Ctx, event_id: uuid.UUID) -> Sequence[GuestPass]:
    q = select(GuestPass).where(
        GuestPass.merchant_id == ctx.merchant_id, GuestPass.event_id == event_id
    )
    return session.scalars(q.order_by(GuestPass.created_at, GuestPass.id)).all()


# --- guest passes ------------------------------------------------------------------------------


def _friend(session: Session, ctx: Ctx, data: GuestPassCreate) -> Customer:
    """The friend by phone: an existing customer as they are (their own consent choices stand),
    or a new prospect whose SMS consent is what the member recorded for them."""
    try:
        return customers.lookup(session, ctx, phone=data.phone)
    except NotFound:
        pass
    except InvalidField:
        raise InvalidField("phone", "not a valid phone number") from None
    profile = CustomerCreate(
        name=data.name or None,
        phone=data.phone,
        consent={"sms": data.consent},
        consent_source="guest_pass",
    )
    return customers.create_customer(session, ctx, profile, source="guest_pass")


def give_guest_pass(
    session: Session, ctx: Ctx, event_id: uuid.UUID, rsvp_id: uuid.UUID, data: GuestPassCreate
) -> GuestPass:
    """One of the RSVP's guest seats handed to a friend by phone, with a pass of their own."""
    row = get_rsvp(session, ctx, event_id, rsvp_id)
    if ctx.actor.kind == "customer" and ctx.actor.id != row.customer_id:
        raise NotFound("RSVP not found")
    event = get_event(session, ctx, event_id)
    if event.starts_at <= clock.now():
        raise EventStarted("this event has started: passes are closed")
    friend = _friend(session, ctx, data)
    if friend.id == row.customer_id:
        raise InvalidField("phone", OWN_PHONE)
    if _taken_by(session, ctx, event.id, friend.id):
        raise AlreadyReplied("this friend already has a place at this event")
    took = session.execute(
        update(Rsvp)
        .where(
            Rsvp.merchant_id == ctx.merchant_id,
            Rsvp.id == row.id,
            Rsvp.passes_given < Rsvp.guests,
        )
        .values(passes_given=Rsvp.passes_given + 1)
        .returning(Rsvp.passes_given)
    ).scalar_one_or_none()
    if took is None:
        raise NoGuestPassLeft(f"all {row.guests} guest passes of this RSVP are given")
    given = _insert_with_code(
        session,
        lambda code: GuestPass(
            merchant_id=ctx.merchant_id,
            event_id=event.id,
            rsvp_id=row.id,
            customer_id=friend.id,
            code=code,
        ),
        lambda: _taken_by(session, ctx, event.id, friend.id),
    )
    merchants.record_audit(session, ctx, "event.guest_pass", "event", event.id)
    return given


# --- the door ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckIn:
    status: str  # checked_in | already_checked_in
    kind: str  # member | guest
    admits: int
    customer_id: uuid.UUID
    name: str | None
    checked_in_at: datetime


def _admit(
    session: Session, ctx: Ctx, table: type[T], event_id: uuid.UUID, code: str
) -> tuple[T | None, bool]:
    """The pass with this code and whether this call checked it in: one conditional UPDATE
    decides, so two scanners at two doors admit a pass once."""
    key = (table.merchant_id == ctx.merchant_id, table.event_id == event_id, table.code == code)
    won = session.execute(
        update(table)
        .where(*key, table.checked_in_at.is_(None))
        .values(checked_in_at=clock.now())
        .returning(table.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    found = session.scalar(select(table).where(*key).execution_options(populate_existing=True))
    return found, won is not None


def check_in(session: Session, ctx: Ctx, event_id: uuid.UUID, code: str) -> CheckIn:
    """Admit the holder of a pass: the member's own code admits them and the guests not handed
    a pass; a guest pass admits one. Scanning a pass again admits nobody and says so."""
    event = get_event(session, ctx, event_id)
    normalized = codes.normalize(code)
    if len(normalized) != PASS_CODE_LENGTH:
        raise InvalidField("code", "no pass with this code for this event")
    found: Rsvp | GuestPass | None
    found, first = _admit(session, ctx, Rsvp, event.id, normalized)
    kind, admits = "member", 0
    if isinstance(found, Rsvp):
        admits = 1 + found.guests - found.passes_given
    else:
        found, first = _admit(session, ctx, GuestPass, event.id, normalized)
        kind, admits = "guest", 1
    if found is None or found.checked_in_at is None:
        raise InvalidField("code", "no pass with this code for this event")
    # Read as stored: a holder erased or merged since still has their place (no name shown).
    who = session.get(Customer, (ctx.merchant_id, found.customer_id))
    assert who is not None  # the pass's foreign key
    if first:
        merchants.record_audit(session, ctx, "event.check_in", "event", event.id, {"kind": kind})
    status = "checked_in" if first else "already_checked_in"
    return CheckIn(status, kind, admits, who.id, who.name, found.checked_in_at)


# --- a member's view ---------------------------------------------------------------------------


@dataclass
class Invitation:
    event: Event
    rsvp: Rsvp | None
    passes: list[tuple[GuestPass, Customer]]


def invitations(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[Invitation]:
    """Upcoming events the customer is invited to or holds a place at, with their RSVP and the
    guest passes they handed out."""
    customer = customers.get_customer(session, ctx, customer_id)
    tier, tags = tier_of(session, ctx, customer), customer.tags or []
    events = list_events(session, ctx, upcoming=True)
    ids = [e.id for e in events]
    mine = {
        r.event_id: r
        for r in session.scalars(
            select(Rsvp).where(
                Rsvp.merchant_id == ctx.merchant_id,
                Rsvp.customer_id == customer.id,
                Rsvp.event_id.in_(ids),
            )
        )
    }
    given: dict[uuid.UUID, list[tuple[GuestPass, Customer]]] = {}
    rsvp_ids = [r.id for r in mine.values()]
    if rsvp_ids:
        rows = session.execute(
            select(GuestPass, Customer)
            .join(
                Customer,
                (Customer.merchant_id == GuestPass.merchant_id)
                & (Customer.id == GuestPass.customer_id),
            )
            .where(GuestPass.merchant_id == ctx.merchant_id, GuestPass.rsvp_id.in_(rsvp_ids))
            .order_by(GuestPass.created_at)
        ).all()
        for gp, friend in rows:
            given.setdefault(gp.rsvp_id, []).append((gp, friend))
    return [
        Invitation(e, mine.get(e.id), given.get(mine[e.id].id, []) if e.id in mine else [])
        for e in events
        if e.id in mine or refusal(e, tier, tags) is None
    ]


def guest_passes_held(
    session: Session, ctx: Ctx, customer_id: uuid.UUID
) -> list[tuple[GuestPass, Event]]:
    """Passes a friend handed this customer, for upcoming events."""
    rows = session.execute(
        select(GuestPass, Event)
        .join(
            Event, (Event.merchant_id == GuestPass.merchant_id) & (Event.id == GuestPass.event_id)
        )
        .where(
            GuestPass.merchant_id == ctx.merchant_id,
            GuestPass.customer_id == customer_id,
            Event.starts_at > clock.now(),
        )
        .order_by(Event.starts_at)
    ).all()
    return [(gp, e) for gp, e in rows]
