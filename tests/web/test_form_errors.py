"""Every wrong field of a form is marked at once, and an unknown address answers in the
caller's format (an HTML page to a browser, problem+json to the API)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.customers.models import Customer
from regulars.db import Database
from regulars.loyalty.models import ProgramVersion
from tests.factories import make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_loyalty_pages import _program_form


def _count(db: Database, model: type) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(model)), write=False))


def _invalid(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="([^"]+)"[^>]*aria-invalid="true"', html)


def test_new_customer_form_marks_a_bad_phone_and_a_bad_email(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, lang="en")
    form = {
        "name": "Ma Ma",
        "phone": "12",
        "email": "mama@shop",
        "csrf": csrf_of(client, "/customers/new"),
    }
    r = client.post("/customers/new", data=form)
    assert r.status_code == 422
    assert _invalid(r.text) == ["phone", "email"]
    assert "This phone number is not valid." in r.text
    assert "This email address is not valid." in r.text
    r = client.post("/customers/new", data=form | {"birthday": "1990-02-31"})
    assert r.status_code == 422
    assert _invalid(r.text) == ["phone", "email", "birthday"]
    assert _count(db, Customer) == 0


def test_api_names_both_a_bad_phone_and_a_bad_email(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    r = client.post(
        "/api/v1/customers", json={"phone": "12", "email": "mama@shop"}, headers=shop.headers
    )
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["phone", "email"]
    assert _count(db, Customer) == 0


def test_program_form_marks_every_wrong_field(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, lang="en")
    form = _program_form(client) | {"earn_points": "many", "pay_max_percent": "500"}
    r = client.post("/settings/program", data=form)
    assert r.status_code == 422
    assert _invalid(r.text) == ["earn_points", "pay_max_percent"]
    assert "Type a whole number." in r.text
    assert "Too large: at most 100." in r.text
    assert _count(db, ProgramVersion) == 0


def test_unknown_page_is_html_for_a_browser_and_problem_json_for_the_api(
    client: TestClient, db: Database
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "ms"}
    r = client.get("/no-such-page", headers=browser)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="ms"' in r.text
    r = client.get("/api/v1/no-such-thing", headers=browser)
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
    assert r.json()["type"] == "/problems/not-found"
    r = client.get("/no-such-page")  # curl, fetch: no HTML asked for
    assert (r.status_code, r.headers["content-type"]) == (404, "application/problem+json")
