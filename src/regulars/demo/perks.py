"""Each demo shop's VIP perks: one event its best customers are invited to (some have replied,
with guests) and one club with members and its own earn multiplier."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.orm import Session

from regulars.demo.sales import Member
from regulars.demo.shops import BAKERY, CAFE, DemoShop
from regulars.events import clubs, service
from regulars.events.errors import EventFull, NotInvited
from regulars.events.schemas import ClubCreate, EventCreate, RsvpCreate
from regulars.kit.context import Ctx


@dataclass(frozen=True)
class Perks:
    event: str
    in_days: int
    hour: int
    capacity: int
    tiers: tuple[str, ...]
    tags: tuple[str, ...]
    club: str
    multiplier: int
    perk: str
    club_tags: tuple[str, ...]  # customers with one of these tags have joined


PERKS = {
    BAKERY.slug: Perks(
        event="ခရစ္စမတ် ကိတ်မုန့် မြည်းစမ်းပွဲ",
        in_days=12,
        hour=17,
        capacity=30,
        tiers=("silver", "gold"),
        tags=("birthday-cake",),
        club="Birthday Cake Club",
        multiplier=100,
        perk="မွေးနေ့ကိတ် မှာယူလျှင် စာတန်းအလှ အခမဲ့",
        club_tags=("birthday-cake",),
    ),
    CAFE.slug: Perks(
        event="Malam Seni Latte",
        in_days=9,
        hour=19,
        capacity=24,
        tiers=("gold",),
        tags=("work-from-cafe",),
        club="Coffee Club",
        multiplier=150,
        perk="Isi semula kopi percuma pada hari bekerja",
        club_tags=("oat-milk", "work-from-cafe"),
    ),
}


def add(
    session: Session,
    rng: random.Random,
    shop: DemoShop,
    manager: Ctx,
    members: list[Member],
    now: datetime,
) -> dict[str, int]:
    """The event (some invited members replied, a few with a guest) and the club."""
    perks = PERKS[shop.slug]
    day = now.astimezone(shop.zone).date() + timedelta(days=perks.in_days)
    starts = datetime.combine(day, time(perks.hour), tzinfo=shop.zone)
    event = service.create_event(
        session,
        manager,
        EventCreate(
            name=perks.event,
            starts_at=starts,
            capacity=perks.capacity,
            guests_allowed=1,
            tiers=list(perks.tiers),
            tags=list(perks.tags),
        ),
    )
    replied = 0
    for member in rng.sample(members, len(members)):
        if replied >= perks.capacity // 3:
            break
        guests = 1 if rng.random() < 0.4 else 0
        try:
            with session.begin_nested():
                body = RsvpCreate(customer_id=member.id, guests=guests)
                service.rsvp(session, manager, event.id, body)
            replied += 1
        except (NotInvited, EventFull):
            continue
    club = clubs.create_club(
        session, manager, ClubCreate(name=perks.club, multiplier=perks.multiplier, perk=perks.perk)
    )
    joined = 0
    for member in members:
        if set(member.tags) & set(perks.club_tags):
            clubs.add_member(session, manager, club.id, member.id)
            joined += 1
    return {"event_replies": replied, "club_members": joined}
