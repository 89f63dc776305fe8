"""Shop-entered names in the reader's language (fallback: the shop's own), and an adjustment's
internal reason kept from the customer, who reads its message instead."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db import Database
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import ProgramVersion, Reward
from regulars.loyalty.program import StampCard, Tier
from regulars.loyalty.schemas import RewardCreate
from regulars.messaging.channels import MemoryChannel
from tests.checkout.test_checkout_api import API, canonical, sale
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_loyalty_pages import _portal_sign_in, _program_form
from tests.web.test_pos_pages import give_points


def _translated_program(db: Database, shop: Shop) -> None:
    def save(s: Any) -> None:
        program = loyalty.current_program(s, shop.ctx)[1].model_copy(deep=True)
        program.tiers.levels = [
            Tier(code="member", name="Member", min_spend=0, perks="Free water",
                 names={"ur": "ممبر"}, perks_i18n={"ur": "مفت پانی"}),
            Tier(code="gold", name="Gold", min_spend=10_000_000, names={"ur": "گولڈ"},
                 multiplier=150, perks="Free delivery", perks_i18n={"ur": "مفت ڈیلیوری"}),
        ]  # fmt: skip
        program.stamp_cards = [
            StampCard(code="tea", name="Tea card", categories=["tea"], stamps_required=2,
                      reward_name="Free tea", names={"ur": "چائے کارڈ"},
                      reward_names={"ur": "مفت چائے"})
        ]  # fmt: skip
        loyalty.save_program(s, shop.ctx, program)

    db.run(save)


def _lahore(db: Database) -> Shop:
    return make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                         timezone="Asia/Karachi", locale="en")  # fmt: skip


def test_receipt_lines_name_the_card_and_tier_in_the_customers_language(
    client: TestClient, db: Database
) -> None:
    shop = _lahore(db)
    _translated_program(db, shop)
    ayesha = make_customer(db, shop, name="Ayesha", phone="0300 1234567", locale="ur")
    zara = make_customer(db, shop, name="Zara", phone="0300 1234568", locale="ms")
    lines = ("TEA", "tea", 2, 10000)
    out = client.post(f"{API}/checkout", json=sale("R-1", {"id": str(ayesha.id)}, lines),
                      headers=shop.headers).json()  # fmt: skip
    receipt = canonical(out)["receipt_lines"]
    assert "مفت چائے" in " ".join(receipt)  # the free item earned
    assert any(line.startswith("چائے کارڈ") for line in receipt)
    assert any("ممبر" in line for line in receipt) and any("گولڈ" in line for line in receipt)
    assert out["stamps"][0]["reward_names"] == {"ur": "مفت چائے"}
    other = client.post(f"{API}/checkout", json=sale("R-2", {"id": str(zara.id)}, lines),
                        headers=shop.headers).json()  # fmt: skip
    text = " ".join(other["receipt_lines"])  # no Malay names given: the shop's own
    assert "Free tea" in text and "Tea card" in text and "Member" in text


def test_portal_shows_rewards_vouchers_tiers_and_perks_in_the_customers_language(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = _lahore(db)
    _translated_program(db, shop)
    ayesha = make_customer(db, shop, name="Ayesha", phone="0300 1234567", locale="ur")
    reward = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(
                name="Phone case",
                names={"ur": "فون کور"},
                kind="free_item",
                cost_points=10,
                sku="CASE",
            ),
        )
    )
    give_points(db, shop, ayesha.id, 30)
    db.run(lambda s: rewards.redeem(s, shop.ctx, ayesha.id, reward.id))
    base = _portal_sign_in(client, shop, channel, "0300 1234567", "+923001234567")
    card = client.get(base).text
    assert card.count("فون کور") == 2  # the catalogue and the open voucher
    assert "Phone case" not in card
    # this tier's perks and what the next tier adds, both in Urdu
    assert "مفت پانی" in card and "مفت ڈیلیوری" in card and "گولڈ" in card
    assert "Free water" not in card and "Free delivery" not in card
    history = client.get(base + "history").text
    assert "فون کور" in history  # the redemption's reason
    staff = TestClient(client.app)
    sign_in(staff, shop, lang="en")
    page = staff.get(f"/customers/{ayesha.id}").text
    assert "Phone case" in page and "فون کور" not in page  # staff read English


def test_the_rewards_and_program_forms_take_names_in_other_languages(
    client: TestClient, db: Database
) -> None:
    shop = _lahore(db)
    sign_in(client, shop, lang="en")
    token = csrf_of(client, "/rewards")
    data = {"name": "Phone case", "kind": "free_item", "sku": "CASE", "cost_points": "10",
            "valid_days": "30", "name_ur": "فون کور", "name_my": "", "csrf": token}  # fmt: skip
    r = client.post("/rewards", data=data, follow_redirects=False)
    assert r.status_code == 303
    reward = db.run(lambda s: s.scalars(select(Reward)).one(), write=False)
    assert reward.names == {"ur": "فون کور"}
    data = {"name_ms": "Sarung telefon", "csrf": token}
    r = client.post(f"/rewards/{reward.id}/names", data=data, follow_redirects=False)
    assert r.status_code == 303
    reward = db.run(lambda s: s.scalars(select(Reward)).one(), write=False)
    assert reward.names == {"ms": "Sarung telefon"}

    form = _program_form(client) | {
        "tier-0-code": "member", "tier-0-name": "Member", "tier-0-min_spend": "0",
        "tier-0-perks": "Free water", "tier-0-name_ur": "ممبر", "tier-0-perks_ur": "مفت پانی",
        "card-0-code": "tea", "card-0-name": "Tea card", "card-0-categories": "tea",
        "card-0-stamps_required": "5", "card-0-reward_name": "Free tea",
        "card-0-reward_name_my": "လက်ဖက်ရည် အခမဲ့",
    }  # fmt: skip
    r = client.post("/settings/program", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    config = db.run(lambda s: s.scalars(select(ProgramVersion.config)).one(), write=False)
    tier, card = config["tiers"]["levels"][0], config["stamp_cards"][0]
    assert (tier["names"], tier["perks_i18n"]) == ({"ur": "ممبر"}, {"ur": "مفت پانی"})
    assert (card["names"], card["reward_names"]) == ({}, {"my": "လက်ဖက်ရည် အခမဲ့"})
    shown = client.get("/settings/program").text
    assert 'name="tier-0-name_ur" value="ممبر"' in shown


def test_an_adjustment_message_replaces_its_reason_for_the_customer(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", locale="en")
    r = client.post(f"{API}/customers/{mya.id}/adjustments", headers=shop.headers,
                    json={"points": 50, "reason": "cashier forgot the card on 3 March",
                          "message": "Sorry for the missed points!"})  # fmt: skip
    assert r.status_code == 201, r.text
    assert r.json()["entry"]["message"] == "Sorry for the missed points!"
    r = client.post(f"{API}/customers/{mya.id}/adjustments", headers=shop.headers,
                    json={"points": -10, "reason": "duplicate scan by Ko Aung"})  # fmt: skip
    assert r.json()["entry"]["message"] is None
    ledger = client.get(f"{API}/customers/{mya.id}/ledger", headers=shop.headers).json()["data"]
    assert [(e["reason"], e["message"]) for e in ledger] == [
        ("duplicate scan by Ko Aung", None),
        ("cashier forgot the card on 3 March", "Sorry for the missed points!"),
    ]
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    history = client.get(base + "history").text
    assert "Sorry for the missed points!" in history
    assert "cashier forgot" not in history and "Ko Aung" not in history
    staff = TestClient(client.app)
    sign_in(staff, shop, lang="en")
    token = csrf_of(staff, f"/customers/{mya.id}")
    r = staff.post(f"/customers/{mya.id}/adjustments", follow_redirects=False,
                   data={"points": "5", "reason": "birthday cake promise",
                         "message": "Happy birthday!", "csrf": token})  # fmt: skip
    assert r.status_code == 303
    page = staff.get(f"/customers/{mya.id}").text
    assert "birthday cake promise" in page and "Happy birthday!" in page
    assert re.search(r"id=\"balance\">45<", client.get(base).text)
