"""Staff pages for automated messages: switches and settings, the wording grid, one template's
editor and its preview for a chosen customer (their data, their language); every page in every
language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.web.i18n import LANGUAGES
from tests.automations.helpers import buy
from tests.factories import make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in


def test_a_manager_switches_an_automation_on_and_a_bad_value_is_kept_with_its_reason(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, "en")
    token = csrf_of(client, "/automations")
    r = client.post(
        "/automations/winback",
        data={"enabled": "on", "days": "45", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    got = client.get("/api/v1/automations/winback", headers=shop.headers).json()
    assert (got["enabled"], got["settings"]) == (True, {"days": 45})
    bad = client.post("/automations/winback", data={"enabled": "on", "days": "2", "csrf": token})
    assert bad.status_code == 422 and "Check this value." in bad.text
    assert client.get("/api/v1/automations/winback", headers=shop.headers).json()["settings"] == {
        "days": 45
    }


def test_the_preview_shows_a_chosen_customer_their_message_in_their_language(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)  # Burmese shop, kyat
    make_customer(db, shop, name="Siti", phone="09 7812 34567", locale="ms")
    cust = make_customer(db, shop, name="Bounmy", phone="09 7812 34568", locale="lo")
    buy(db, shop, cust.id, "R-1", ("PUFF", 2, 1500))
    buy(db, shop, cust.id, "R-2", ("PUFF", 1, 1500))
    sign_in(client, shop, "en")
    page = client.get("/message-templates/restock/en", params={"customer": "09 7812 34568"})
    assert page.status_code == 200
    assert "Bounmy" in page.text and "ລາວ" in page.text
    assert "ຂ່າວດີ Bounmy! Puff ກັບມາມີຂາຍຢູ່ Shwe Bakery ແລ້ວ. ມາກ່ອນມັນໝົດເດີ້!" in page.text
    missing = client.get("/message-templates/restock/en", params={"customer": "09 0000 0000"})
    assert "No customer with this phone number or member code." in missing.text

    token = csrf_of(client, "/message-templates/restock/lo")
    saved = client.post(
        "/message-templates/restock/lo",
        follow_redirects=False,
        data={"subject": "{{ item }}", "body": "{{ item }}!! {{ name }}", "csrf": token},
    )
    assert saved.status_code == 303
    page = client.get("/message-templates/restock/lo", params={"customer": "09 7812 34568"})
    assert "Puff!! Bounmy" in page.text
    bad = client.post(
        "/message-templates/restock/lo", data={"subject": "x", "body": "{{ nmae }}", "csrf": token}
    )
    assert bad.status_code == 422 and "This template does not work" in bad.text
    grid = client.get("/message-templates")
    assert grid.text.count(">Yours<") == 1 and grid.text.count(">Shipped<") == 44


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_message_page_renders_in_every_language(
    client: TestClient, db: Database, lang: str
) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, lang)
    for path in (
        "/automations",
        "/automations/log",
        "/message-templates",
        "/message-templates/birthday/ur",
    ):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        assert f'lang="{lang}"' in r.text
