"""Email through a real SMTP server on loopback: multipart text + HTML in the customer's
language, RFC 8058 one-click unsubscribe headers, and the link withdrawing consent."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.kit import clock
from regulars.messaging import outbox
from regulars.messaging.models import ChannelConfig, OutboxMessage
from regulars.messaging.worker import deliver_once
from tests.factories import make_customer, make_merchant
from tests.messaging.servers import smtp_server

DAY = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # 10:30 in Yangon: not in quiet hours
TEXTS = {
    "en": ("Cakes are back", "Your favourite cake is back.", "<p>Your favourite cake is back.</p>"),
    "my": (
        "ကိတ်မုန့် ပြန်ရပြီ",
        "သင်အကြိုက်ဆုံး ကိတ်မုန့် ပြန်ရပါပြီ။",
        "<p>သင်အကြိုက်ဆုံး ကိတ်မုန့် ပြန်ရပါပြီ။</p>",
    ),
}


def _render(_s: Session, _m: OutboxMessage, to: outbox.Recipient) -> outbox.Rendered:
    return outbox.Rendered(*TEXTS[to.locale])


outbox.register_renderer("test_restock", _render)


def _enqueue(db: Database, merchant_id, customer_id, category="marketing", kind="test_restock"):  # type: ignore[no-untyped-def]
    return db.run(
        lambda s: outbox.enqueue(
            s, merchant_id=merchant_id, kind=kind, category=category, customer_id=customer_id
        )
    )


def _status(db: Database, message_id) -> tuple[str, str | None]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.id == message_id)).one()
        return row.status, row.skip_reason


def test_marketing_email_is_multipart_in_burmese_and_its_unsubscribe_link_works(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db, name="Shwe Bakery", locale="en")
    customer = make_customer(
        db, shop, name="Ma Ma", email="mama@example.com", locale="my", consent={"email": True}
    )
    with smtp_server() as (port, inbox):
        r = client.put(
            "/api/v1/channels/email",
            headers=shop.headers,
            json={
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "Shwe Bakery <hello@shwe.example>",
                "username": None,
                "password": "s3cret-smtp",
            },
        )
        assert r.status_code == 200, r.text
        assert r.json()["config"] == {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "sender": "Shwe Bakery <hello@shwe.example>",
            "username": None,
        }
        assert r.json()["secrets_set"] == ["password"]
        with clock.frozen(DAY):
            message_id = _enqueue(db, shop.id, customer.id)
            counts = deliver_once(db)
        assert (counts.claimed, counts.sent) == (1, 1)
        [(mail_from, rcpt, mail)] = inbox.mails

    assert (mail_from, rcpt) == ("hello@shwe.example", ["mama@example.com"])
    assert mail["From"] == "Shwe Bakery <hello@shwe.example>"
    assert mail["To"] == "mama@example.com"
    assert mail["Subject"] == TEXTS["my"][0]
    assert mail["Content-Language"] == "my"
    assert mail.get_content_type() == "multipart/alternative"
    parts = {p.get_content_type(): p.get_content() for p in mail.iter_parts()}
    assert parts == {"text/plain": TEXTS["my"][1] + "\n", "text/html": TEXTS["my"][2] + "\n"}
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"]
    assert link.startswith("<http://127.0.0.1:8000/u/") and link.endswith(">")
    with db.session() as s:
        row = s.get(OutboxMessage, (shop.id, message_id))
        assert row is not None
        assert (row.status, row.channel, row.provider_message_id) == (
            "sent",
            "email",
            mail["Message-ID"],
        )
        stored = s.get(ChannelConfig, (shop.id, "email"))
        assert stored is not None and stored.secret is not None
        assert b"s3cret-smtp" not in stored.secret  # sealed

    path = urlsplit(link[1:-1]).path
    page = client.get(path)
    assert page.status_code == 200
    assert '<form method="post" action="' + path + '"' in page.text
    # RFC 8058: the mail client POSTs this body, without cookies
    done = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    got = client.get(f"/api/v1/customers/{customer.id}", headers=shop.headers).json()
    assert (got["consent"]["email"]["granted"], got["consent"]["email"]["source"]) == (
        False,
        "unsubscribe",
    )
    assert client.post(path).status_code == 200  # again: nothing more to do, still fine

    with smtp_server() as (port, inbox):
        client.put(
            "/api/v1/channels/email",
            headers=shop.headers,
            json={
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "a@shwe.example",
            },
        )
        with clock.frozen(DAY):
            marketing = _enqueue(db, shop.id, customer.id)
            receipt = _enqueue(db, shop.id, customer.id, category="transactional")
            deliver_once(db)
        assert _status(db, marketing) == ("skipped", "no_consent")
        assert _status(db, receipt) == ("sent", None)
        [(_f, _r, mail)] = inbox.mails
        assert "List-Unsubscribe" not in mail  # transactional: nothing to unsubscribe from


def test_a_forged_unsubscribe_token_is_404_and_changes_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, email="a@example.com", consent={"email": True})
    assert client.post("/u/not-a-token").status_code == 404
    got = client.get(f"/api/v1/customers/{customer.id}", headers=shop.headers).json()
    assert got["consent"]["email"]["granted"] is True


def test_channel_settings_reject_bad_input_naming_the_field(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    r = client.put(
        "/api/v1/channels/email",
        headers=shop.headers,
        json={"host": "h", "port": 70000, "security": "ssl", "sender": "nobody"},
    )
    assert r.status_code == 422
    fields = sorted(e["field"] for e in r.json()["errors"])
    assert fields == ["port", "security", "sender"]
    assert client.get("/api/v1/channels", headers=shop.headers).json() == {"data": []}
