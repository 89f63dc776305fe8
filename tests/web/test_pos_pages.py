"""The POS screen's JSON endpoints, called as its script calls them: staff session + CSRF header."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.checkout.models import Purchase
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import PointsEntry, Voucher
from regulars.loyalty.schemas import AdjustmentCreate, RewardCreate
from regulars.merchants import service as merchants
from regulars.merchants.schemas import StaffCreate
from tests.factories import PASSWORD, Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of

_META = re.compile(r'data-csrf="([^"]+)"')


def _count(db: Database, model: type, **where: object) -> int:
    q = select(func.count()).select_from(model).filter_by(**where)
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


def _malaysia(db: Database) -> Shop:
    return make_merchant(
        db, name="KL Kopi", country="MY", currency="MYR", timezone="Asia/Kuala_Lumpur", locale="ms"
    )


def add_staff(db: Database, shop: Shop, role: str) -> str:
    email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    data = StaffCreate(email=email, name=f"A {role}", role=role, password=PASSWORD)  # type: ignore[arg-type]
    db.run(lambda s: merchants.create_staff(s, shop.ctx, data))
    return email


def sign_in_as(client: TestClient, email: str, lang: str = "en") -> str:
    """Signs in and returns the CSRF token the POS page carries."""
    token = csrf_of(client, "/login")
    client.post("/lang", data={"lang": lang, "next": "/login", "csrf": token})
    r = client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "next": "/pos", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/pos")
    assert page.status_code == 200
    found = _META.search(page.text)
    assert found
    return found.group(1)


def cashier(client: TestClient, db: Database, shop: Shop) -> dict[str, str]:
    return {"X-CSRF-Token": sign_in_as(client, add_staff(db, shop, "cashier"))}


def basket(
    receipt: str, customer_id: Any = None, *lines: tuple[str, int, str], **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receipt_id": receipt,
        "customer_id": str(customer_id) if customer_id else None,
        "lines": [
            {"sku": sku, "name": sku.title(), "category": "cakes", "quantity": qty, "price": price}
            for sku, qty, price in lines
        ],
    }
    return body | extra


def give_points(db: Database, shop: Shop, customer_id: uuid.UUID, points: int) -> None:
    data = AdjustmentCreate(points=points, reason="opening balance")
    db.run(lambda s: loyalty.adjust(s, shop.ctx, customer_id, data))


def test_lookup_by_a_local_phone_format_or_member_code(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Daw Mya", phone="+959781234567")
    give_points(db, shop, mya.id, 42)
    headers = cashier(client, db, shop)
    r = client.get("/pos/customer", params={"q": "09 7812 34567"}, headers=headers)
    assert r.status_code == 200, r.text
    card = r.json()
    assert (card["id"], card["name"], card["phone"], card["balance"]) == (
        str(mya.id),
        "Daw Mya",
        "+95 9 781 234567",
        42,
    )
    assert card["code"] == f"{mya.member_code[:4]}-{mya.member_code[4:]}"
    scanned = client.get("/pos/customer", params={"q": mya.member_code.lower()}, headers=headers)
    assert scanned.json()["id"] == str(mya.id)
    missing = client.get("/pos/customer", params={"q": "09 4200 00001"}, headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": "No customer with this phone number or member code.",
        "field": "q",
    }


def test_quote_reads_prices_in_major_units_of_the_currency(
    client: TestClient, db: Database
) -> None:
    shop = _malaysia(db)  # default program: 1 point per RM1
    siti = make_customer(db, shop, name="Siti", phone="012-345 6789")
    headers = cashier(client, db, shop)
    body = basket("Q-1", siti.id, ("KOPI", 2, "12.50"), ("ROTI", 1, "3"))
    r = client.post("/pos/quote", json=body, headers=headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["subtotal"], out["total"], out["points_earned"]) == ("MYR28.00", "MYR28.00", 28)
    assert out["line_totals"] == ["MYR25.00", "MYR3.00"]
    assert out["breakdown"] == [{"label": "Points for the purchase", "points": 28}]
    assert out["cap"] == 0  # no points yet, so none can pay
    bad = client.post(
        "/pos/quote",
        json=basket("Q-1", siti.id, ("ROTI", 1, "3"), ("KOPI", 1, "12.505")),
        headers=headers,
    )
    assert bad.status_code == 422  # the error names the line
    assert bad.json() == {
        "error": "Line 2 (Kopi): this price is not valid.",
        "field": "lines.1.price",
    }
    assert _count(db, Purchase) == 0


def test_kyat_has_no_decimals_and_burmese_digits_are_read(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    headers = cashier(client, db, shop)
    ok = client.post("/pos/quote", json=basket("Q", None, ("CAKE", 1, "၅,၀၀၀")), headers=headers)
    assert ok.json()["subtotal"] == "MMK5,000"
    bad = client.post("/pos/quote", json=basket("Q", None, ("CAKE", 1, "5000.5")), headers=headers)
    assert bad.status_code == 422


def test_commit_twice_with_one_receipt_is_one_sale(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567")
    headers = cashier(client, db, shop)
    body = basket("MAIN-260309-AB12", mya.id, ("CAKE", 2, "5000"), ("TEA", 1, "1500"))
    first = client.post("/pos/commit", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/pos/commit", json=body, headers=headers)
    assert again.status_code == 200
    one, two = first.json(), again.json()
    assert (one["replayed"], two["replayed"]) == (False, True)
    assert one["purchase_id"] == two["purchase_id"]
    assert (one["points_earned"], one["balance"], one["total"]) == (11, 11, "MMK11,500")
    assert one["receipt_lines"] == two["receipt_lines"]
    assert _count(db, Purchase) == 1
    assert _count(db, PointsEntry) == 1
    changed = basket("MAIN-260309-AB12", mya.id, ("CAKE", 3, "5000"))
    conflict = client.post("/pos/commit", json=changed, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"].startswith("This receipt number was already used")
    assert _count(db, Purchase) == 1


def test_redeem_at_the_till_then_apply_the_voucher(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567")
    reward = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="1,000 Ks off", kind="amount_off", cost_points=30, amount=1000),
        )
    )
    give_points(db, shop, mya.id, 40)
    headers = cashier(client, db, shop)
    card = client.get("/pos/customer", params={"q": "09 7812 34567"}, headers=headers).json()
    assert card["rewards"] == [
        {
            "id": str(reward.id),
            "name": "1,000 Ks off",
            "cost": 30,
            "affordable": True,
            "stock": None,
        }
    ]
    r = client.post(
        "/pos/redeem",
        json={"customer_id": str(mya.id), "reward_id": str(reward.id)},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    code = r.json()["voucher"]
    assert r.json()["card"]["balance"] == 10
    assert [v["code"] for v in r.json()["card"]["vouchers"]] == [code]
    poor = client.post(
        "/pos/redeem",
        json={"customer_id": str(mya.id), "reward_id": str(reward.id)},
        headers=headers,
    )
    assert poor.status_code == 409
    assert poor.json()["error"] == "The customer does not have enough points."
    body = basket("R-V", mya.id, ("CAKE", 2, "5000"), vouchers=[code])
    quote = client.post("/pos/quote", json=body, headers=headers).json()
    assert (quote["discount"], quote["total"]) == ("MMK1,000", "MMK9,000")
    assert quote["vouchers"] == [{"code": code, "name": "1,000 Ks off", "discount": "MMK1,000"}]
    done = client.post("/pos/commit", json=body, headers=headers)
    assert done.status_code == 201
    assert (done.json()["points_earned"], done.json()["balance"]) == (9, 19)
    status = db.run(lambda s: s.scalar(select(Voucher.status)), write=False)
    assert status == "used"
    again = client.post(
        "/pos/quote",
        json=basket("R-W", mya.id, ("CAKE", 1, "5000"), vouchers=[code]),
        headers=headers,
    )
    assert again.status_code == 409
    assert again.json()["error"] == "This voucher was already used."


def test_a_redemption_sent_twice_with_its_key_gives_one_voucher(
    client: TestClient, db: Database
) -> None:
    """The till resends a redemption whose answer it never got (its script keeps the key until
    an answer comes): the same voucher comes back and the points go once."""
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567")
    reward = db.run(
        lambda s: rewards.create_reward(
            s, shop.ctx, RewardCreate(name="Tea", kind="amount_off", cost_points=10, amount=500)
        )
    )
    give_points(db, shop, mya.id, 40)
    headers = cashier(client, db, shop)
    body = {"customer_id": str(mya.id), "reward_id": str(reward.id), "request_key": "a1b2c3"}
    first = client.post("/pos/redeem", json=body, headers=headers)
    again = client.post("/pos/redeem", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["voucher"] == first.json()["voucher"]
    assert again.json()["card"]["balance"] == 30
    assert _count(db, Voucher) == 1 and _count(db, PointsEntry, kind="redeem") == 1
    fresh = client.post("/pos/redeem", json=body | {"request_key": "d4e5f6"}, headers=headers)
    assert fresh.status_code == 201 and fresh.json()["voucher"] != first.json()["voucher"]
    assert fresh.json()["card"]["balance"] == 20 and _count(db, Voucher) == 2


def test_points_pay_part_of_the_sale_up_to_the_cap(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # a point pays 10 kyat, at most 50% of a sale
    mya = make_customer(db, shop, phone="09 7812 34567")
    give_points(db, shop, mya.id, 1000)
    headers = cashier(client, db, shop)
    quote = client.post(
        "/pos/quote", json=basket("P", mya.id, ("CAKE", 1, "10000")), headers=headers
    ).json()
    assert (quote["cap"], quote["cap_value"]) == (500, "MMK5,000")
    body = basket("P", mya.id, ("CAKE", 1, "10000"), redeem_points=500)
    paid = client.post("/pos/commit", json=body, headers=headers).json()
    assert (paid["points_value"], paid["total"], paid["points_redeemed"]) == (
        "MMK5,000",
        "MMK5,000",
        500,
    )
    over = client.post(
        "/pos/quote",
        json=basket("P2", mya.id, ("CAKE", 1, "10000"), redeem_points=501),
        headers=headers,
    )
    assert over.status_code == 422 and over.json()["field"] == "redeem_points"


def test_anonymous_sale_is_recorded_and_earns_nothing(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    headers = cashier(client, db, shop)
    r = client.post("/pos/commit", json=basket("A-1", None, ("CAKE", 4, "5000")), headers=headers)
    assert r.status_code == 201
    out = r.json()
    assert (out["points_earned"], out["balance"], out["total"], out["cap"]) == (
        0,
        None,
        "MMK20,000",
        0,
    )
    customer_id = db.run(lambda s: s.scalar(select(Purchase.customer_id)), write=False)
    assert customer_id is None and _count(db, PointsEntry) == 0


def test_json_calls_need_the_csrf_header_and_a_session(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    body = basket("X-1", None, ("CAKE", 1, "5000"))
    signed_out = client.get("/pos/customer", params={"q": "09 7812 34567"})
    assert signed_out.status_code == 401
    assert signed_out.json()["error"] == "Your session has ended. Sign in again."
    assert client.post("/pos/commit", json=body).status_code == 403  # no session, no token
    cashier(client, db, shop)
    r = client.post("/pos/commit", json=body, headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 403
    assert r.json()["error"].startswith("This form has expired.")
    assert _count(db, Purchase) == 0


def test_quick_picks_are_the_most_sold_items(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    headers = cashier(client, db, shop)
    sales = [
        ("TEA", 1, "1500"),
        ("CAKE", 3, "5000"),
        ("TEA", 1, "1500"),
        ("BUN", 1, "800"),
        ("TEA", 2, "1600"),
    ]
    for i, line in enumerate(sales):
        client.post("/pos/commit", json=basket(f"S-{i}", None, line), headers=headers)
    html = client.get("/pos").text
    picks = re.findall(r'data-sku="([^"]+)"[^>]*data-price="([^"]+)"', html)
    assert picks == [("TEA", "1500"), ("CAKE", "5000"), ("BUN", "800")]


def test_pos_page_renders_in_each_language_for_a_phone(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    email = add_staff(db, shop, "cashier")
    words = {"en": "Charge", "my": "ငွေရှင်းရန်", "ur": "رقم وصول کریں", "lo": "ເກັບເງິນ", "ms": "Caj"}
    for lang, word in words.items():
        sign_in_as(client, email, lang)
        html = client.get("/pos").text
        assert f'<html lang="{lang}"' in html and word in html, lang
        assert '<script src="/static/pos.js" defer></script>' in html
        client.cookies.clear()


def _free_items(client: TestClient) -> dict[str, Any]:
    page = client.get("/pos").text
    found = re.search(r'<script type="application/json" id="pos-free-items">(.*?)</script>', page)
    assert found
    return dict(json.loads(found.group(1)))


def test_a_voucher_that_does_not_fit_is_named_with_the_reason(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", locale="en")
    give_points(db, shop, mya.id, 300)
    coffee = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="Free coffee", kind="free_item", cost_points=200, sku="COFFEE"),
        )
    )
    code = db.run(lambda s: rewards.redeem(s, shop.ctx, mya.id, coffee.id)[0]).code
    now = clock.now()
    old = db.run(
        lambda s: (
            rewards.issue_voucher(
                s,
                shop.ctx,
                mya.id,
                reward_id=None,
                source="redemption",
                name="Old 500 off",
                kind="amount_off",
                amount=500,
                issued_at=now - timedelta(days=60),
                expires_at=now - timedelta(days=1),
                purchase_id=None,
            ).code
        )
    )
    headers = cashier(client, db, shop)
    # The till knows the coffee's price once it has sold: the page carries it for the voucher.
    assert _free_items(client) == {}
    before = _count(db, PointsEntry)

    no_coffee = basket("R-1", mya.id, ("CAKE", 1, "5000"), vouchers=[code])
    r = client.post("/pos/quote", json=no_coffee, headers=headers)
    assert r.status_code == 422
    assert r.json() == {
        "error": "Add COFFEE to the basket to use this voucher.",
        "field": "vouchers.0",
        "voucher": code,
    }
    expired = basket("R-1", mya.id, ("CAKE", 1, "5000"), vouchers=[old])
    r = client.post("/pos/commit", json=expired, headers=headers)
    assert r.status_code == 422
    assert r.json() == {"error": "This voucher has expired.", "field": "vouchers.0", "voucher": old}
    assert (_count(db, Purchase), _count(db, PointsEntry)) == (0, before)

    with_coffee = basket("R-1", mya.id, ("CAKE", 1, "5000"), ("COFFEE", 2, "2000"), vouchers=[code])
    done = client.post("/pos/commit", json=with_coffee, headers=headers)
    assert done.status_code == 201, done.text
    sale = done.json()
    assert sale["total"] == "MMK7,000"
    # The card after the sale, to replace the one shown before it.
    assert sale["card"]["balance"] == 107
    assert sale["card"]["vouchers"] == []  # the coffee's is used, the old one expired
    assert sale["receipt"] == {
        "lang": "en",
        "dir": "ltr",
        "labels": {
            "receipt": "Receipt",
            "receipt_number": "Receipt number",
            "item": "Item",
            "quantity": "Quantity",
            "amount": "Amount",
            "subtotal": "Subtotal",
            "points": "Paid with points",
        },
        "items": [
            {"name": "Cake", "quantity": "1", "amount": "MMK5,000"},
            {"name": "Coffee", "quantity": "2", "amount": "MMK4,000"},
        ],
        "sums": [["Subtotal", "MMK9,000"], ["Free coffee", "−MMK2,000"]],
    }
    assert _free_items(client) == {
        "COFFEE": {
            "sku": "COFFEE",
            "name": "Coffee",
            "category": "cakes",
            "price": "2000",
            "price_text": "MMK2,000",
        }
    }
