"""Staff loyalty pages (program settings, rewards, adjustments, the customer's loyalty panel) and
the portal's loyalty parts (balance, vouchers, redeeming, history)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import PointsEntry, ProgramVersion, Reward, Voucher
from regulars.loyalty.schemas import RewardCreate
from regulars.messaging.channels import MemoryChannel
from tests.factories import Shop, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_pos_pages import add_staff, give_points, sign_in_as


def _count(db: Database, model: type, **where: object) -> int:
    q = select(func.count()).select_from(model).filter_by(**where)
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


def _program_form(client: TestClient) -> dict[str, Any]:
    """Every field of the settings form as the page renders it (what a browser would post)."""
    html = client.get("/settings/program").text
    data: dict[str, Any] = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', html))
    data["csrf"] = re.search(r'name="csrf" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    if 'name="pay_enabled" checked' in html:
        data["pay_enabled"] = "on"
    return data


def _sell(db: Database, shop: Shop, receipt: str, customer_id: Any, amount: int) -> None:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(customer_id)},
            "lines": [{"sku": "CAKE", "category": "cakes", "quantity": 1, "unit_price": amount}],
        }
    )
    db.run(lambda s: checkout.commit(s, shop.ctx, body))


def _birthday_double(db: Database, shop: Shop) -> None:
    def save(s: Any) -> None:
        program = loyalty.current_program(s, shop.ctx)[1]
        program.bonuses.birthday_month_percent = 200
        loyalty.save_program(s, shop.ctx, program)

    db.run(save)


def test_cashier_cannot_open_the_program_page(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in_as(client, add_staff(db, shop, "cashier"))
    r = client.get("/settings/program")
    assert r.status_code == 403
    assert "Your role does not allow this." in r.text
    assert 'href="/settings/program"' not in client.get("/pos").text
    assert 'href="/rewards"' in client.get("/pos").text


def test_program_form_saves_a_new_version_in_major_units(client: TestClient, db: Database) -> None:
    shop = make_merchant(
        db, name="KL Kopi", country="MY", currency="MYR", timezone="Asia/Kuala_Lumpur", locale="ms"
    )
    sign_in(client, shop, lang="en")
    form = _program_form(client)
    assert (form["earn_per_amount"], form["pay_point_value"]) == ("1.00", "0.01")
    form |= {
        "earn_points": "2",
        "earn_per_amount": "5.00",
        "min_spend": "10",
        "cat-0-key": "drinks",
        "cat-0-percent": "150",
        "expiry_months": "12",
        "dp-0-name": "Merdeka",
        "dp-0-start": "2026-08-31",
        "dp-0-end": "2026-08-31",
        "dp-0-percent": "300",
        "tier-0-code": "member",
        "tier-0-name": "Member",
        "tier-0-min_spend": "0",
        "tier-0-multiplier": "100",
        "tier-1-code": "gold",
        "tier-1-name": "Gold",
        "tier-1-min_spend": "1,000.50",
        "tier-1-multiplier": "150",
    }
    r = client.post("/settings/program", data=form, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/settings/program?saved=1")
    version, program, _at = db.run(lambda s: loyalty.current_program(s, shop.ctx), write=False)
    assert version == 1
    assert (program.earn.points, program.earn.per_amount, program.earn.min_spend) == (2, 500, 1000)
    assert program.earn.category_multipliers == {"drinks": 150}
    assert [(t.code, t.min_spend, t.multiplier) for t in program.tiers.levels] == [
        ("member", 0, 100),
        ("gold", 100050, 150),
    ]
    assert program.bonuses.double_points[0].percent == 300
    assert program.expiry_months == 12
    page = client.get("/settings/program?saved=1").text
    assert "Saved." in page and 'value="1000.50"' in page and "Version 1" in page


def test_bad_program_values_show_next_to_their_fields(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # MMK: no decimals
    sign_in(client, shop, lang="en")
    form = _program_form(client) | {
        "earn_per_amount": "1000.5",
        "birthday_month_percent": "50",
        "tier-0-code": "silver",
        "tier-0-name": "Silver",
        "tier-0-min_spend": "0",
        "tier-1-code": "Gold!",
        "tier-1-name": "Gold",
        "tier-1-min_spend": "100000",
    }
    r = client.post("/settings/program", data=form)
    assert r.status_code == 422
    html = r.text
    assert "with no more decimals than the currency has" in html
    assert 'name="earn_per_amount" value="1000.5"' in html  # what was typed stays
    form["earn_per_amount"] = "1000"
    r = client.post("/settings/program", data=form)
    assert r.status_code == 422
    assert "Too small: at least 100." in r.text
    assert "Letters, digits, - and _ only." in r.text
    assert re.search(r'name="tier-1-code" value="Gold!"[^>]*aria-invalid="true"', r.text)
    form |= {"birthday_month_percent": "200", "tier-1-code": "gold", "tier-1-min_spend": "0"}
    r = client.post("/settings/program", data=form)
    assert r.status_code == 422
    assert "Each tier needs a higher spend than the one before" in r.text
    assert _count(db, ProgramVersion) == 0


def test_rewards_page_creates_and_stops_offering(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, lang="en")
    token = csrf_of(client, "/rewards")
    new = {
        "name": "Free tea",
        "kind": "free_item",
        "cost_points": "20",
        "sku": "TEA",
        "valid_days": "30",
        "csrf": token,
    }
    bad = client.post("/rewards", data=new | {"sku": "", "cost_points": "0"})
    assert bad.status_code == 422
    assert "A whole number of points, more than 0." in bad.text
    assert client.post("/rewards", data=new, follow_redirects=False).status_code == 303
    off = {
        "name": "500 Ks off",
        "kind": "amount_off",
        "cost_points": "10",
        "amount": "500",
        "csrf": token,
    }
    assert client.post("/rewards", data=off, follow_redirects=False).status_code == 303
    rows = db.run(
        lambda s: s.execute(
            select(Reward.name, Reward.kind, Reward.amount, Reward.sku).order_by(Reward.cost_points)
        ).all(),
        write=False,
    )
    assert [tuple(r) for r in rows] == [
        ("500 Ks off", "amount_off", 500, None),
        ("Free tea", "free_item", 0, "TEA"),
    ]
    reward_id = db.run(lambda s: s.scalar(select(Reward.id).where(Reward.sku == "TEA")))
    client.post(f"/rewards/{reward_id}/active", data={"active": "false", "csrf": token})
    assert "Not offered" in client.get("/rewards").text
    assert db.run(lambda s: s.get(Reward, (shop.id, reward_id)).active, write=False) is False


def test_cashier_sees_rewards_but_cannot_add_one(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in_as(client, add_staff(db, shop, "cashier"))
    assert 'action="/rewards"' not in client.get("/rewards").text
    token = csrf_of(client, "/rewards")
    data = {"name": "x", "kind": "amount_off", "cost_points": "5", "amount": "5", "csrf": token}
    assert client.post("/rewards", data=data).status_code == 403
    assert _count(db, Reward) == 0


def test_customer_page_loyalty_panel_and_manager_adjustment(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", birthday="1990-03-20")
    _birthday_double(db, shop)
    with clock.frozen(datetime(2026, 3, 9, 8, 0, tzinfo=UTC)):
        _sell(db, shop, "R-1", mya.id, 12000)
    sign_in_as(client, add_staff(db, shop, "manager"))
    page = client.get(f"/customers/{mya.id}").text
    assert 'id="loyalty"' in page
    assert "Points for the purchase" in page and "Birthday month bonus" in page
    token = csrf_of(client, f"/customers/{mya.id}")
    empty = client.post(
        f"/customers/{mya.id}/adjustments", data={"points": "5", "reason": " ", "csrf": token}
    )
    assert empty.status_code == 422
    assert "Write why (at least 3 characters)." in empty.text
    over = client.post(
        f"/customers/{mya.id}/adjustments",
        data={"points": "-1000", "reason": "typo", "csrf": token},
    )
    assert over.status_code == 409
    ok = client.post(
        f"/customers/{mya.id}/adjustments",
        data={"points": "-4", "reason": "cake returned", "csrf": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    entries = db.run(
        lambda s: [
            (e.points, e.kind, e.reason)
            for e in s.scalars(select(PointsEntry).order_by(PointsEntry.id))
        ],
        write=False,
    )
    assert entries == [
        (12, "earn", "base"),
        (12, "bonus", "birthday_month"),
        (-4, "adjust", "cake returned"),
    ]
    assert "cake returned" in client.get(f"/customers/{mya.id}").text


def test_cashier_cannot_adjust_points(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop)
    sign_in_as(client, add_staff(db, shop, "cashier"))
    page = client.get(f"/customers/{mya.id}").text
    assert "/adjustments" not in page
    token = csrf_of(client, f"/customers/{mya.id}")
    r = client.post(
        f"/customers/{mya.id}/adjustments",
        data={"points": "500", "reason": "friend", "csrf": token},
    )
    assert r.status_code == 403
    assert _count(db, PointsEntry) == 0


# --- portal ------------------------------------------------------------------------------------


def _portal_sign_in(
    client: TestClient, shop: Shop, channel: MemoryChannel, phone: str, e164: str
) -> str:
    base = f"/p/{shop.ctx.merchant.slug}/"
    client.post(base + "code", data={"phone": phone, "csrf": csrf_of(client, base)})
    message = channel.last_to(e164)
    assert message is not None
    code = re.search(r"\b(\d{6})\b", message.body).group(1)  # type: ignore[union-attr]
    client.post(base + "verify", data={"code": code, "csrf": csrf_of(client, base + "verify")})
    return base


def test_portal_redeems_a_reward_and_shows_the_voucher(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", locale="en")
    tea = db.run(
        lambda s: rewards.create_reward(
            s, shop.ctx, RewardCreate(name="Free tea", kind="free_item", cost_points=20, sku="TEA")
        )
    )
    give_points(db, shop, mya.id, 25)
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    card = client.get(base).text
    assert re.search(r'id="balance">25<', card)
    assert "Free tea" in card and "Redeem" in card
    token = csrf_of(client, base)
    r = client.post(
        base + "redeem", data={"reward_id": str(tea.id), "csrf": token}, follow_redirects=False
    )
    assert (r.status_code, r.headers["location"]) == (303, base + "#vouchers")
    code = db.run(lambda s: s.scalar(select(Voucher.code)), write=False)
    card = client.get(base).text
    assert re.search(r'id="balance">5<', card)
    assert f"{code[:4]}-{code[4:8]}-{code[8:]}" in card
    assert card.count('role="img"') == 2  # the member card QR and the voucher's
    again = client.post(base + "redeem", data={"reward_id": str(tea.id), "csrf": token})
    assert again.status_code == 409
    assert "You do not have enough points for this reward yet." in again.text
    forged = client.post(base + "redeem", data={"reward_id": str(tea.id), "csrf": "x"})
    assert forged.status_code == 403
    assert _count(db, Voucher) == 1


def test_portal_asks_before_redeeming_with_the_balance_before_and_after(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", locale="en")
    cake = db.run(
        lambda s: rewards.create_reward(
            s,
            shop.ctx,
            RewardCreate(name="Free cake", kind="free_item", cost_points=20, sku="CAKE"),
        )
    )
    give_points(db, shop, mya.id, 25)
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    card = client.get(base).text
    confirm = base + f"rewards/{cake.id}"
    assert (
        f'href="{confirm}"' in card
        and 'action="/p/' + shop.ctx.merchant.slug + '/redeem"' not in card
    )
    page = client.get(confirm)
    assert page.status_code == 200
    assert "Redeem “Free cake”?" in page.text
    assert re.search(r'id="before">25<', page.text)
    assert re.search(r'id="cost" dir="ltr">−20<', page.text)
    assert re.search(r'id="after">5<', page.text)
    assert "Yes, spend 20 points" in page.text
    assert _count(db, Voucher) == 0  # asking spends nothing
    form = {
        "reward_id": str(cake.id),
        "csrf": csrf_of(client, confirm),
        "request_key": re.search(r'name="request_key" value="([^"]+)"', page.text).group(1),  # type: ignore[union-attr]
    }
    r = client.post(base + "redeem", data=form, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, base + "#vouchers")
    card = client.get(base).text
    assert re.search(r'id="balance">5<', card)
    assert "15 more points needed" in card and f'href="{confirm}"' not in card
    short = client.get(confirm).text  # opened again from an old tab: says why, offers no button
    assert "You do not have enough points for this reward yet." in short
    assert "Yes, spend" not in short
    assert client.get(base + f"rewards/{uuid.uuid4()}").status_code == 404
    assert _count(db, Voucher) == 1


def test_a_portal_redeem_form_sent_twice_spends_once(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    """The form carries a key of its own: the same form posted again (a double tap that got
    through, the browser resending it) finds the voucher it made; a new page is a new one."""
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", locale="en")
    tea = db.run(
        lambda s: rewards.create_reward(
            s, shop.ctx, RewardCreate(name="Free tea", kind="free_item", cost_points=10, sku="TEA")
        )
    )
    give_points(db, shop, mya.id, 25)
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    confirm = base + f"rewards/{tea.id}"  # the step before spending: it draws the form's key
    key = re.search(r'name="request_key" value="([^"]+)"', client.get(confirm).text)
    assert key is not None
    form = {"reward_id": str(tea.id), "csrf": csrf_of(client, base), "request_key": key.group(1)}
    for _ in range(2):
        r = client.post(base + "redeem", data=form, follow_redirects=False)
        assert r.status_code == 303
    assert _count(db, Voucher) == 1
    assert re.search(r'id="balance">15<', client.get(base).text)
    newer = re.search(r'name="request_key" value="([^"]+)"', client.get(confirm).text)
    assert newer is not None and newer.group(1) != key.group(1)
    client.post(base + "redeem", data=form | {"request_key": newer.group(1)})
    assert _count(db, Voucher) == 2
    assert re.search(r'id="balance">5<', client.get(base).text)


def test_portal_history_is_paginated_and_translated(
    client: TestClient, db: Database, channel: MemoryChannel
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, phone="09 7812 34567", locale="ms", birthday="1990-03-02")
    _birthday_double(db, shop)
    with clock.frozen(datetime(2026, 3, 9, 8, 0, tzinfo=UTC)):
        for n in range(12):
            _sell(db, shop, f"R-{n}", mya.id, 5000)  # 5 base + 5 birthday month each
    base = _portal_sign_in(client, shop, channel, "09 7812 34567", "+959781234567")
    first = client.get(base + "history").text
    assert '<html lang="ms"' in first
    assert first.count('class="num points') == 20
    assert "Mata untuk pembelian" in first and "Bonus bulan hari jadi" in first
    cursor = re.search(r"history\?cursor=([A-Za-z0-9_-]+)", first)
    assert cursor
    second = client.get(base + "history", params={"cursor": cursor.group(1)}).text
    assert second.count('class="num points') == 4
    assert "history?cursor=" not in second
    signed_out = TestClient(client.app).get(base + "history", follow_redirects=False)
    assert signed_out.status_code == 303
