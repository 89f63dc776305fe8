"""Staff event and club pages, the door's check-in screen, and the portal's invitations."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.customers.models import Consent, Customer
from regulars.db import Database
from regulars.events import service as events
from regulars.events.models import ClubMember, Event, GuestPass, Rsvp
from regulars.events.schemas import RsvpCreate
from regulars.loyalty.models import Reward
from regulars.messaging.channels import MemoryChannel
from regulars.web import i18n
from tests.events.helpers import create_event, with_tiers
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_portal_pages import _ask, _code, _enter


def _count(db: Database, table: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(table)), write=False))


def portal_sign_in(client: TestClient, shop: Shop, channel: MemoryChannel, phone: str) -> str:
    _ask(client, shop, phone)
    e164 = "+95" + phone.replace(" ", "").lstrip("0")
    _enter(client, shop, _code(channel, e164))
    return f"/p/{shop.ctx.merchant.slug}/"


def test_a_manager_creates_an_event_in_the_shops_time(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # Asia/Yangon, UTC+6:30
    sign_in(client, shop, "en")
    token = csrf_of(client, "/events")
    r = client.post(
        "/events",
        data={
            "name": "Cake tasting",
            "starts_at": "2030-05-01T18:30",
            "capacity": "40",
            "guests_allowed": "1",
            "tags": "cake, vip",
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    event = db.run(lambda s: s.scalar(select(Event)), write=False)
    assert (event.name, event.capacity, event.tags) == ("Cake tasting", 40, ["cake", "vip"])
    assert event.starts_at.isoformat() == "2030-05-01T12:00:00+00:00"
    page = client.get(r.headers["location"]).text
    assert "Cake tasting" in page and "0 of 40 seats taken" in page and "#vip" in page


def test_a_bad_event_form_keeps_what_was_typed(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, "en")
    token = csrf_of(client, "/events")
    r = client.post(
        "/events",
        data={
            "name": "Cake tasting",
            "starts_at": "",
            "capacity": "lots",
            "guests_allowed": "1",
            "tags": "",
            "csrf": token,
        },
    )
    assert r.status_code == 422
    assert 'value="Cake tasting"' in r.text and 'value="lots"' in r.text
    assert "A whole number of seats, at least 1." in r.text
    assert _count(db, Event) == 0


def test_the_door_checks_a_pass_in_once(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Khin", phone="09 7812 34567")
    event = create_event(client, shop)
    rsvp = db.run(
        lambda s: events.rsvp(
            s, shop.ctx, uuid.UUID(event["id"]), RsvpCreate(customer_id=member.id, guests=1)
        )
    )
    sign_in(client, shop, "en")
    door = f"/events/{event['id']}/door"
    token = csrf_of(client, door)
    first = client.post(door, data={"code": rsvp.code, "csrf": token})
    assert first.status_code == 200
    assert "Welcome, Daw Khin!" in first.text and "People to let in: 2" in first.text
    assert "2 people inside" in first.text
    again = client.post(door, data={"code": rsvp.code.lower(), "csrf": token})
    assert again.status_code == 409
    assert "This pass was already used at" in again.text
    wrong = client.post(door, data={"code": "NOPE", "csrf": token})
    assert (wrong.status_code, "No pass with this code" in wrong.text) == (422, True)
    assert "2 people inside" in wrong.text


def test_staff_book_a_place_and_a_refusal_is_explained(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Daw Khin", phone="09 7812 34567", tags=["vip"])
    make_customer(db, shop, name="U Ba", phone="09 7812 00000")
    event = create_event(client, shop, tags=["vip"])
    sign_in(client, shop, "en")
    url = f"/events/{event['id']}"
    token = csrf_of(client, url)
    no = client.post(
        url + "/rsvps", data={"customer": "09 7812 00000", "guests": "0", "csrf": token}
    )
    assert no.status_code == 409
    assert "This customer is not invited" in no.text and 'value="09 7812 00000"' in no.text
    ok = client.post(
        url + "/rsvps",
        data={"customer": "09 7812 34567", "guests": "1", "csrf": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert _count(db, Rsvp) == 1
    assert "Daw Khin" in client.get(url).text


def test_clubs_page_creates_a_club_and_adds_a_member(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Ko Latte", phone="09 7812 34567")
    sign_in(client, shop, "en")
    token = csrf_of(client, "/clubs")
    r = client.post(
        "/clubs",
        data={"name": "Coffee Club", "multiplier": "150", "perk": "Free refill", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    club_url = r.headers["location"]
    added = client.post(
        club_url + "/members",
        data={"customer": "09 7812 34567", "csrf": token},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = client.get(club_url).text
    assert "Ko Latte" in page and "Points ×150%" in page and "Free refill" in page
    twice = client.post(club_url + "/members", data={"customer": "09 7812 34567", "csrf": token})
    assert twice.status_code == 409
    assert _count(db, ClubMember) == 1
    bad = client.post("/clubs", data={"name": "X", "multiplier": "5000", "perk": "", "csrf": token})
    assert bad.status_code == 422 and "A percent from 100" in bad.text


def test_event_and_club_pages_render_in_every_language(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    event = create_event(client, shop)
    sign_in(client, shop, "en")
    for lang in i18n.LANGUAGES:
        token = csrf_of(client, "/events")
        client.post("/lang", data={"lang": lang, "next": "/events", "csrf": token})
        words = i18n.translations(lang).gettext
        for path, word in (
            ("/events", words("New event")),
            (f"/events/{event['id']}", words("Replies")),
            (f"/events/{event['id']}/door", words("Scan the pass, or type its code")),
            ("/clubs", words("New club")),
        ):
            page = client.get(path)
            assert page.status_code == 200, (lang, path)
            assert f'<html lang="{lang}"' in page.text and word in page.text, (lang, path)


def test_portal_member_replies_and_hands_a_guest_pass_to_a_friend(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Khin", phone="09 7812 34567", locale="en")
    event = create_event(client, shop, name="Christmas tasting", guests_allowed=1)
    club = client.post(
        "/api/v1/clubs", json={"name": "Cake Club", "perk": "A candle on us"}, headers=shop.headers
    ).json()
    client.post(
        f"/api/v1/clubs/{club['id']}/members",
        json={"customer_id": str(member.id)},
        headers=shop.headers,
    )
    base = portal_sign_in(client, shop, channel, "09 7812 34567")
    card = client.get(base).text
    assert "Invitations" in card and "Cake Club" in card and "A candle on us" in card
    page = client.get(base + "events").text
    assert "Christmas tasting" in page and "I will come" in page
    token = csrf_of(client, base + "events")
    r = client.post(
        base + f"events/{event['id']}/rsvp",
        data={"guests": "1", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(base + "events").text
    assert "You are coming, with 1 guests." in page and "<svg" in page
    rsvp_id = re.search(r'name="rsvp_id" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    given = client.post(
        base + f"events/{event['id']}/guest-pass",
        data={
            "rsvp_id": rsvp_id,
            "phone": "09 4500 11122",
            "name": "Ko Zaw",
            "consent": "true",
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert given.status_code == 303, given.text
    page = client.get(base + "events").text
    assert "Ko Zaw" in page and "Give a guest pass to a friend" not in page
    friend = db.run(
        lambda s: s.scalar(select(Customer).where(Customer.phone == "+959450011122")), write=False
    )
    consent = db.run(lambda s: s.get(Consent, (shop.id, friend.id, "sms")), write=False)
    assert (friend.source, consent.granted, consent.source) == ("guest_pass", True, "guest_pass")
    assert _count(db, GuestPass) == 1


def test_portal_refuses_a_pass_to_the_members_own_phone(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Khin", phone="09 7812 34567", locale="en")
    event = create_event(client, shop, guests_allowed=1)
    rsvp = db.run(
        lambda s: events.rsvp(
            s, shop.ctx, uuid.UUID(event["id"]), RsvpCreate(customer_id=member.id, guests=1)
        )
    )
    base = portal_sign_in(client, shop, channel, "09 7812 34567")
    token = csrf_of(client, base + "events")
    r = client.post(
        base + f"events/{event['id']}/guest-pass",
        data={"rsvp_id": str(rsvp.id), "phone": "09 7812 34567", "csrf": token},
    )
    assert r.status_code == 422
    assert "This is your own phone number." in r.text and 'value="09 7812 34567"' in r.text
    assert _count(db, GuestPass) == 0


def test_the_rewards_page_limits_a_reward_to_a_tier_until_a_day(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)  # Asia/Yangon
    with_tiers(db, shop)
    sign_in(client, shop, "en")
    token = csrf_of(client, "/rewards")
    form = {"name": "New cake first", "kind": "free_item", "cost_points": "100",
            "sku": "NEW-CAKE", "valid_days": "30", "csrf": token}  # fmt: skip
    half = client.post("/rewards", data=form | {"early_access_tier": "gold"})
    assert half.status_code == 422
    assert "Pick a tier and the day everyone can have it, or neither." in half.text
    r = client.post(
        "/rewards",
        data=form | {"early_access_tier": "gold", "early_access_until": "2030-01-10"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    reward = db.run(lambda s: s.scalar(select(Reward)), write=False)
    assert reward.early_access_tier == "gold"
    assert reward.early_access_until.isoformat() == "2030-01-09T17:30:00+00:00"
    assert "Early access for Gold until" in client.get("/rewards").text
