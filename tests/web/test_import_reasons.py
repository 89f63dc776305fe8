"""The import page: a manager's action; the form says how dates and tags are written; the job
page lists each rejected row and each row imported without a field, in the reader's language."""

from __future__ import annotations

import re
import uuid
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.customers.imports import jobs as import_jobs
from regulars.customers.models import Customer, ImportJob
from regulars.db import Database
from tests.factories import make_merchant
from tests.loyalty.test_signup import entries, set_signup_points
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_pos_pages import add_staff, sign_in_as

CSV = (
    "name,phone,birthday,tags\n"
    "Daw Mya,09 7812 34567,14/05/1991,vip; cake\n"
    "Ko Zaw,not a phone,,\n"
    "U Ba,09 4200 00001,31/02/1990,\n"
)


def _upload(client: TestClient, token: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/customers/import",
        data={"csrf": token} | data,
        files={"file": ("customers.csv", CSV.encode(), "text/csv")},
        follow_redirects=False,
    )


def _count(db: Database, model: type) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(model)), write=False))


def test_the_job_page_lists_reasons_in_the_readers_language(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)  # a Burmese shop: dates day first
    sign_in(client, shop, lang="en")
    form = client.get("/customers/import").text
    assert "Dates as 1991-05-14 or as 14/05/1991." in form
    assert "separated by ; or |" in form
    r = _upload(client, csrf_of(client, "/customers/import"))
    assert r.status_code == 303
    job_id = uuid.UUID(r.headers["location"].rsplit("/", 1)[1])
    import_jobs.wait(job_id, timeout=30)
    html = client.get(r.headers["location"]).text
    notes = re.findall(
        r'<li class="(rejected|warned)">.*?Row (\d+).*?<span class="why"[^>]*>([^<]*)<', html, re.S
    )
    assert notes == [
        ("rejected", "2", "\u2066phone\u2069: not a valid phone number"),
        ("warned", "3", "\u2066birthday\u2069: not a date: write 1991-05-14 or 14/05/1991"),
    ]
    customers = db.run(
        lambda s: {c.name: (c.birthday, c.tags) for c in s.scalars(select(Customer))}, write=False
    )
    assert customers == {"Daw Mya": (date(1991, 5, 14), ["vip", "cake"]), "U Ba": (None, [])}
    client.post(
        "/lang", data={"lang": "my", "next": "/customers", "csrf": csrf_of(client, "/customers")}
    )
    burmese = client.get(r.headers["location"]).text
    assert "not a valid phone number" not in burmese  # translated, column name kept
    assert "\u2066phone\u2069: " in burmese


def test_a_cashier_can_neither_open_nor_use_the_import(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    token = sign_in_as(client, add_staff(db, shop, "cashier"))
    page = client.get("/customers/import")
    assert page.status_code == 403
    assert "Importing customers is for a manager or the owner." in page.text
    assert 'href="/customers/import"' not in client.get("/customers").text
    r = _upload(client, token, merge="true")
    assert r.status_code == 403
    assert (_count(db, ImportJob), _count(db, Customer)) == (0, 0)


def test_an_import_gives_the_signup_bonus_only_when_asked(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    set_signup_points(db, shop, 20)
    sign_in(client, shop, lang="en")
    first = _upload(client, csrf_of(client, "/customers/import"))
    import_jobs.wait(uuid.UUID(first.headers["location"].rsplit("/", 1)[1]), timeout=30)
    ids = db.run(lambda s: list(s.scalars(select(Customer.id))), write=False)
    assert len(ids) == 2
    assert all(entries(db, shop, cid) == [] for cid in ids)  # off by default

    other = make_merchant(db, name="Other")
    set_signup_points(db, other, 20)
    client.post("/logout", data={"csrf": csrf_of(client, "/customers")})
    sign_in(client, other, lang="en")
    r = _upload(client, csrf_of(client, "/customers/import"), signup_bonus="true")
    job_id = uuid.UUID(r.headers["location"].rsplit("/", 1)[1])
    import_jobs.wait(job_id, timeout=30)
    job = db.run(lambda s: s.get(ImportJob, (other.id, job_id)), write=False)
    assert (job.signup_bonus, job.imported) == (True, 2)
    theirs = db.run(
        lambda s: list(s.scalars(select(Customer.id).where(Customer.merchant_id == other.id))),
        write=False,
    )
    assert sorted(entries(db, other, cid)[0] for cid in theirs) == [(20, "bonus", "signup")] * 2
