"""Clubs ("Coffee Club"): members with their own earn multiplier or perk.

A sale asks `earn_multipliers` for the customer's clubs in one statement by the
(merchant_id, customer_id) index of `club_members`; loyalty adds each club's multiplier to the
points the way it adds a tier's (loyalty/rules.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.events.errors import AlreadyMember
from regulars.events.models import Club, ClubMember
from regulars.events.schemas import ClubCreate
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, NotFound
from regulars.kit.sql import Prebuilt
from regulars.merchants import service as merchants


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


@dataclass(frozen=True)
class ClubView:
    id: uuid.UUID
    name: str
    multiplier: int
    perk: str
    members: int
    created_at: datetime


def create_club(session: Session, ctx: Ctx, data: ClubCreate) -> ClubView:
    merchants.require_role(ctx, "manager")
    club = Club(merchant_id=ctx.merchant_id, **data.model_dump())
    try:
        with session.begin_nested():
            session.add(club)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "a club with this name exists", [{"field": "name", "message": "taken"}]
        ) from None
    merchants.record_audit(session, ctx, "club.created", "club", club.id)
    return ClubView(club.id, club.name, club.multiplier, club.perk, 0, club.created_at)


def list_clubs(session: Session, ctx: Ctx) -> list[ClubView]:
    counts = (
        select(func.count())
        .where(ClubMember.merchant_id == Club.merchant_id, ClubMember.club_id == Club.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Club, counts).where(Club.merchant_id == ctx.merchant_id).order_by(Club.name)
    ).all()
    return [ClubView(c.id, c.name, c.multiplier, c.perk, int(n), c.created_at) for c, n in rows]


def get_club(session: Session, ctx: Ctx, club_id: uuid.UUID) -> ClubView:
    found = next((c for c in list_clubs(session, ctx) if c.id == club_id), None)
    if found is None:
        raise NotFound("club not found")
    return found


def _club(session: Session, ctx: Ctx, club_id: uuid.UUID) -> Club:
    club = session.get(Club, (ctx.merchant_id, club_id))
    if club is None:
        raise NotFound("club not found")
    return club


def add_member(
    session: Session, ctx: Ctx, club_id: uuid.UUID, customer_id: uuid.UUID
) -> ClubMember:
    club = _club(session, ctx, club_id)
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    member = ClubMember(merchant_id=ctx.merchant_id, club_id=club.id, customer_id=customer.id)
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError:
        raise AlreadyMember("this customer is already a member of this club") from None
    merchants.record_audit(session, ctx, "club.member_added", "club", club.id)
    return member


def remove_member(session: Session, ctx: Ctx, club_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    club = _club(session, ctx, club_id)
    member = session.get(ClubMember, (ctx.merchant_id, club.id, customer_id))
    if member is None:
        raise NotFound("not a member of this club")
    session.delete(member)
    session.flush()
    merchants.record_audit(session, ctx, "club.member_removed", "club", club.id)


def move_members(session: Session, ctx: Ctx, from_id: uuid.UUID, to_id: uuid.UUID) -> int:
    """A merged customer's clubs become the survivor's (customers/merge.py); a club both were in
    keeps the survivor's own joining date. How many memberships moved."""
    q = select(ClubMember).where(
        ClubMember.merchant_id == ctx.merchant_id, ClubMember.customer_id == from_id
    )
    moved = 0
    for old in session.scalars(q).all():
        if session.get(ClubMember, (ctx.merchant_id, old.club_id, to_id)) is None:
            session.add(
                ClubMember(
                    merchant_id=ctx.merchant_id,
                    club_id=old.club_id,
                    customer_id=to_id,
                    joined_at=old.joined_at,
                )
            )
            moved += 1
        session.delete(old)
    session.flush()
    return moved


def members(session: Session, ctx: Ctx, club_id: uuid.UUID) -> list[tuple[Customer, datetime]]:
    club = _club(session, ctx, club_id)
    rows = session.execute(
        select(Customer, ClubMember.joined_at)
        .join(
            ClubMember,
            (ClubMember.merchant_id == Customer.merchant_id)
            & (ClubMember.customer_id == Customer.id),
        )
        .where(
            ClubMember.merchant_id == ctx.merchant_id,
            ClubMember.club_id == club.id,
            Customer.erased_at.is_(None),
        )
        .order_by(ClubMember.joined_at, Customer.id)
    ).all()
    return [(c, at) for c, at in rows]


def clubs_of(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> Sequence[Club]:
    q = (
        select(Club)
        .join(
            ClubMember,
            (ClubMember.merchant_id == Club.merchant_id) & (ClubMember.club_id == Club.id),
        )
        .where(ClubMember.merchant_id == ctx.merchant_id, ClubMember.customer_id == customer_id)
        .order_by(Club.name)
    )
    return session.scalars(q).all()


_M, _C = ClubMember, Club
_MULTIPLIERS = Prebuilt(
    select(_C.name, _C.multiplier)
    .join(_M, (_M.merchant_id == _C.merchant_id) & (_M.club_id == _C.id))
    .where(
        _M.merchant_id == _param("merchant_id", _M.merchant_id),
        _M.customer_id == _param("customer_id", _M.customer_id),
        _C.multiplier > 100,
    )
    .order_by(_C.name)
)


def earn_multipliers(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[tuple[str, int]]:
    """(rule, percent) for each of the customer's clubs that raises earning, e.g.
    ("club:Coffee Club", 150): one indexed statement, for a sale's points step."""
    rows = _MULTIPLIERS.all(session, merchant_id=ctx.merchant_id, customer_id=customer_id)
    return [(f"club:{name}", int(percent)) for name, percent in rows]
