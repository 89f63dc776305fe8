"""Referrals over HTTP on both engines: codes and share text, every refusal with its reason code,
the referrer's reward once, the clawback on a full refund, the leaderboard's exact values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.checkout import service as checkout
from regulars.customers.models import Customer
from regulars.customers.schemas import CustomerCreate
from regulars.db import Database
from regulars.kit import clock
from regulars.referrals import service as referrals
from regulars.referrals.models import Referral
from tests.checkout.test_concurrency import body, race
from tests.factories import Shop, make_merchant

API = "/api/v1"


def join(client: TestClient, shop: Shop, code: str | None = None, **fields: Any) -> Any:
    payload = {"name": "Friend"} | fields
    if code is not None:
        payload["referral_code"] = code
    return client.post(f"{API}/customers", json=payload, headers=shop.headers)


def member(client: TestClient, shop: Shop, code: str | None = None, **fields: Any) -> str:
    r = join(client, shop, code, **fields)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def code_of(client: TestClient, shop: Shop, customer_id: str) -> str:
    r = client.get(f"{API}/customers/{customer_id}/referral", headers=shop.headers)
    assert r.status_code == 200, r.text
    return str(r.json()["code"])


def buy(
    client: TestClient, shop: Shop, customer_id: str, receipt: str, amount: int
) -> dict[str, Any]:
    sale = {
        "receipt_id": receipt,
        "customer": {"id": customer_id},
        "lines": [{"sku": "CAKE", "name": "Cake", "quantity": 1, "unit_price": amount}],
    }
    r = client.post(f"{API}/checkout", json=sale, headers=shop.headers)
    assert r.status_code in (200, 201), r.text
    return dict(r.json())


def ledger(client: TestClient, shop: Shop, customer_id: str) -> list[tuple[int, str, str]]:
    r = client.get(f"{API}/customers/{customer_id}/ledger", headers=shop.headers)
    assert r.status_code == 200
    return [(e["points"], e["kind"], e["reason"]) for e in reversed(r.json()["data"])]


def referral_rows(client: TestClient, shop: Shop, customer_id: str) -> list[tuple[int, str, str]]:
    return [e for e in ledger(client, shop, customer_id) if e[1] == "referral"]


def balance(client: TestClient, shop: Shop, customer_id: str) -> int:
    r = client.get(f"{API}/customers/{customer_id}", headers=shop.headers)
    return int(r.json()["points_balance"])


def refused(r: Any, reason_code: str, field: str = "referral_code") -> None:
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["type"] == "/problems/referral-refused"
    assert [(e["field"], e["reason_code"]) for e in problem["errors"]] == [(field, reason_code)]


def counts(db: Database, shop: Shop) -> tuple[int, int]:
    def read(s: Any) -> tuple[int, int]:
        people = s.scalar(select(func.count()).where(Customer.merchant_id == shop.id))
        links = s.scalar(select(func.count()).where(Referral.merchant_id == shop.id))
        return int(people), int(links)

    return db.run(read, write=False)


def put_referral(client: TestClient, shop: Shop, **rule: Any) -> None:
    program = client.get(f"{API}/program", headers=shop.headers).json()["program"]
    program["referral"] |= rule
    r = client.put(f"{API}/program", json=program, headers=shop.headers)
    assert r.status_code == 200, r.text


# --- codes and share text ------------------------------------------------------------------


def test_a_member_gets_one_code_a_join_link_and_share_text_in_their_language(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db, name="Kedai Kopi", country="MY", currency="MYR", locale="ms",
                         timezone="Asia/Kuala_Lumpur")  # fmt: skip
    maya = member(client, shop, name="Maya", locale="ms")
    r = client.get(f"{API}/customers/{maya}/referral", headers=shop.headers)
    assert r.status_code == 200
    out = r.json()
    code = out["code"]
    assert len(code) == 8 and out == {
        "code": code,
        "link": f"http://testserver/p/{shop.ctx.merchant.slug}/join?ref={code}",
        "share_text": (
            f"Jom ke Kedai Kopi! Daftar dengan kod saya {code[:4]}-{code[4:]} dan dapatkan 100 "
            f"mata alu-aluan: http://testserver/p/{shop.ctx.merchant.slug}/join?ref={code}"
        ),
        "customer_id": maya,
        "family": None,
        "friend_points": 100,
        "family_points": 300,
        "referrer_points": 200,
        "referred_by": None,
        "friends": 0,
    }
    again = client.get(f"{API}/customers/{maya}/referral", headers=shop.headers).json()
    assert again["code"] == code


def test_a_new_merchants_program_rewards_both_sides(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    rule = client.get(f"{API}/program", headers=shop.headers).json()["program"]["referral"]
    assert rule["referrer_points"] > 0 and rule["friend_points"] > 0


def test_a_friend_who_joins_with_a_code_gets_the_welcome_points(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya", phone="09 7812 34567")
    code = code_of(client, shop, maya)
    r = join(client, shop, code.lower()[:4] + "-" + code.lower()[4:], phone="09 7812 30000")
    assert r.status_code == 201, r.text
    friend = r.json()["id"]
    assert r.json()["points_balance"] == 100
    assert ledger(client, shop, friend) == [(100, "referral", "referral_welcome")]
    assert ledger(client, shop, maya) == []  # nothing until the friend buys
    info = client.get(f"{API}/customers/{friend}/referral", headers=shop.headers).json()
    assert info["referred_by"] == maya
    assert (
        client.get(f"{API}/customers/{maya}/referral", headers=shop.headers).json()["friends"] == 1
    )


# --- refusals --------------------------------------------------------------------------------


def test_an_unknown_code_is_refused_and_creates_nobody(client: TestClient, db: Database) -> None:
    shop, other = make_merchant(db), make_merchant(db, name="Other")
    elsewhere = code_of(client, other, member(client, other, name="Elsewhere"))
    before = counts(db, shop)
    refused(join(client, shop, "ZZZZ-ZZZZ", phone="09 7812 30001"), "unknown_code")
    refused(join(client, shop, elsewhere, phone="09 7812 30001"), "unknown_code")
    refused(join(client, shop, "!!", phone="09 7812 30001"), "unknown_code")
    assert counts(db, shop) == before


def test_self_referral_by_the_same_phone_or_email_is_refused(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya", phone="09 7812 34567", email="maya@example.com")
    code = code_of(client, shop, maya)
    before = counts(db, shop)
    refused(join(client, shop, code, phone="+95 9 7812 34567"), "self_referral")
    refused(join(client, shop, code, email="MAYA@example.com"), "self_referral")
    refused(
        client.post(
            f"{API}/customers/{maya}/referred-by", json={"code": code}, headers=shop.headers
        ),
        "self_referral",
        "code",
    )
    assert counts(db, shop) == before
    assert balance(client, shop, maya) == 0


def test_loops_are_refused_directly_and_further_up(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    a = member(client, shop, name="A")
    b = member(client, shop, code_of(client, shop, a), name="B")
    c = member(client, shop, code_of(client, shop, b), name="C")
    before = counts(db, shop)
    for referrer in (b, c):  # B was brought by A; C by B, who was brought by A
        r = client.post(
            f"{API}/customers/{a}/referred-by",
            json={"code": code_of(client, shop, referrer)},
            headers=shop.headers,
        )
        refused(r, "loop", "code")
    assert counts(db, shop) == before
    assert balance(client, shop, a) == 0


def test_a_referrer_past_the_monthly_cap_is_refused(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    put_referral(client, shop, monthly_cap=2)
    maya = member(client, shop, name="Maya")
    code = code_of(client, shop, maya)
    member(client, shop, code, name="F1")
    member(client, shop, code, name="F2")
    before = counts(db, shop)
    refused(join(client, shop, code, name="F3"), "monthly_cap")
    assert counts(db, shop) == before


def test_an_existing_customer_can_be_referred_once_and_only_before_buying(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    maya, lin = member(client, shop, name="Maya"), member(client, shop, name="Lin")
    code, lin_code = code_of(client, shop, maya), code_of(client, shop, lin)
    walk_in = member(client, shop, name="Walk-in")
    url = f"{API}/customers/{walk_in}/referred-by"
    r = client.post(url, json={"code": code}, headers=shop.headers)
    assert r.status_code == 201 and r.json()["status"] == "pending"
    assert r.json()["referrer_id"] == maya and balance(client, shop, walk_in) == 100
    refused(client.post(url, json={"code": lin_code}, headers=shop.headers), "already_referred",
            "code")  # fmt: skip
    buyer = member(client, shop, name="Buyer")
    buy(client, shop, buyer, "R-1", 5000)
    before = counts(db, shop)
    r = client.post(f"{API}/customers/{buyer}/referred-by", json={"code": code},
                    headers=shop.headers)  # fmt: skip
    refused(r, "not_new", "code")
    assert counts(db, shop) == before and balance(client, shop, buyer) == 5


def test_a_family_code_works_for_an_eligible_tier_and_lapses_with_it(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    program = client.get(f"{API}/program", headers=shop.headers).json()["program"]
    program["tiers"]["levels"] = [
        {"code": "member", "name": "Member", "min_spend": 0},
        {"code": "gold", "name": "Gold", "min_spend": 100000},
    ]
    program["referral"]["family_tiers"] = ["gold"]
    assert client.put(f"{API}/program", json=program, headers=shop.headers).status_code == 200
    vip = member(client, shop, name="VIP")
    assert (
        client.get(f"{API}/customers/{vip}/referral", headers=shop.headers).json()["family"] is None
    )
    sale = buy(client, shop, vip, "R-1", 150000)
    assert sale["tier"]["code"] == "gold"
    family = client.get(f"{API}/customers/{vip}/referral", headers=shop.headers).json()["family"]
    assert family["code"] != code_of(client, shop, vip)
    friend = join(client, shop, family["code"], name="Cousin")
    assert friend.status_code == 201 and friend.json()["points_balance"] == 300
    program["referral"]["family_tiers"] = ["platinum"]  # gold members no longer get one
    assert client.put(f"{API}/program", json=program, headers=shop.headers).status_code == 200
    assert (
        client.get(f"{API}/customers/{vip}/referral", headers=shop.headers).json()["family"] is None
    )
    before = counts(db, shop)
    refused(join(client, shop, family["code"], name="Neighbour"), "code_lapsed")
    assert counts(db, shop) == before


# --- the reward ------------------------------------------------------------------------------


def test_the_referrer_is_rewarded_once_on_the_friends_first_purchase_even_when_replayed(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya")
    friend = member(client, shop, code_of(client, shop, maya), name="Friend")
    first = buy(client, shop, friend, "R-1", 20000)
    for _ in range(3):
        assert buy(client, shop, friend, "R-1", 20000) == first  # replayed
    buy(client, shop, friend, "R-2", 30000)
    assert referral_rows(client, shop, maya) == [(200, "referral", "referral_reward")]
    assert balance(client, shop, maya) == 200


def test_a_purchase_below_the_minimum_does_not_qualify_the_next_one_does(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    put_referral(client, shop, min_spend=10000)
    maya = member(client, shop, name="Maya")
    friend = member(client, shop, code_of(client, shop, maya), name="Friend")
    buy(client, shop, friend, "R-1", 9999)
    assert referral_rows(client, shop, maya) == []
    buy(client, shop, friend, "R-2", 10000)
    assert referral_rows(client, shop, maya) == [(200, "referral", "referral_reward")]


def test_concurrent_first_purchases_reward_once(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya")
    friend = member(client, shop, code_of(client, shop, maya), name="Friend")
    results = race(
        12, lambda i: db.run(lambda s: checkout.commit(s, shop.ctx, body(f"R-{i}", friend)))
    )
    assert all(not isinstance(r, Exception) for r in results)
    assert referral_rows(client, shop, maya) == [(200, "referral", "referral_reward")]
    assert balance(client, shop, maya) == 200


def test_a_full_refund_of_the_rewarding_sale_takes_the_reward_back_once(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya")
    friend = member(client, shop, code_of(client, shop, maya), name="Friend")
    sale = {
        "receipt_id": "R-1",
        "customer": {"id": friend},
        "lines": [
            {"sku": "CAKE", "quantity": 2, "unit_price": 5000},
            {"sku": "TEA", "quantity": 1, "unit_price": 2000},
        ],
    }
    purchase = client.post(f"{API}/checkout", json=sale, headers=shop.headers).json()
    url = f"{API}/purchases/{purchase['purchase_id']}/refunds"
    part = {"refund_id": "RF-1", "lines": [{"sku": "CAKE", "quantity": 2}]}
    assert client.post(url, json=part, headers=shop.headers).status_code == 201
    assert balance(client, shop, maya) == 200  # a partial refund keeps the reward
    rest = {"refund_id": "RF-2", "lines": [{"sku": "TEA", "quantity": 1}]}
    for _ in range(2):  # the second is a replay
        assert client.post(url, json=rest, headers=shop.headers).status_code in (200, 201)
    assert referral_rows(client, shop, maya) == [
        (200, "referral", "referral_reward"),
        (-200, "referral", "referral_clawback"),
    ]
    assert balance(client, shop, maya) == 0
    buy(client, shop, friend, "R-2", 8000)  # a later sale does not reward again
    assert balance(client, shop, maya) == 0


def test_the_clawback_may_leave_a_debt_when_the_reward_was_spent(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya")
    friend = member(client, shop, code_of(client, shop, maya), name="Friend")
    purchase = buy(client, shop, friend, "R-1", 4000)
    paid = buy(client, shop, maya, "M-1", 10000) | {}
    spend = {"receipt_id": "M-2", "customer": {"id": maya}, "redeem_points": 150,
             "lines": [{"sku": "CAKE", "quantity": 1, "unit_price": 10000}]}  # fmt: skip
    assert client.post(f"{API}/checkout", json=spend, headers=shop.headers).status_code == 201
    before = balance(client, shop, maya)
    assert before == 200 + paid["points_earned"] - 150 + 8  # 8: the second sale's points
    r = client.post(f"{API}/purchases/{purchase['purchase_id']}/refunds",
                    json={"refund_id": "RF-1"}, headers=shop.headers)  # fmt: skip
    assert r.status_code == 201
    assert balance(client, shop, maya) == before - 200


# --- ambassador value ------------------------------------------------------------------------


def test_the_leaderboard_ranks_a_modest_spender_who_brought_ten_friends_first(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    modest = member(client, shop, name="Modest")
    big = member(client, shop, name="Big")
    buy(client, shop, modest, "M-1", 50000)
    buy(client, shop, big, "B-1", 200000)
    code = code_of(client, shop, modest)
    friends = [member(client, shop, code, name=f"Friend {i}") for i in range(10)]
    for i, friend in enumerate(friends):
        buy(client, shop, friend, f"F-{i}", 20000)
    grand = member(client, shop, code_of(client, shop, friends[0]), name="Grandfriend")
    buy(client, shop, grand, "G-1", 10000)
    refunded = buy(client, shop, friends[1], "F-1b", 7000)
    r = client.post(f"{API}/purchases/{refunded['purchase_id']}/refunds",
                    json={"refund_id": "RF-1"}, headers=shop.headers)  # fmt: skip
    assert r.status_code == 201
    r = client.get(f"{API}/referrals/leaderboard?limit=3", headers=shop.headers)
    assert r.status_code == 200
    out = r.json()
    assert out["currency"] == "MMK"
    rows = [
        (e["name"], e["own_spend"], e["friends_spend"], e["second_degree_spend"], e["referrals"],
         e["converted"], e["value"], e["rank"])
        for e in out["data"]
    ]  # fmt: skip
    assert rows == [
        ("Modest", 50000, 200000, 10000, 10, 10, 260000, 1),
        ("Big", 200000, 0, 0, 0, 0, 200000, 2),
        ("Friend 0", 20000, 10000, 0, 1, 1, 30000, 3),
    ]


def test_the_leaderboard_and_referral_of_another_merchant_are_not_found(
    client: TestClient, db: Database
) -> None:
    shop, other = make_merchant(db), make_merchant(db, name="Other")
    theirs = member(client, other, name="Theirs")
    r = client.get(f"{API}/customers/{theirs}/referral", headers=shop.headers)
    assert r.status_code == 404
    r = client.post(f"{API}/customers/{theirs}/referred-by", json={"code": "ABCDEFGH"},
                    headers=shop.headers)  # fmt: skip
    assert r.status_code == 404
    assert client.get(f"{API}/referrals/leaderboard", headers=shop.headers).json()["data"] == []


def test_the_monthly_cap_counts_the_shops_calendar_month(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # Asia/Yangon, UTC+6:30
    put_referral(client, shop, monthly_cap=1)
    maya = member(client, shop, name="Maya")
    code = code_of(client, shop, maya)
    with clock.frozen(datetime(2026, 1, 31, 17, 0, tzinfo=UTC)):  # 31 January, 23:30 in Yangon
        member(client, shop, code, name="January")
    with clock.frozen(datetime(2026, 1, 31, 17, 29, tzinfo=UTC)):  # still January there
        refused(join(client, shop, code, name="Late January"), "monthly_cap")
    with clock.frozen(datetime(2026, 1, 31, 17, 31, tzinfo=UTC)):  # 1 February, 00:01 there
        member(client, shop, code, name="February")
    assert (
        client.get(f"{API}/customers/{maya}/referral", headers=shop.headers).json()["friends"] == 2
    )


def test_concurrent_sign_ups_with_one_code_stop_at_the_cap(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    put_referral(client, shop, monthly_cap=3)
    maya = member(client, shop, name="Maya")
    code = code_of(client, shop, maya)
    data = [CustomerCreate(name=f"Friend {i}", referral_code=code) for i in range(10)]
    results = race(
        10, lambda i: db.run(lambda s: referrals.create_customer(s, shop.ctx, data[i]).id)
    )
    joined = [r for r in results if not isinstance(r, Exception)]
    assert len(joined) == 3
    assert all(isinstance(r, referrals.ReferralRefused) and r.reason_code == "monthly_cap"
               for r in results if isinstance(r, Exception))  # fmt: skip
    assert counts(db, shop) == (4, 3)


def test_merging_two_customers_gives_the_survivor_both_ones_friends_and_drops_their_own_link(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    rita = member(client, shop, name="Rita")
    keeper = member(client, shop, name="Keeper")
    other = member(client, shop, code_of(client, shop, rita), name="Other")
    member(client, shop, code_of(client, shop, keeper), name="F1")
    member(client, shop, code_of(client, shop, other), name="F2")
    between = member(client, shop, code_of(client, shop, other), name="Between")
    r = client.post(f"{API}/customers/{keeper}/merge", json={"other_id": between},
                    headers=shop.headers)  # fmt: skip
    assert r.status_code == 200, r.text  # Other brought Between, now Keeper: kept
    r = client.post(f"{API}/customers/{keeper}/merge", json={"other_id": other},
                    headers=shop.headers)  # fmt: skip
    assert r.status_code == 200, r.text

    def links(s: Any) -> list[tuple[str, str]]:
        names = dict(s.execute(select(Customer.id, Customer.name)).all())
        rows = s.execute(select(Referral.referrer_id, Referral.friend_id)).all()
        return sorted((names[a] or "?", names[b] or "?") for a, b in rows)

    assert db.run(links, write=False) == [("Keeper", "F1"), ("Keeper", "F2"), ("Rita", "Keeper")]
    info = client.get(f"{API}/customers/{keeper}/referral", headers=shop.headers).json()
    assert (info["referred_by"], info["friends"]) == (rita, 2)
