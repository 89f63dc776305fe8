"""The staff customer page's edit, export, erase and merge forms (server side; the browser test
drives the same pages in Chromium)."""

from __future__ import annotations

import json
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from regulars.customers.models import Customer
from regulars.db import Database
from regulars.merchants.models import AuditEvent
from tests.factories import make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_pos_pages import add_staff, sign_in_as


def _stored(db: Database, shop, customer_id) -> Customer:  # type: ignore[no-untyped-def]
    def read(s):  # type: ignore[no-untyped-def]
        q = (
            select(Customer)
            .where(Customer.merchant_id == shop.id, Customer.id == customer_id)
            .options(selectinload(Customer.consents))
        )
        return s.scalars(q).one()

    return db.run(read, write=False)  # type: ignore[no-any-return]


def _edit(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Daw Mya",
        "phone": "09 7812 34567",
        "email": "",
        "birthday": "",
        "anniversary": "",
        "locale": "",
        "tags": "",
        "attr_key": ["", ""],
        "attr_value": ["", ""],
        "consent": [],
    }
    return form | changes


def test_edit_changes_every_profile_field_custom_fields_and_consent(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = make_customer(
        db,
        shop,
        name="Mya",
        phone="09 7812 34567",
        attributes={"plate": "YGN 2B-1234", "visits": 3},
        consent={"sms": True},
    )
    sign_in(client, shop, "en")
    page = client.get(f"/customers/{mya.id}/edit")
    assert page.status_code == 200
    assert 'value="YGN 2B-1234"' in page.text and 'value="+95 9 781 234567"' in page.text
    token = csrf_of(client, f"/customers/{mya.id}/edit")
    r = client.post(
        f"/customers/{mya.id}/edit",
        data=_edit(
            csrf=token,
            name="Daw Mya Mya",
            phone="09 7812 99999",
            email="Mya@Example.com",
            birthday="1991-05-14",
            anniversary="2015-12-01",
            locale="ms",
            tags="cake lover, wholesale",
            attr_key=["plate", "visits", "car", ""],
            attr_value=["YGN 3C-9", "3", "Hilux", ""],
            consent=["sms:no", "email:yes", "whatsapp:"],
        ),
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/customers/{mya.id}"
    c = _stored(db, shop, mya.id)
    assert (c.name, c.phone, c.email) == ("Daw Mya Mya", "+959781299999", "mya@example.com")
    assert (c.birthday, c.anniversary, c.locale) == (date(1991, 5, 14), date(2015, 12, 1), "ms")
    assert c.tags == ["cake lover", "wholesale"]
    assert c.attributes == {"plate": "YGN 3C-9", "visits": 3, "car": "Hilux"}  # 3 stays a number
    assert {ch: x.granted for ch, x in c.consent.items()} == {"sms": False, "email": True}
    assert {x.source for x in c.consents} == {"staff"}


def test_two_wrong_fields_are_both_marked_and_nothing_changes(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567")
    sign_in(client, shop, "en")
    token = csrf_of(client, f"/customers/{mya.id}/edit")
    r = client.post(
        f"/customers/{mya.id}/edit",
        data=_edit(
            csrf=token,
            phone="12",
            email="not-an-email",
            attr_key=["", "x"],
            attr_value=["orphan", "1"],
        ),
    )
    assert r.status_code == 422
    assert r.text.count('aria-invalid="true"') == 3  # phone, email, the custom field name
    assert "This phone number is not valid." in r.text
    assert "This email address is not valid." in r.text
    assert 'value="not-an-email"' in r.text and 'value="orphan"' in r.text  # nothing typed is lost
    c = _stored(db, shop, mya.id)
    assert (c.name, c.phone, c.email, c.attributes) == ("Mya", "+959781234567", None, {})


def test_a_phone_another_customer_has_is_marked_on_the_phone(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567")
    make_customer(db, shop, name="Zaw", phone="09 7812 00000")
    sign_in(client, shop, "en")
    token = csrf_of(client, f"/customers/{mya.id}/edit")
    r = client.post(f"/customers/{mya.id}/edit", data=_edit(csrf=token, phone="09 7812 00000"))
    assert r.status_code == 409
    assert "Another customer already has this phone number." in r.text
    assert _stored(db, shop, mya.id).phone == "+959781234567"


def test_a_cashier_edits_but_cannot_merge_export_or_erase(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567")
    sign_in_as(client, add_staff(db, shop, "cashier"))
    page = client.get(f"/customers/{mya.id}")
    assert f'href="/customers/{mya.id}/edit"' in page.text
    for action in ("merge", "export", "erase"):
        assert f'href="/customers/{mya.id}/{action}"' not in page.text
        assert client.get(f"/customers/{mya.id}/{action}").status_code == 403
    token = csrf_of(client, f"/customers/{mya.id}/edit")
    r = client.post(f"/customers/{mya.id}/erase", data={"csrf": token, "confirm": "yes"})
    assert r.status_code == 403
    assert _stored(db, shop, mya.id).erased_at is None


def test_erase_asks_first_then_erases(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567")
    sign_in(client, shop, "en")
    token = csrf_of(client, f"/customers/{mya.id}/erase")
    r = client.post(f"/customers/{mya.id}/erase", data={"csrf": token})
    assert r.status_code == 422
    assert "Tick the box to confirm that this cannot be undone." in r.text
    assert _stored(db, shop, mya.id).erased_at is None
    r = client.post(f"/customers/{mya.id}/erase", data={"csrf": token, "confirm": "yes"})
    assert r.status_code == 200 and r.url.path == f"/customers/{mya.id}/erased"
    assert "Mya" not in r.text
    c = _stored(db, shop, mya.id)
    assert c.erased_at is not None and (c.name, c.phone) == (None, None)
    assert client.get(f"/customers/{mya.id}").status_code == 404


def test_export_downloads_everything_and_is_audited(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567", tags=["vip"])
    sign_in(client, shop, "en")
    token = csrf_of(client, f"/customers/{mya.id}/export")
    r = client.post(f"/customers/{mya.id}/export", data={"csrf": token})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == (
        f'attachment; filename="customer-{mya.member_code}.json"'
    )
    body = json.loads(r.text)
    assert (body["customer"]["name"], body["customer"]["phone"]) == ("Mya", "+959781234567")
    assert body["customer"]["tags"] == ["vip"]
    exported = db.run(
        lambda s: s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "customer.exported", AuditEvent.entity_id == mya.id)
        ),
        write=False,
    )
    assert exported == 1


def test_merge_finds_the_other_by_phone_and_keeps_the_chosen_one(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567")
    dup = make_customer(
        db, shop, name="Mya (import)", email="mya@example.com", phone="09 7812 11111"
    )
    sign_in(client, shop, "en")
    found = client.get(f"/customers/{mya.id}/merge", params={"q": "09 7812 11111"})
    assert f'href="/customers/{mya.id}/merge?other={dup.id}"' in found.text
    by_code = client.get(f"/customers/{mya.id}/merge", params={"q": dup.member_code})
    assert f"other={dup.id}" in by_code.text
    confirm = client.get(f"/customers/{mya.id}/merge", params={"other": str(dup.id)})
    assert confirm.status_code == 200 and f'value="{dup.id}"' in confirm.text
    token = csrf_of(client, f"/customers/{mya.id}/merge?other={dup.id}")
    r = client.post(
        f"/customers/{mya.id}/merge",
        data={"csrf": token, "other_id": str(dup.id), "survivor": str(dup.id)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/customers/{dup.id}?merged=1"
    assert "The two customers are merged into this one." in client.get(r.headers["location"]).text
    kept, gone = _stored(db, shop, dup.id), _stored(db, shop, mya.id)
    assert (kept.name, kept.phone, kept.email) == (
        "Mya (import)",
        "+959781211111",
        "mya@example.com",
    )
    assert gone.erased_at is not None and gone.merged_into_id == dup.id


def test_the_new_pages_render_in_every_language(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    mya = make_customer(db, shop, name="Mya", phone="09 7812 34567", consent={"sms": True})
    dup = make_customer(db, shop, name="Mya 2", phone="09 7812 11111")
    pages = {
        "edit": ("Edit customer", f"/customers/{mya.id}/edit"),
        "merge": ("Merge customers", f"/customers/{mya.id}/merge?other={dup.id}"),
        "search": ("Find the other record", f"/customers/{mya.id}/merge?q=Mya"),
        "erase": ("Erase customer", f"/customers/{mya.id}/erase"),
        "export": ("Export customer data", f"/customers/{mya.id}/export"),
    }
    for lang in ("en", "my", "ur", "lo", "ms"):
        client.cookies.clear()
        sign_in(client, shop, lang)
        for name, (heading, path) in pages.items():
            r = client.get(path)
            assert r.status_code == 200, (lang, path)
            assert f'<html lang="{lang}" dir="{"rtl" if lang == "ur" else "ltr"}">' in r.text
            if lang == "en":
                assert heading in r.text
            else:
                assert heading not in r.text, (lang, name)  # translated, not left in English
