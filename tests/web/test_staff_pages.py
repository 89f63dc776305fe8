from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.customers.models import Customer, Note
from regulars.db import Database
from regulars.kit.ratelimit import RateLimiter
from regulars.merchants.models import AuditEvent
from regulars.web.session import Limits
from tests.factories import PASSWORD, make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in


def _count(db: Database, model: type, **where: object) -> int:
    q = select(func.count()).select_from(model).filter_by(**where)
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


def test_signed_out_pages_redirect_to_login(client: TestClient, db: Database) -> None:
    for path in ("/customers", "/customers/new", "/customers/import", "/"):
        r = client.get(path, follow_redirects=True)
        assert r.url.path == "/login", path
        assert 'name="password"' in r.text


def test_redirect_keeps_the_wanted_page_as_next(client: TestClient, db: Database) -> None:
    r = client.get("/customers?q=ma", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fcustomers%3Fq%3Dma"


def test_login_then_logout(client: TestClient, db: Database) -> None:
    shop = make_merchant(db, name="Shwe Bakery")
    sign_in(client, shop)
    r = client.get("/customers")
    assert r.status_code == 200
    assert "Shwe Bakery" in r.text
    token = csrf_of(client, "/customers")
    out = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    assert client.get("/customers", follow_redirects=False).status_code == 303


def test_wrong_password_is_refused_without_a_session(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    token = csrf_of(client, "/login")
    r = client.post(
        "/login", data={"email": shop.owner_email, "password": "not it at all", "csrf": token}
    )
    assert r.status_code == 401
    assert "The email or the password is wrong." in r.text
    assert client.get("/customers", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_per_account(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    token = csrf_of(client, "/login")
    wrong = {"email": shop.owner_email, "password": "guess guess", "csrf": token}
    statuses = [client.post("/login", data=wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5
    right = dict(wrong, password=PASSWORD)
    r = client.post("/login", data=right)
    assert r.status_code == 429
    assert "Too many attempts." in r.text
    assert client.get("/customers", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_per_client_ip(
    app: FastAPI, client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    app.state.web_limits = Limits(
        login_account=RateLimiter(5, 900),
        login_ip=RateLimiter(3, 900),
        portal_code_ip=RateLimiter(30, 3600),
        portal_verify_ip=RateLimiter(60, 900),
    )
    token = csrf_of(client, "/login")
    for n in range(3):
        data = {"email": f"nobody{n}@example.com", "password": "x" * 12, "csrf": token}
        assert client.post("/login", data=data).status_code == 401
    data = {"email": shop.owner_email, "password": PASSWORD, "csrf": token}
    assert client.post("/login", data=data).status_code == 429


def test_post_without_csrf_token_is_rejected_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop)
    sign_in(client, shop)
    r = client.post(f"/customers/{customer.id}/notes", data={"body": "hello", "csrf": "forged"})
    assert r.status_code == 403
    assert "This form has expired." in r.text
    assert _count(db, Note) == 0
    no_token = client.post("/login", data={"email": shop.owner_email, "password": PASSWORD})
    assert no_token.status_code == 403


def test_search_finds_a_customer_by_a_local_phone_format(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    found = make_customer(db, shop, name="ဒေါ်မြမြ", phone="+959781234567")
    make_customer(db, shop, name="Ko Zaw", phone="+959420000001")
    sign_in(client, shop)
    r = client.get("/customers", params={"q": "09 7812 34567"})
    assert r.status_code == 200
    assert f"/customers/{found.id}" in r.text
    assert "Ko Zaw" not in r.text
    assert "+95 9 781 234567" in r.text
    by_name = client.get("/customers", params={"q": "မြမြ"})
    assert f"/customers/{found.id}" in by_name.text
    none = client.get("/customers", params={"q": "Nobody Here"})
    assert "“Nobody Here” နှင့် ကိုက်ညီသည့် ဖောက်သည် မရှိပါ။" in none.text  # a Burmese shop


def test_customers_list_pages_through_results(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    for n in range(27):
        make_customer(db, shop, name=f"Customer {n:02d}")
    sign_in(client, shop)
    first = client.get("/customers")
    assert first.text.count('class="list-item"') == 25
    cursor = re.search(r"cursor=([A-Za-z0-9_-]+)", first.text)
    assert cursor
    second = client.get("/customers", params={"cursor": cursor.group(1)})
    assert second.text.count('class="list-item"') == 2
    assert "Customer 00" in second.text


def test_customer_page_shows_the_profile(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(
        db,
        shop,
        name="Daw Hla",
        phone="09 7812 34567",
        email="hla@example.com",
        tags=["wholesale"],
        attributes={"plate": "YGN 2B-1234"},
        consent={"sms": True, "email": False},
    )
    sign_in(client, shop, lang="en")
    r = client.get(f"/customers/{customer.id}")
    assert r.status_code == 200
    html = r.text
    assert "Daw Hla" in html
    assert "+95 9 781 234567" in html
    assert "hla@example.com" in html
    assert "wholesale" in html
    assert "YGN 2B-1234" in html
    assert "Yes, since" in html and "No, since" in html and "Not asked" in html
    code = customer.member_code
    assert f"{code[:4]}-{code[4:]}" in html
    assert '<svg viewBox="0 0 ' in html
    assert _count(db, AuditEvent, action="customer.viewed", entity_id=customer.id) == 1


def test_note_added_on_the_page_shows_in_the_timeline(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop)
    sign_in(client, shop)
    token = csrf_of(client, f"/customers/{customer.id}")
    r = client.post(
        f"/customers/{customer.id}/notes",
        data={"body": "Likes the durian cake", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Likes the durian cake" in client.get(f"/customers/{customer.id}").text
    empty = client.post(f"/customers/{customer.id}/notes", data={"body": "  ", "csrf": token})
    assert empty.status_code == 422
    assert _count(db, Note) == 1


def test_create_customer_with_a_locally_typed_phone(client: TestClient, db: Database) -> None:
    shop = make_merchant(db, name="KL Kopi", country="MY", currency="MYR",
                         timezone="Asia/Kuala_Lumpur", locale="ms")  # fmt: skip
    sign_in(client, shop, lang="en")
    token = csrf_of(client, "/customers/new")
    form = {"name": "Siti Aminah", "phone": "012-345 6789", "tags": "vip, regular",
            "consent": ["sms", "whatsapp"], "csrf": token}  # fmt: skip
    r = client.post("/customers/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    customer = db.run(lambda s: s.scalar(select(Customer)), write=False)
    assert customer is not None
    assert (customer.phone, customer.tags) == ("+60123456789", ["vip", "regular"])
    assert r.headers["location"] == f"/customers/{customer.id}"
    again = client.post("/customers/new", data=form)
    assert again.status_code == 409
    assert "Another customer already has this phone number" in again.text
    bad = client.post("/customers/new", data=dict(form, phone="12", name="Other"))
    assert bad.status_code == 422
    assert "This phone number is not valid." in bad.text
    assert _count(db, Customer) == 1


def test_another_merchants_customer_is_a_404_page(client: TestClient, db: Database) -> None:
    mine, theirs = make_merchant(db, name="Mine"), make_merchant(db, name="Theirs")
    other = make_customer(db, theirs, name="Secret Person")
    sign_in(client, mine)
    r = client.get(f"/customers/{other.id}")
    assert r.status_code == 404
    assert "Secret Person" not in r.text
    assert client.get("/customers/not-a-uuid").status_code == 404


def test_urdu_pages_are_right_to_left(client: TestClient, db: Database) -> None:
    shop = make_merchant(db, name="Lahore Mobiles", country="PK", currency="PKR",
                         timezone="Asia/Karachi", locale="ur")  # fmt: skip
    sign_in(client, shop)
    html = client.get("/customers").text
    assert '<html lang="ur" dir="rtl">' in html
    assert "گاہک" in html


def test_language_switch_is_kept_for_the_session(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)  # a Burmese shop
    sign_in(client, shop)
    assert '<html lang="my" dir="ltr">' in client.get("/customers").text
    token = csrf_of(client, "/customers")
    client.post("/lang", data={"lang": "lo", "next": "/customers", "csrf": token})
    html = client.get("/customers").text
    assert '<html lang="lo" dir="ltr">' in html
    assert "ລູກຄ້າ" in html


LANGS = {"en": "Customers", "my": "ဖောက်သည်များ", "ur": "گاہک", "lo": "ລູກຄ້າ", "ms": "Pelanggan"}


def test_every_staff_page_renders_in_each_language(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone="09 7812 34567", birthday="1990-04-13",
                             consent={"sms": True}, tags=["vip"])  # fmt: skip
    sign_in(client, shop)
    token = csrf_of(client, "/customers")
    client.post(f"/customers/{customer.id}/notes", data={"body": "note", "csrf": token})
    paths = ("/customers", "/customers?q=zzz", "/customers/new", f"/customers/{customer.id}",
             "/customers/import", "/customers/00000000-0000-7000-8000-000000000000")  # fmt: skip
    for lang, word in LANGS.items():
        client.post("/lang", data={"lang": lang, "next": "/customers", "csrf": token})
        for path in paths:
            r = client.get(path)
            assert r.status_code == (404 if path.endswith("0000") else 200), (lang, path)
            assert f'<html lang="{lang}"' in r.text, (lang, path)
        assert word in client.get("/customers").text
        login = TestClient(client.app).get("/login", params={"lang": lang})
        assert f'<html lang="{lang}"' in login.text
