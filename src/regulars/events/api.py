from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Response

from regulars.events import clubs, service
from regulars.events.schemas import (
    CheckInCreate,
    CheckInOut,
    ClubCreate,
    ClubMemberCreate,
    ClubMemberOut,
    ClubOut,
    EventCreate,
    EventOut,
    GuestPassCreate,
    GuestPassOut,
    RsvpCreate,
    RsvpOut,
)
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["events"])


@router.post("/events", response_model=EventOut, status_code=201)
def create_event(body: EventCreate, t: Tx = Depends(tx)) -> object:
    return t(service.create_event, body)


@router.get("/events", response_model=list[EventOut])
def list_events(upcoming: bool = False, t: Tx = Depends(tx)) -> object:
    return t(service.list_events, upcoming)


@router.get("/events/{event_id}", response_model=EventOut)
def get_event(event_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.get_event, event_id)


@router.post("/events/{event_id}/rsvps", response_model=RsvpOut, status_code=201)
def rsvp(event_id: uuid.UUID, body: RsvpCreate, t: Tx = Depends(tx)) -> object:
    """409 with the reason (`type` ends in `not-invited`, `event-full`, `event-started`,
    `already-replied` or `too-many-guests`) when refused."""
    return t(service.rsvp, event_id, body)


@router.get("/events/{event_id}/rsvps", response_model=list[RsvpOut])
def list_rsvps(event_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.list_rsvps, event_id)


@router.post(
    "/events/{event_id}/rsvps/{rsvp_id}/guest-passes", response_model=GuestPassOut, status_code=201
)
def give_guest_pass(
    event_id: uuid.UUID, rsvp_id: uuid.UUID, body: GuestPassCreate, t: Tx = Depends(tx)
) -> object:
    """The friend is found by phone, or becomes a prospect customer with the consent given."""
    return t(service.give_guest_pass, event_id, rsvp_id, body)


@router.post("/events/{event_id}/check-ins", response_model=CheckInOut)
def check_in(event_id: uuid.UUID, body: CheckInCreate, t: Tx = Depends(tx)) -> object:
    """Scanning a pass twice admits nobody the second time: `status` says so."""
    return t(service.check_in, event_id, body.code)


@router.post("/clubs", response_model=ClubOut, status_code=201)
def create_club(body: ClubCreate, t: Tx = Depends(tx)) -> object:
    return t(clubs.create_club, body)


@router.get("/clubs", response_model=list[ClubOut])
def list_clubs(t: Tx = Depends(tx)) -> object:
    return t(clubs.list_clubs)


@router.get("/clubs/{club_id}", response_model=ClubOut)
def get_club(club_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(clubs.get_club, club_id)


@router.post("/clubs/{club_id}/members", response_model=ClubMemberOut, status_code=201)
def add_member(club_id: uuid.UUID, body: ClubMemberCreate, t: Tx = Depends(tx)) -> object:
    return t(clubs.add_member, club_id, body.customer_id)


@router.get("/clubs/{club_id}/members", response_model=list[ClubMemberOut])
def list_members(club_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    found = t(clubs.members, club_id)
    return [{"club_id": club_id, "customer_id": c.id, "joined_at": at} for c, at in found]


@router.delete("/clubs/{club_id}/members/{customer_id}", status_code=204)
def remove_member(club_id: uuid.UUID, customer_id: uuid.UUID, t: Tx = Depends(tx)) -> Response:
    t(clubs.remove_member, club_id, customer_id)
    return Response(status_code=204)
