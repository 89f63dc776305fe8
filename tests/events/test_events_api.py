"""VIP events over the API: who may RSVP and why not, seats, guest passes, the door."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.customers.models import Consent, Customer
from regulars.db import Database
from regulars.events.models import Event, GuestPass, Rsvp
from tests.events.helpers import API, create_event, make_gold, with_tiers
from tests.factories import make_customer, make_merchant


def _count(db: Database, table: Any) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(table)), write=False))


def test_an_event_is_created_and_listed_with_its_invitation(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    made = create_event(client, shop, tiers=["gold"], tags=["coffee  lover"], guests_allowed=2)
    assert (made["capacity"], made["taken"], made["guests_allowed"]) == (30, 0, 2)
    assert (made["tiers"], made["tags"]) == (["gold"], ["coffee lover"])
    listed = client.get(f"{API}/events", headers=shop.headers).json()
    assert [e["id"] for e in listed] == [made["id"]]


def test_a_gold_member_rsvps_with_a_guest_and_takes_two_seats(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    with_tiers(db, shop)
    member = make_customer(db, shop, name="Daw Khin", phone="09 7812 34567")
    make_gold(db, shop, member.id)
    event = create_event(client, shop, tiers=["gold"])
    r = client.post(
        f"{API}/events/{event['id']}/rsvps",
        json={"customer_id": str(member.id), "guests": 1},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["guests"], r.json()["passes_given"], len(r.json()["code"])) == (1, 0, 12)
    assert client.get(f"{API}/events/{event['id']}", headers=shop.headers).json()["taken"] == 2


def test_a_customer_outside_the_invited_tiers_and_tags_is_refused_with_the_reason(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    with_tiers(db, shop)
    other = make_customer(db, shop, name="U Ba", tags=["tea"])
    event = create_event(client, shop, tiers=["gold"], tags=["coffee"])
    r = client.post(
        f"{API}/events/{event['id']}/rsvps",
        json={"customer_id": str(other.id), "guests": 0},
        headers=shop.headers,
    )
    assert r.status_code == 409
    assert r.json()["type"] == "/problems/not-invited"
    assert r.json()["detail"] == (
        "not invited: this event is for customers with tier gold or tag coffee"
    )
    assert _count(db, Rsvp) == 0
    assert client.get(f"{API}/events/{event['id']}", headers=shop.headers).json()["taken"] == 0


def test_a_tag_invites_as_well_as_a_tier(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    fan = make_customer(db, shop, name="Ma Ma", tags=["coffee"])
    event = create_event(client, shop, tiers=["gold"], tags=["coffee"])
    r = client.post(
        f"{API}/events/{event['id']}/rsvps",
        json={"customer_id": str(fan.id)},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text


def test_a_full_event_answers_409_and_keeps_no_rsvp(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    a = make_customer(db, shop, name="A")
    b = make_customer(db, shop, name="B")
    event = create_event(client, shop, capacity=2, guests_allowed=1)
    url = f"{API}/events/{event['id']}/rsvps"
    first = client.post(url, json={"customer_id": str(a.id)}, headers=shop.headers)
    assert first.status_code == 201
    r = client.post(url, json={"customer_id": str(b.id), "guests": 1}, headers=shop.headers)
    assert r.status_code == 409
    assert (r.json()["type"], r.json()["detail"]) == (
        "/problems/event-full",
        "1 seats left, 2 asked",
    )
    assert _count(db, Rsvp) == 1
    assert client.get(f"{API}/events/{event['id']}", headers=shop.headers).json()["taken"] == 1


def test_a_second_rsvp_and_too_many_guests_are_refused(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    a = make_customer(db, shop, name="A")
    event = create_event(client, shop, guests_allowed=1)
    url = f"{API}/events/{event['id']}/rsvps"
    many = client.post(url, json={"customer_id": str(a.id), "guests": 2}, headers=shop.headers)
    assert (many.status_code, many.json()["type"]) == (409, "/problems/too-many-guests")
    assert (
        client.post(url, json={"customer_id": str(a.id)}, headers=shop.headers).status_code == 201
    )
    again = client.post(url, json={"customer_id": str(a.id)}, headers=shop.headers)
    assert (again.status_code, again.json()["type"]) == (409, "/problems/already-replied")
    assert client.get(f"{API}/events/{event['id']}", headers=shop.headers).json()["taken"] == 1


def _member_with_rsvp(client: TestClient, db: Database, guests: int = 1) -> tuple[Any, ...]:
    shop = make_merchant(db)
    member = make_customer(db, shop, name="Daw Khin", phone="09 7812 34567")
    event = create_event(client, shop, guests_allowed=2)
    r = client.post(
        f"{API}/events/{event['id']}/rsvps",
        json={"customer_id": str(member.id), "guests": guests},
        headers=shop.headers,
    )
    assert r.status_code == 201, r.text
    return shop, member, event, r.json()


def test_a_guest_pass_makes_the_friend_a_prospect_with_consent_recorded(
    client: TestClient, db: Database
) -> None:
    shop, _member, event, rsvp = _member_with_rsvp(client, db)
    url = f"{API}/events/{event['id']}/rsvps/{rsvp['id']}/guest-passes"
    body = {"phone": "09 4500 11122", "name": "Ko Zaw", "consent": True}
    r = client.post(url, json=body, headers=shop.headers)
    assert r.status_code == 201, r.text
    friend = db.run(
        lambda s: s.scalar(select(Customer).where(Customer.phone == "+959450011122")),
        write=False,
    )
    assert (friend.name, friend.source) == ("Ko Zaw", "guest_pass")
    assert r.json()["customer_id"] == str(friend.id)
    consent = db.run(lambda s: s.get(Consent, (shop.id, friend.id, "sms")), write=False)
    assert (consent.granted, consent.source) == (True, "guest_pass")
    rsvps = client.get(f"{API}/events/{event['id']}/rsvps", headers=shop.headers).json()
    assert rsvps[0]["passes_given"] == 1
    # The seats do not move: the guest's seat was taken by the RSVP.
    assert client.get(f"{API}/events/{event['id']}", headers=shop.headers).json()["taken"] == 2


def test_an_existing_customer_keeps_their_own_consent_when_handed_a_pass(
    client: TestClient, db: Database
) -> None:
    shop, _member, event, rsvp = _member_with_rsvp(client, db)
    friend = make_customer(db, shop, name="Ko Zaw", phone="09 4500 11122", consent={"sms": False})
    url = f"{API}/events/{event['id']}/rsvps/{rsvp['id']}/guest-passes"
    r = client.post(url, json={"phone": "094500 11122", "consent": True}, headers=shop.headers)
    assert r.status_code == 201, r.text
    assert r.json()["customer_id"] == str(friend.id)
    consent = db.run(lambda s: s.get(Consent, (shop.id, friend.id, "sms")), write=False)
    assert (consent.granted, consent.source) == (False, "api")


def test_passes_stop_at_the_rsvps_guests_and_a_friend_gets_one_pass(
    client: TestClient, db: Database
) -> None:
    shop, _member, event, rsvp = _member_with_rsvp(client, db, guests=1)
    url = f"{API}/events/{event['id']}/rsvps/{rsvp['id']}/guest-passes"
    own = client.post(url, json={"phone": "09 7812 34567", "consent": True}, headers=shop.headers)
    assert (own.status_code, own.json()["errors"][0]["field"]) == (422, "phone")
    ok = client.post(url, json={"phone": "09 4500 11122", "consent": False}, headers=shop.headers)
    assert ok.status_code == 201
    more = client.post(url, json={"phone": "09 4500 33344", "consent": True}, headers=shop.headers)
    assert (more.status_code, more.json()["type"]) == (409, "/problems/no-guest-pass-left")
    assert _count(db, GuestPass) == 1
    # The refused friend was not kept as a prospect either: the refusal rolled everything back.
    assert _count(db, Customer) == 2


def test_a_pass_checks_in_once_and_a_second_scan_says_so(client: TestClient, db: Database) -> None:
    shop, _member, event, rsvp = _member_with_rsvp(client, db, guests=2)
    passes = f"{API}/events/{event['id']}/rsvps/{rsvp['id']}/guest-passes"
    given = client.post(
        passes, json={"phone": "09 4500 11122", "consent": True}, headers=shop.headers
    )
    door = f"{API}/events/{event['id']}/check-ins"
    typed = rsvp["code"].lower()[:4] + "-" + rsvp["code"][4:]  # as a person might type it
    first = client.post(door, json={"code": typed}, headers=shop.headers)
    assert first.status_code == 200, first.text
    got = first.json()
    assert (got["status"], got["kind"], got["admits"], got["name"]) == (
        "checked_in",
        "member",
        2,
        "Daw Khin",
    )
    second = client.post(door, json={"code": rsvp["code"]}, headers=shop.headers).json()
    assert (second["status"], second["checked_in_at"]) == (
        "already_checked_in",
        got["checked_in_at"],
    )
    guest = client.post(door, json={"code": given.json()["code"]}, headers=shop.headers).json()
    assert (guest["status"], guest["kind"], guest["admits"]) == ("checked_in", "guest", 1)
    wrong = client.post(door, json={"code": "0000-0000-0000"}, headers=shop.headers)
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "code")
    checked = db.run(
        lambda s: s.scalar(
            select(func.count()).select_from(Rsvp).where(Rsvp.checked_in_at.is_not(None))
        ),
        write=False,
    )
    assert checked == 1


def test_a_pass_for_another_event_does_not_open_this_door(client: TestClient, db: Database) -> None:
    shop, _member, _event, rsvp = _member_with_rsvp(client, db)
    other = create_event(client, shop, name="New year")
    r = client.post(
        f"{API}/events/{other['id']}/check-ins", json={"code": rsvp["code"]}, headers=shop.headers
    )
    assert r.status_code == 422
    row = db.run(lambda s: s.get(Rsvp, (shop.id, uuid.UUID(rsvp["id"]))), write=False)
    assert row.checked_in_at is None


def test_rsvps_close_when_the_event_starts(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    a = make_customer(db, shop, name="A")
    event = create_event(client, shop, starts_at="2020-01-01T18:00:00+06:30")
    r = client.post(
        f"{API}/events/{event['id']}/rsvps", json={"customer_id": str(a.id)}, headers=shop.headers
    )
    assert (r.status_code, r.json()["type"]) == (409, "/problems/event-started")
    assert _count(db, Event) == 1 and _count(db, Rsvp) == 0


def test_a_cashier_cannot_create_an_event(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    till = shop.key_for(db, "cashier")
    r = client.post(
        f"{API}/events",
        json={"name": "X", "starts_at": "2030-01-01T18:00:00Z", "capacity": 5},
        headers=till,
    )
    assert r.status_code == 403
    assert _count(db, Event) == 0


def test_an_erased_members_pass_still_checks_in_without_a_name(
    client: TestClient, db: Database
) -> None:
    shop, member, event, rsvp = _member_with_rsvp(client, db)
    assert client.delete(f"{API}/customers/{member.id}", headers=shop.headers).status_code == 204
    r = client.post(
        f"{API}/events/{event['id']}/check-ins", json={"code": rsvp["code"]}, headers=shop.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["name"], r.json()["admits"]) == ("checked_in", None, 2)
