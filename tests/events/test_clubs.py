"""Clubs: members, and a club's earn multiplier in the points of a sale (a worked example)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.loyalty import rules
from regulars.loyalty.program import EarnRule, Program, Tier
from tests.events.helpers import API, buy
from tests.factories import make_customer, make_merchant


def test_a_club_multiplier_adds_to_the_base_like_a_tier() -> None:
    # 1 point per 1,000 kyat; 25,500 kyat -> base 25. Gold 150% adds floor(25 x 0.5) = 12, the
    # Coffee Club's 120% adds floor(25 x 0.2) = 5 (added, not compounded): 42 in all.
    program = Program(earn=EarnRule(points=1, per_amount=1000))
    gold = Tier(code="gold", name="Gold", min_spend=0, multiplier=150)
    lines = [rules.Line("LATTE", "coffee", 3, 25_500)]
    facts = rules.Facts(today=date(2026, 12, 4), tier=gold)
    earned = rules.earn_points(program, lines, facts, extra=[("club:Coffee Club", 120)])
    assert earned.breakdown == [("base", 25), ("tier:gold", 12), ("club:Coffee Club", 5)]
    assert earned.total == 42
    # A club at 100% (a perk only) adds nothing.
    plain = rules.earn_points(
        program, lines, rules.Facts(today=facts.today), extra=[("club:X", 100)]
    )
    assert plain.breakdown == [("base", 25)]


def test_a_club_members_sale_earns_the_clubs_multiplier(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # MMK default program: 1 point per 1,000 kyat
    member = make_customer(db, shop, name="Ko Latte", phone="09 7812 34567")
    outsider = make_customer(db, shop, name="U Tea", phone="09 7812 00000")
    club = client.post(
        f"{API}/clubs",
        json={"name": "Coffee Club", "multiplier": 200, "perk": "Free refill on Sundays"},
        headers=shop.headers,
    )
    assert club.status_code == 201, club.text
    club_id = club.json()["id"]
    joined = client.post(
        f"{API}/clubs/{club_id}/members", json={"customer_id": str(member.id)}, headers=shop.headers
    )
    assert joined.status_code == 201, joined.text
    again = client.post(
        f"{API}/clubs/{club_id}/members", json={"customer_id": str(member.id)}, headers=shop.headers
    )
    assert (again.status_code, again.json()["type"]) == (409, "/problems/already-member")
    members = client.get(f"{API}/clubs/{club_id}/members", headers=shop.headers).json()
    assert [m["customer_id"] for m in members] == [str(member.id)]
    listed = client.get(f"{API}/clubs", headers=shop.headers).json()
    assert [(c["name"], c["multiplier"], c["members"]) for c in listed] == [("Coffee Club", 200, 1)]

    # 37,800 kyat: base 37; the club's 200% adds 37 -> 74.
    sale = buy(db, shop, member.id, 37_800, "R-CLUB-1")
    assert sale["points_earned"] == 74
    assert sale["points_breakdown"] == [
        {"rule": "base", "points": 37},
        {"rule": "club:Coffee Club", "points": 37},
    ]
    assert buy(db, shop, outsider.id, 37_800, "R-CLUB-2")["points_earned"] == 37
    ledger = client.get(f"{API}/customers/{member.id}/ledger", headers=shop.headers).json()["data"]
    assert sorted((e["kind"], e["reason"], e["points"]) for e in ledger) == [
        ("bonus", "club:Coffee Club", 37),
        ("earn", "base", 37),
    ]

    left = client.delete(f"{API}/clubs/{club_id}/members/{member.id}", headers=shop.headers)
    assert left.status_code == 204
    assert buy(db, shop, member.id, 37_800, "R-CLUB-3")["points_earned"] == 37


def test_a_club_name_is_unique_and_the_multiplier_is_bounded(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    assert (
        client.post(f"{API}/clubs", json={"name": "Tea"}, headers=shop.headers).status_code == 201
    )
    dup = client.post(f"{API}/clubs", json={"name": "Tea"}, headers=shop.headers)
    assert (dup.status_code, dup.json()["errors"]) == (409, [{"field": "name", "message": "taken"}])
    high = client.post(f"{API}/clubs", json={"name": "X", "multiplier": 1001}, headers=shop.headers)
    assert high.status_code == 422
    assert [c["name"] for c in client.get(f"{API}/clubs", headers=shop.headers).json()] == ["Tea"]


def test_a_merged_customers_clubs_go_to_the_survivor(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    survivor = make_customer(db, shop, name="Ko Latte", phone="09 7812 34567")
    other = make_customer(db, shop, name="Ko Latte (old card)")
    club_id = client.post(
        f"{API}/clubs", json={"name": "Coffee Club", "multiplier": 200}, headers=shop.headers
    ).json()["id"]
    client.post(
        f"{API}/clubs/{club_id}/members", json={"customer_id": str(other.id)}, headers=shop.headers
    )
    r = client.post(
        f"{API}/customers/{survivor.id}/merge",
        json={"other_id": str(other.id)},
        headers=shop.headers,
    )
    assert r.status_code == 200, r.text
    members = client.get(f"{API}/clubs/{club_id}/members", headers=shop.headers).json()
    assert [m["customer_id"] for m in members] == [str(survivor.id)]
    assert buy(db, shop, survivor.id, 37_800, "R-MERGED")["points_earned"] == 74
