"""A merchant's own wording: checked when saved, used when sending, its own only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.db import Database
from regulars.messaging.models import OutboxMessage
from regulars.messaging.outbox import Recipient, enqueue, renderer_for
from tests.factories import make_customer, make_merchant

API = "/api/v1"
URL = f"{API}/message-templates/birthday/ms"


def test_the_shipped_wording_is_shown_with_a_preview_until_the_shop_writes_its_own(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(
        db,
        name="Kopi Kawan",
        country="MY",
        currency="MYR",
        timezone="Asia/Kuala_Lumpur",
        locale="ms",
    )
    r = client.get(URL, headers=shop.headers)
    assert r.status_code == 200
    got = r.json()
    assert (got["custom"], got["subject"]) == (False, "Selamat hari jadi, {{ name }}!")
    assert got["preview"]["subject"] == "Selamat hari jadi, Aung Aung!"
    assert "code" in got["variables"] and "expires_at" in got["variables"]

    mine = {
        "subject": "Hari jadi {{ name }}!",
        "body": "Kod {{ code }} sah hingga {{ expires_at|date('long') }}, {{ 1500|money }} off.",
    }
    r = client.put(URL, json=mine, headers=shop.headers)
    assert r.status_code == 200, r.text
    assert r.json()["custom"] is True
    assert r.json()["preview"] == {
        "subject": "Hari jadi Aung Aung!",
        "body": "Kod K7M2-Q9XD sah hingga 1 Januari 2027, RM15.00 off.",
    }
    assert client.get(URL, headers=shop.headers).json()["body"] == mine["body"]

    other = make_merchant(db, name="Other", locale="ms")
    assert client.get(URL, headers=other.headers).json()["custom"] is False

    r = client.delete(URL, headers=shop.headers)
    assert (r.status_code, r.json()["custom"]) == (200, False)


def test_a_template_that_does_not_compile_or_render_is_refused_naming_the_part(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    cases = [
        ({"subject": "{% if %}", "body": "ok"}, "subject", "line 1"),
        ({"subject": "ok", "body": "Hi {{ nmae }}"}, "body", "'nmae' is undefined"),
        ({"subject": "ok", "body": "{{ name.__class__.__mro__ }}"}, "body", "not allowed"),
        ({"subject": "ok", "body": "{{ name|money }}"}, "body", "does not render"),
    ]
    for body, field, says in cases:
        r = client.put(URL, json=body, headers=shop.headers)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        error = r.json()["errors"][0]
        assert error["field"] == field and says in error["message"], error
    assert client.get(URL, headers=shop.headers).json()["custom"] is False
    assert client.get(f"{API}/message-templates/nope/en", headers=shop.headers).status_code == 404
    assert (
        client.get(f"{API}/message-templates/birthday/fr", headers=shop.headers).status_code == 404
    )
    cashier = shop.key_for(db, "cashier")
    r = client.put(URL, json={"subject": "a", "body": "b"}, headers=cashier)
    assert r.status_code == 403


def test_a_message_is_worded_at_send_time_in_the_customers_language_with_the_shops_wording(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)  # Burmese shop, kyat
    lao = make_customer(db, shop, name="Bounmy", locale="lo", phone="09 7812 34567")
    nobody = make_customer(db, shop, name=None, phone="09 7812 34568")
    client.put(
        f"{API}/message-templates/thank_you/lo",
        headers=shop.headers,
        json={"subject": "ຂອບໃຈ", "body": "{{ name }}: {{ total|money }}"},
    )

    def write(s):  # type: ignore[no-untyped-def]
        for cid in (lao.id, nobody.id):
            enqueue(
                s,
                merchant_id=shop.id,
                kind="thank_you",
                category="marketing",
                customer_id=cid,
                payload={"total": 250000, "points_earned": 0, "balance": 0},
            )

    db.run(write)

    def render(s):  # type: ignore[no-untyped-def]
        out = []
        for m in s.scalars(select(OutboxMessage).where(OutboxMessage.merchant_id == shop.id)):
            c = lao if m.customer_id == lao.id else nobody
            lang = c.locale or shop.ctx.merchant.locale
            who = Recipient(shop.ctx.merchant, c.id, c.name, lang, "sms", "+1", "Asia/Yangon")
            renderer = renderer_for(m.kind)
            assert renderer is not None
            out.append(tuple(renderer(s, m, who)))
        return sorted(out)

    assert db.run(render, write=False) == sorted(
        [
            ("ຂອບໃຈ", "Bounmy: MMK250.000", None),
            (
                "Shwe Bakery ကို လာအားပေးတဲ့အတွက် ကျေးဇူးတင်ပါတယ်",
                "လာအားပေးတဲ့အတွက် ကျေးဇူးတင်ပါတယ် မိတ်ဆွေ! ဒီတစ်ခါ 250,000\xa0K ဝယ်ယူခဲ့ပါတယ်။",
                None,
            ),
        ]
    )
