"""Purchases, favourites and tier perks where people look: the staff customer page, the portal and
the till's customer card (its usual basket)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from regulars.checkout import refunds
from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn, RefundIn
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Tier
from regulars.loyalty.schemas import RewardCreate
from regulars.messaging.channels import MemoryChannel
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_loyalty_pages import _portal_sign_in
from tests.web.test_pos_pages import cashier, give_points

BUN = ("BUN", "Bun", "breads")
TEA = ("TEA", "Milk tea", "drinks")
GOLD_PERKS = "Free delivery\nA cake on your birthday"


def sell(
    db: Database, shop: Shop, at: datetime, receipt: str, customer_id: Any, *lines: Any
) -> str:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(customer_id)} if customer_id else None,
            "lines": [
                {"sku": sku, "name": name, "category": cat, "quantity": qty, "unit_price": price}
                for sku, name, cat, qty, price in lines
            ],
        }
    )
    with clock.frozen(at):
        result, _replayed = db.run(lambda s: checkout.commit(s, shop.ctx, body))
    return str(result["purchase_id"])


def tiers(db: Database, shop: Shop) -> None:
    def save(s: Any) -> None:
        program = loyalty.current_program(s, shop.ctx)[1]
        program.tiers.levels = [
            Tier(code="silver", name="Silver", min_spend=0, perks="Free water"),
            Tier(code="gold", name="Gold", min_spend=100_000, multiplier=150, perks=GOLD_PERKS),
        ]
        loyalty.save_program(s, shop.ctx, program)

    db.run(save)


def regular(db: Database, shop: Shop, **fields: Any) -> uuid.UUID:
    """Three visits 4 and 6 days apart; the second's buns all returned. Not theirs: an
    anonymous sale of 50 buns."""
    mya = make_customer(db, shop, **({"name": "Daw Mya", "phone": "+959781234567"} | fields))
    cake, tea, bun = ("CAKE", "Shwe cake", "cakes"), TEA, BUN
    day = lambda d: datetime(2026, 3, d, 10, tzinfo=UTC)  # noqa: E731
    sell(db, shop, day(1), "R-1", mya.id, (*cake, 2, 5000), (*tea, 1, 1500))
    second = sell(db, shop, day(5), "R-2", mya.id, (*cake, 1, 5000), (*bun, 3, 800))
    sell(db, shop, day(11), "R-3", mya.id, (*tea, 2, 1500), (*bun, 1, 800))
    sell(db, shop, day(11), "A-1", None, (*bun, 50, 800))
    back = RefundIn(refund_id="RF-1", lines=[{"sku": "BUN", "quantity": 3}])  # type: ignore[list-item]
    with clock.frozen(day(6)):
        db.run(lambda s: refunds.refund(s, shop.ctx, uuid.UUID(second), back))
    return mya.id


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_staff_customer_page_shows_purchases_favourites_and_perks(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    tiers(db, shop)
    mya = regular(db, shop)
    sign_in(client, shop, "en")
    page = client.get(f"/customers/{mya}")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Visits 3 " in text
    assert "Last visit Mar 11, 2026" in text
    assert "Spent in total MMK20,300" in text
    assert "Between visits 5 days on average" in text
    favourites = re.search(r'id="favourite-items">(.*?)</ol>', page.text, re.S)
    assert favourites and _text(favourites.group(1)).split() == (
        ["Shwe", "cake", "×", "3", "Milk", "tea", "×", "3", "Bun", "×", "1"]
    )
    categories = re.search(r'id="favourite-categories">(.*?)</ol>', page.text, re.S)
    assert categories
    assert _text(categories.group(1)).strip() == "cakes × 3 drinks × 3 breads × 1"
    assert text.index("R-3") < text.index("R-2") < text.index("R-1")  # newest first
    assert "3 returned" in text and "Refunded MMK2,400" in text
    assert "3 points earned" in text
    # Tier perks: the customer's and what the next one adds.
    assert "Silver perks Free water" in text
    assert "What Gold adds 1.5× points on every purchase" in text
    assert "Free delivery\nA cake on your birthday" in page.text
    assert "Spend MMK79,700 more to reach Gold" in text


def test_staff_purchases_page_pages_and_hides_other_shops_customers(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = regular(db, shop)
    for n in range(4):  # seven purchases: the customer page shows five and links to all
        sell(db, shop, datetime(2026, 4, 1 + n, tzinfo=UTC), f"R-{4 + n}", mya, (*TEA, 1, 1500))
    sign_in(client, shop, "en")
    panel = client.get(f"/customers/{mya}").text
    assert panel.count('class="purchase"') == 5
    assert f'href="/customers/{mya}/purchases"' in panel
    full = client.get(f"/customers/{mya}/purchases")
    assert full.status_code == 200
    assert full.text.count('class="purchase"') == 7
    receipts = re.findall(r'<bdi dir="ltr" class="num">(R-\d)</bdi>', full.text)
    assert receipts == ["R-7", "R-6", "R-5", "R-4", "R-3", "R-2", "R-1"]
    elsewhere = make_merchant(db, name="Kedai Ali", country="MY", currency="MYR",
                              timezone="Asia/Kuala_Lumpur", locale="ms")  # fmt: skip
    ali = make_customer(db, elsewhere, name="Ali")
    assert client.get(f"/customers/{ali.id}/purchases").status_code == 404
    assert client.get(f"/customers/{mya}/purchases?cursor=!!").status_code == 422


def test_portal_purchases_page_in_urdu(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    tiers(db, shop)
    regular(db, shop, locale="ur")
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    card = client.get(base).text
    assert '<html lang="ur" dir="rtl">' in card
    assert f'href="{base}purchases"' in card
    assert "Silver کے فوائد" in card and "Gold میں مزید کیا ملتا ہے" in card
    assert "ہر خریداری پر 1.5 گنا پوائنٹس" in card
    page = client.get(base + "purchases")
    assert page.status_code == 200
    text = _text(page.text)
    assert "آپ کی خریداریاں" in text
    assert "کل خرچ MMK20,300" in text
    assert "اوسطاً 5 دن" in text
    assert text.count("× Shwe cake") == 2 and "3 واپس" in text
    items = re.search(r'id="favourite-items">(.*?)</ol>', page.text, re.S)
    assert items
    assert _text(items.group(1)).strip() == "Shwe cake × 3 Milk tea × 3 Bun × 1"


def test_till_card_carries_the_usual_basket_and_tier_perks(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    tiers(db, shop)
    regular(db, shop)
    headers = cashier(client, db, shop)
    card = client.get("/pos/customer", params={"q": "09 7812 34567"}, headers=headers).json()
    assert card["usual"] == [  # bought on two visits each; 3 over 2 visits is 2 a visit
        {"sku": "CAKE", "name": "Shwe cake", "category": "cakes", "quantity": 2,
         "price": "5000", "price_text": "MMK5,000"},
        {"sku": "TEA", "name": "Milk tea", "category": "drinks", "quantity": 2,
         "price": "1500", "price_text": "MMK1,500"},
    ]  # fmt: skip
    assert card["tier"] == {
        "name": "Silver",
        "next_name": "Gold",
        "progress": 20,
        "to_next": "MMK79,700",
        "perks": "Free water",
        "multiplier_text": None,
        "next_perks": GOLD_PERKS,
        "next_multiplier_text": "1.5",
    }
    again = client.get(f"/pos/customers/{card['id']}", headers=headers).json()
    assert again["usual"] == card["usual"]
    newcomer = make_customer(db, shop, name="Ko Zaw", phone="+959420000001")
    fresh = client.get(f"/pos/customers/{newcomer.id}", headers=headers).json()
    assert fresh["usual"] == []


def test_portal_purchases_and_redeem_question_in_every_language(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    tiers(db, shop)
    mya = regular(db, shop, locale="en")
    give_points(db, shop, mya, 31)
    cake = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="Free cake", kind="free_item", cost_points=40, sku="CAKE"),
        )
    )
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    headings = {
        "en": ("Your purchases", "Points left after"),
        "my": ("သင်၏ ဝယ်ယူမှုများ", "ပြီးနောက် ကျန်မည့်အမှတ်"),
        "ur": ("آپ کی خریداریاں", "بعد میں باقی پوائنٹس"),
        "lo": ("ການຊື້ຂອງທ່ານ", "ຄະແນນທີ່ເຫຼືອຫຼັງແລກ"),
        "ms": ("Pembelian anda", "Baki mata selepas itu"),
    }
    for lang, (purchases, after) in headings.items():
        client.post(base + "lang", data={"lang": lang, "csrf": csrf_of(client, base)})
        page = client.get(base + "purchases").text
        assert f'<html lang="{lang}"' in page and f"<h1>{purchases}</h1>" in page
        question = client.get(base + f"rewards/{cake.id}").text
        assert f'<html lang="{lang}"' in question and after in question
        assert re.search(r'id="after">10<', question)
