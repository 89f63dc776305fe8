"""Staff coupon pages: campaigns listed and created, a campaign changed, codes made and
downloaded; every page in every language; bad input kept with its reason."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.db import Database
from regulars.offers.models import CouponCampaign, CouponCode
from regulars.web.i18n import LANGUAGES
from tests.factories import make_merchant
from tests.web.conftest import csrf_of, sign_in
from tests.web.test_pos_pages import add_staff, sign_in_as


def _count(db: Database, model: object) -> int:
    return int(db.run(lambda s: s.scalar(select(func.count()).select_from(model)), write=False))


def _create(client: TestClient, **fields: str) -> object:
    token = csrf_of(client, "/coupons")
    data = {"name": "Rainy day", "kind": "amount_off", "value": "500", "csrf": token} | fields
    return client.post("/coupons", data=data, follow_redirects=False)


def test_a_manager_creates_a_campaign_changes_it_and_downloads_its_codes(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)  # MMK, Asia/Yangon
    sign_in(client, shop, "en")
    r = _create(client, code="rain", total_limit="100", ends_at="2026-09-30", stackable="true")
    assert r.status_code == 303
    path = r.headers["location"]
    page = client.get(path)
    assert page.status_code == 200
    assert "Amount off: MMK500" in page.text and ">RAIN<" in page.text
    assert "Used 0 of 100" in page.text
    assert 'name="ends_at" value="2026-09-30"' in page.text
    got = db.run(lambda s: s.scalars(select(CouponCampaign)).one(), write=False)
    assert (got.value, got.total_limit, got.stackable) == (500, 100, True)
    assert got.ends_at.isoformat() == "2026-09-30T17:30:00+00:00"  # midnight ending the day there

    token = csrf_of(client, path)
    changed = client.post(
        path,
        data={"name": "Rainy days", "value": "700", "total_limit": "", "csrf": token},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    got = db.run(lambda s: s.scalars(select(CouponCampaign)).one(), write=False)
    assert (got.name, got.value, got.total_limit, got.active, got.stackable) == (
        "Rainy days", 700, None, False, False,
    )  # fmt: skip

    made = client.post(f"{path}/codes", data={"count": "12", "csrf": token}, follow_redirects=False)
    assert made.status_code == 303 and "?job=" in made.headers["location"]
    done = client.get(made.headers["location"])
    assert "12 codes made." in done.text
    csv = client.get(f"{path}/codes.csv")
    assert csv.status_code == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"
    lines = csv.text.splitlines()
    assert lines[0] == "code,customer_id,expires_at,used_at" and len(lines) == 14  # RAIN + 12
    listed = client.get("/coupons")
    assert "Rainy days" in listed.text and "Paused" in listed.text


def test_bad_input_is_kept_with_its_reason_and_nothing_is_stored(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, "en")
    r = _create(client, kind="percent_off", value="150", name="Too much")
    assert r.status_code == 422
    assert "An amount above 0, or a percent from 1 to 100, for this kind." in r.text
    assert 'value="Too much"' in r.text and 'value="150"' in r.text
    r = _create(client, kind="free_item", value="", sku="")
    assert r.status_code == 422
    assert "The SKU of the free item is needed for this kind." in r.text
    assert _count(db, CouponCampaign) == 0
    ok = _create(client, code="SAME")
    assert ok.status_code == 303
    again = _create(client, code="same")
    assert again.status_code == 422
    assert "not a code already in use" in again.text
    bad = client.post(
        f"{ok.headers['location']}/codes",
        data={"count": "lots", "csrf": csrf_of(client, "/coupons")},
    )
    assert bad.status_code == 422 and "From 1 to 1,000,000 codes." in bad.text
    assert _count(db, CouponCampaign) == 1 and _count(db, CouponCode) == 1


def test_a_cashier_sees_the_campaigns_but_no_forms(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, "en")
    path = _create(client).headers["location"]
    client.post("/logout", data={"csrf": csrf_of(client, "/coupons")})
    sign_in_as(client, add_staff(db, shop, "cashier"))
    for url in ("/coupons", path):
        page = client.get(url)
        assert page.status_code == 200 and "Rainy day" in page.text
        assert 'method="post" action="/coupons' not in page.text
    assert client.get(f"{path}/codes.csv").status_code == 403


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_coupon_pages_render_in_every_language(client: TestClient, db: Database, lang: str) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, "en")
    path = _create(client, code="rain").headers["location"]
    token = csrf_of(client, path)
    client.post("/lang", data={"lang": lang, "next": "/coupons", "csrf": token})
    for url in ("/coupons", path):
        page = client.get(url)
        assert page.status_code == 200
        assert re.search(rf'<html lang="{lang}" dir="(ltr|rtl)"', page.text)
        assert ('dir="rtl"' in page.text) == (lang == "ur")
