"""Staff pages for VIP events and clubs: the events list and a new event, one event's RSVPs and
guest passes, the door's check-in screen, the clubs list and one club's members."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.db import Database
from regulars.events import clubs as club_service
from regulars.events import errors
from regulars.events import service as events
from regulars.events.schemas import ClubCreate, EventCreate, RsvpCreate
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound, ProblemError
from regulars.loyalty import service as loyalty
from regulars.merchants import service as merchants
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database
from regulars.web.session import check_csrf

router = APIRouter(route_class=PageRoute, include_in_schema=False)

EVENT_ERRORS = {
    "name": N_("Give the event a name."),
    "starts_at": N_("Pick the day and the time the event starts."),
    "capacity": N_("A whole number of seats, at least 1."),
    "guests_allowed": N_("From 0 to 10 guests."),
    "tags": N_("Each tag is 1 to 40 characters."),
}
CLUB_ERRORS = {
    "name": N_("Give the club a name no other club has."),
    "multiplier": N_("A percent from 100 (no extra points) to 1000."),
    "perk": N_("At most 500 characters."),
}
NO_CUSTOMER = N_("No customer with this phone number or member code.")
# Why an RSVP was refused, as the page says it (the API's reason codes).
REFUSALS = {
    errors.NotInvited.slug: N_(
        "This customer is not invited: the event is for other tiers or tags."
    ),
    errors.EventFull.slug: N_("The event is full."),
    errors.EventStarted.slug: N_("The event has started: replies are closed."),
    errors.AlreadyReplied.slug: N_("This customer already has a place at this event."),
    errors.TooManyGuests.slug: N_("More guests than this event allows."),
    errors.NoGuestPassLeft.slug: N_("Every guest of this reply already has a pass."),
    errors.AlreadyMember.slug: N_("This customer is already a member of this club."),
}
UNKNOWN_PASS = N_("No pass with this code for this event.")


def _redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


def find_customer(session: Session, ctx: Ctx, typed: str) -> Customer:
    """A phone in any local format, else a member code (as a scanner types it)."""
    for key in ("phone", "code"):
        try:
            return customers.lookup(session, ctx, **{key: typed.strip()}, details=False)
        except (NotFound, InvalidField):
            continue
    raise InvalidField("customer", "no such customer")


def _tier_names(session: Session, ctx: Ctx) -> dict[str, str]:
    program = loyalty.current_program(session, ctx)[1]
    return {t.code: t.name for t in program.tiers.levels}


# --- events --------------------------------------------------------------------------------------


def _events_page(
    request: Request,
    staff: Staff,
    db: Database,
    status: int = 200,
    form: dict[str, Any] | None = None,
    errors_: dict[str, str] | None = None,
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        return {
            "events": list(events.list_events(s, staff.ctx)),
            "tiers": _tier_names(s, staff.ctx),
        }

    view = db.run(load, write=False)
    return _page(
        request,
        staff,
        "staff/events.html",
        "events",
        status,
        form=form or {"capacity": "30", "guests_allowed": "1", "tiers": [], "tags": ""},
        errors=errors_ or {},
        manager=staff.ctx.actor.at_least("manager"),
        **view,
    )


def _page(
    request: Request, staff: Staff, template: str, section: str, status: int, **values: Any
) -> Response:
    """A staff page of events or clubs, in the staff member's language and the shop's time."""
    return page(
        request, template, staff.lang, status=status, staff=staff, section=section,
        tz=staff.ctx.merchant.timezone, **values,
    )  # fmt: skip


@router.get("/events")
def events_list(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    return _events_page(request, staff, db)


def _local(text: str, timezone: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))


@router.post("/events", dependencies=[Depends(check_csrf)])
async def create_event(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    data = await request.form()
    form: dict[str, Any] = {
        key: str(data.get(key, "")).strip()[:200]
        for key in ("name", "starts_at", "capacity", "guests_allowed", "tags")
    }
    form["tiers"] = [str(t)[:32] for t in data.getlist("tiers")][:10]
    found: dict[str, str] = {}
    fields: dict[str, Any] = {"name": form["name"], "tiers": form["tiers"]}
    fields["tags"] = [t for t in (p.strip() for p in form["tags"].split(",")) if t]
    try:
        fields["starts_at"] = _local(form["starts_at"], staff.ctx.merchant.timezone)
    except ValueError:
        found["starts_at"] = EVENT_ERRORS["starts_at"]
    for key in ("capacity", "guests_allowed"):
        try:
            fields[key] = int(form[key])
        except ValueError:
            found[key] = EVENT_ERRORS[key]
    made: EventCreate | None = None
    if not found:
        try:
            made = EventCreate(**fields)
        except ValidationError as exc:
            for err in exc.errors():
                key = str(err["loc"][0]) if err["loc"] else "name"
                found.setdefault(key, EVENT_ERRORS.get(key, EVENT_ERRORS["name"]))
    if made is None:
        return _events_page(request, staff, db, 422, form, found)
    event = db.run(lambda s: events.create_event(s, staff.ctx, made))
    return _redirect(f"/events/{event.id}")


def _event_page(
    request: Request,
    staff: Staff,
    db: Database,
    event_id: uuid.UUID,
    status: int = 200,
    error: str | None = None,
    typed: str = "",
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        event = events.get_event(s, staff.ctx, event_id)
        rsvps = list(events.list_rsvps(s, staff.ctx, event_id))
        passes = list(events.passes_of(s, staff.ctx, event_id))
        ids = {r.customer_id for r in rsvps} | {p.customer_id for p in passes}
        names = events.people(s, staff.ctx, ids)
        return {
            "event": event,
            "rsvps": rsvps,
            "passes": passes,
            "people": names,
            "tiers": _tier_names(s, staff.ctx),
        }

    view = db.run(load, write=False)
    return _page(
        request,
        staff,
        "staff/event.html",
        "events",
        status,
        error=error,
        typed=typed,
        **view,
    )


@router.get("/events/{event_id}")
def event_detail(
    request: Request,
    event_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _event_page(request, staff, db, event_id)


@router.post("/events/{event_id}/rsvps", dependencies=[Depends(check_csrf)])
def staff_rsvp(
    request: Request,
    event_id: uuid.UUID,
    customer: str = Form("", max_length=40),
    guests: int = Form(0, ge=0, le=10),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    """A member who replies in the shop or by phone: the staff member books the place."""

    def work(s: Session) -> None:
        found = find_customer(s, staff.ctx, customer)
        events.rsvp(s, staff.ctx, event_id, RsvpCreate(customer_id=found.id, guests=guests))

    try:
        db.run(work)
    except InvalidField:
        return _event_page(request, staff, db, event_id, 422, NO_CUSTOMER, customer)
    except ProblemError as exc:
        if exc.slug not in REFUSALS:
            raise
        return _event_page(request, staff, db, event_id, 409, REFUSALS[exc.slug], customer)
    return _redirect(f"/events/{event_id}#rsvps")


# --- the door ------------------------------------------------------------------------------------


def _door_page(
    request: Request,
    staff: Staff,
    db: Database,
    event_id: uuid.UUID,
    status: int = 200,
    result: events.CheckIn | None = None,
    error: str | None = None,
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        event = events.get_event(s, staff.ctx, event_id)
        rsvps = events.list_rsvps(s, staff.ctx, event_id)
        passes = events.passes_of(s, staff.ctx, event_id)
        inside = sum(1 + r.guests - r.passes_given for r in rsvps if r.checked_in_at)
        inside += sum(1 for p in passes if p.checked_in_at)
        return {"event": event, "inside": inside}

    view = db.run(load, write=False)
    return _page(
        request,
        staff,
        "staff/door.html",
        "events",
        status,
        result=result,
        error=error,
        **view,
    )


@router.get("/events/{event_id}/door")
def door(
    request: Request,
    event_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _door_page(request, staff, db, event_id)


@router.post("/events/{event_id}/door", dependencies=[Depends(check_csrf)])
def check_in(
    request: Request,
    event_id: uuid.UUID,
    code: str = Form("", max_length=64),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    """A scanner types the pass's code and Enter; the answer shows and the box is empty again.
    A pass scanned twice admits nobody the second time (events.check_in)."""
    try:
        result = db.run(lambda s: events.check_in(s, staff.ctx, event_id, code))
    except InvalidField:
        return _door_page(request, staff, db, event_id, 422, error=UNKNOWN_PASS)
    status = 200 if result.status == "checked_in" else 409
    return _door_page(request, staff, db, event_id, status, result=result)


# --- clubs ---------------------------------------------------------------------------------------


def _clubs_page(
    request: Request,
    staff: Staff,
    db: Database,
    status: int = 200,
    form: dict[str, str] | None = None,
    errors_: dict[str, str] | None = None,
) -> Response:
    found = db.run(lambda s: club_service.list_clubs(s, staff.ctx), write=False)
    return _page(
        request,
        staff,
        "staff/clubs.html",
        "clubs",
        status,
        clubs=found,
        form=form or {"name": "", "multiplier": "100", "perk": ""},
        errors=errors_ or {},
        manager=staff.ctx.actor.at_least("manager"),
    )


@router.get("/clubs")
def clubs_list(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    return _clubs_page(request, staff, db)


@router.post("/clubs", dependencies=[Depends(check_csrf)])
def create_club(
    request: Request,
    name: str = Form("", max_length=200),
    multiplier: str = Form("100", max_length=8),
    perk: str = Form("", max_length=1000),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    merchants.require_role(staff.ctx, "manager")
    form = {"name": name.strip(), "multiplier": multiplier.strip(), "perk": perk.strip()}
    found: dict[str, str] = {}
    try:
        data = ClubCreate(
            name=form["name"], multiplier=int(form["multiplier"] or 100), perk=form["perk"]
        )
    except ValueError as exc:  # int() or the schema (ValidationError is a ValueError)
        locs = [str(e["loc"][0]) for e in exc.errors()] if isinstance(exc, ValidationError) else []
        for key in locs or ["multiplier"]:
            found[key] = CLUB_ERRORS.get(key, CLUB_ERRORS["name"])
        return _clubs_page(request, staff, db, 422, form, found)
    try:
        club = db.run(lambda s: club_service.create_club(s, staff.ctx, data))
    except ProblemError:
        return _clubs_page(request, staff, db, 409, form, {"name": CLUB_ERRORS["name"]})
    return _redirect(f"/clubs/{club.id}")


def _club_page(
    request: Request,
    staff: Staff,
    db: Database,
    club_id: uuid.UUID,
    status: int = 200,
    error: str | None = None,
    typed: str = "",
) -> Response:
    def load(s: Session) -> dict[str, Any]:
        club = club_service.get_club(s, staff.ctx, club_id)
        return {"club": club, "members": club_service.members(s, staff.ctx, club_id)}

    view = db.run(load, write=False)
    return _page(
        request,
        staff,
        "staff/club.html",
        "clubs",
        status,
        error=error,
        typed=typed,
        **view,
    )


@router.get("/clubs/{club_id}")
def club_detail(
    request: Request,
    club_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    return _club_page(request, staff, db, club_id)


@router.post("/clubs/{club_id}/members", dependencies=[Depends(check_csrf)])
def add_member(
    request: Request,
    club_id: uuid.UUID,
    customer: str = Form("", max_length=40),
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    def work(s: Session) -> None:
        found = find_customer(s, staff.ctx, customer)
        club_service.add_member(s, staff.ctx, club_id, found.id)

    try:
        db.run(work)
    except InvalidField:
        return _club_page(request, staff, db, club_id, 422, NO_CUSTOMER, customer)
    except errors.AlreadyMember:
        error = REFUSALS[errors.AlreadyMember.slug]
        return _club_page(request, staff, db, club_id, 409, error, customer)
    return _redirect(f"/clubs/{club_id}")


@router.post("/clubs/{club_id}/members/{customer_id}/remove", dependencies=[Depends(check_csrf)])
def remove_member(
    club_id: uuid.UUID,
    customer_id: uuid.UUID,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    db.run(lambda s: club_service.remove_member(s, staff.ctx, club_id, customer_id))
    return _redirect(f"/clubs/{club_id}")
