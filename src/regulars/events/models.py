"""VIP events (invitations by tier or tag, RSVPs with guests, guest passes, door check-in) and
clubs (members with their own earn multiplier or perk).

Seats: `events.taken` counts the seats of every RSVP (the member and their guests). An RSVP takes
its seats with one guarded UPDATE (`taken + n <= capacity`), and a CHECK keeps the same rule in
the table, so capacity holds under any concurrency on both engines. Passes: an RSVP's own code
admits the member and the guests not yet handed a pass; each guest pass admits one friend. A
pass checks in once (`checked_in_at` set by a conditional UPDATE).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin


def _customer_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["merchant_id", "customer_id"], ["customers.merchant_id", "customers.id"]
    )


def _event_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["merchant_id", "event_id"], ["events.merchant_id", "events.id"])


class Event(TenantMixin, Base):
    __tablename__ = "events"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken"),
        CheckConstraint("guests_allowed >= 0", name="guests_allowed"),
        Index(None, "merchant_id", "starts_at"),
    )

    name: Mapped[str] = mapped_column(String(120))
    starts_at: Mapped[datetime]
    capacity: Mapped[int]
    taken: Mapped[int] = mapped_column(default=0)  # seats held by RSVPs, guests included
    guests_allowed: Mapped[int] = mapped_column(default=1)  # per RSVP
    # Who is invited: a customer in one of these tiers or with one of these tags (none: all).
    tiers: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Rsvp(TenantMixin, Base):
    __tablename__ = "event_rsvps"
    __table_args__ = (
        _event_fk(),
        _customer_fk(),
        UniqueConstraint("merchant_id", "event_id", "customer_id"),
        UniqueConstraint("merchant_id", "code"),
        Index(None, "merchant_id", "customer_id"),
        CheckConstraint("guests >= 0", name="guests"),
        CheckConstraint("passes_given >= 0 AND passes_given <= guests", name="passes_given"),
    )

    event_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]
    guests: Mapped[int] = mapped_column(default=0)
    passes_given: Mapped[int] = mapped_column(default=0)  # guests handed a pass of their own
    code: Mapped[str] = mapped_column(String(16))
    checked_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class GuestPass(TenantMixin, Base):
    __tablename__ = "guest_passes"
    __table_args__ = (
        _event_fk(),
        _customer_fk(),
        ForeignKeyConstraint(
            ["merchant_id", "rsvp_id"], ["event_rsvps.merchant_id", "event_rsvps.id"]
        ),
        UniqueConstraint("merchant_id", "event_id", "customer_id"),
        UniqueConstraint("merchant_id", "code"),
        Index(None, "merchant_id", "rsvp_id"),
    )

    event_id: Mapped[uuid.UUID]
    rsvp_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID]  # the friend
    code: Mapped[str] = mapped_column(String(16))
    checked_in_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Club(TenantMixin, Base):
    __tablename__ = "clubs"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "name"),
        CheckConstraint("multiplier >= 100 AND multiplier <= 1000", name="multiplier"),
    )

    name: Mapped[str] = mapped_column(String(80))
    multiplier: Mapped[int] = mapped_column(default=100)  # percent on earning, 150 = 1.5x
    perk: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ClubMember(Base):
    __tablename__ = "club_members"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id", "club_id"], ["clubs.merchant_id", "clubs.id"]),
        _customer_fk(),
        # A sale reads a customer's clubs by this index (clubs.earn_multipliers).
        Index(None, "merchant_id", "customer_id"),
    )

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    club_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(default=clock.now)
