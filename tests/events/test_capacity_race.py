"""Capacity under concurrency: 60 members RSVP at once for 30 seats, each in its own transaction
through `Database.run`, as 60 requests would. Exactly 30 are seated and 30 told the event is
full; the counter and the rows agree."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from regulars.customers import service as customers
from regulars.customers.schemas import CustomerCreate
from regulars.db import Database
from regulars.events import service as events
from regulars.events.models import Event, Rsvp
from regulars.events.schemas import EventCreate, RsvpCreate
from regulars.kit import clock
from regulars.kit.errors import ProblemError
from tests.checkout.test_concurrency import race
from tests.factories import make_merchant


def test_60_concurrent_rsvps_for_30_seats_seat_exactly_30(db: Database) -> None:
    shop = make_merchant(db)
    people = db.run(
        lambda s: [
            customers.create_customer(s, shop.ctx, CustomerCreate(name=f"Guest {i}")).id
            for i in range(60)
        ]
    )
    data = EventCreate(name="Tasting", starts_at=clock.now() + timedelta(days=3), capacity=30)
    event_id = db.run(lambda s: events.create_event(s, shop.ctx, data).id)

    def one(i: int) -> str:
        body = RsvpCreate(customer_id=people[i], guests=0)
        return db.run(lambda s: events.rsvp(s, shop.ctx, event_id, body).code)

    results = race(60, one)
    outcome = Counter(r.slug if isinstance(r, ProblemError) else "seated" for r in results)
    assert outcome == {"seated": 30, "event-full": 30}

    def counts(s):  # type: ignore[no-untyped-def]
        taken = s.scalar(select(Event.taken).where(Event.id == event_id))
        rows = s.scalar(select(func.count()).select_from(Rsvp).where(Rsvp.event_id == event_id))
        return taken, rows

    assert db.run(counts, write=False) == (30, 30)


def test_concurrent_rsvps_with_guests_never_pass_capacity(db: Database) -> None:
    shop = make_merchant(db)
    people = db.run(
        lambda s: [
            customers.create_customer(s, shop.ctx, CustomerCreate(name=f"Pair {i}")).id
            for i in range(20)
        ]
    )
    data = EventCreate(
        name="Dinner", starts_at=clock.now() + timedelta(days=3), capacity=11, guests_allowed=1
    )
    event_id = db.run(lambda s: events.create_event(s, shop.ctx, data).id)
    results = race(
        20,
        lambda i: db.run(
            lambda s: events.rsvp(
                s, shop.ctx, event_id, RsvpCreate(customer_id=people[i], guests=1)
            )
        ),
    )
    seated = [r for r in results if not isinstance(r, ProblemError)]
    assert len(seated) == 5  # 5 pairs = 10 seats; the 11th seat cannot hold a pair
    taken = db.run(lambda s: s.scalar(select(Event.taken).where(Event.id == event_id)), write=False)
    assert taken == 10
