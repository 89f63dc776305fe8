"""After-sales service pages: a schedule added for a customer's car, the due list, a visit with
its odometer and a free inspection, and the errors a person can fix."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from regulars.aftercare.models import ServiceSchedule, ServiceVisit
from regulars.db import Database
from regulars.web import i18n
from tests.factories import make_customer, make_merchant
from tests.web.conftest import csrf_of, sign_in


def test_a_schedule_is_added_and_a_visit_recorded(client: TestClient, db: Database) -> None:
    shop = make_merchant(db, name="Vientiane Motors", country="LA", currency="LAK",
                         timezone="Asia/Vientiane", locale="lo")  # fmt: skip
    make_customer(db, shop, name="ທ້າວ ສົມພອນ", phone="020 5555 1234")
    sign_in(client, shop, "en")
    token = csrf_of(client, "/service")
    form = {"customer": "020 5555 1234", "item": "Toyota Vios", "service": "Oil change",
            "every_months": "6", "every_km": "5,000", "odometer_km": "", "csrf": token}  # fmt: skip
    bad = client.post("/service", data=form)
    assert bad.status_code == 422
    assert "The odometer in km" in bad.text and 'value="Toyota Vios"' in bad.text
    r = client.post("/service", data=form | {"odometer_km": "12000"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert "17,000 km" in page
    low = client.post(
        r.headers["location"] + "/visits", data={"odometer_km": "9000", "csrf": token}
    )
    assert low.status_code == 422 and "not lower than the last reading" in low.text
    ok = client.post(
        r.headers["location"] + "/visits",
        data={"odometer_km": "16500", "notes": "Oil and filter", "csrf": token},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Oil and filter" in client.get(r.headers["location"]).text
    counts = db.run(
        lambda s: (
            s.scalar(select(func.count()).select_from(ServiceSchedule)),
            s.scalar(select(func.count()).select_from(ServiceVisit)),
        ),
        write=False,
    )
    assert counts == (1, 1)


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_service_pages_render_in_every_language(
    client: TestClient, db: Database, lang: str
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="Ko Aung", phone="09 7812 34567")
    sign_in(client, shop, lang)
    token = csrf_of(client, "/service")
    r = client.post(
        "/service",
        data={
            "customer": "09 7812 34567",
            "item": "Bike",
            "service": "Tune-up",
            "every_months": "3",
            "every_km": "",
            "odometer_km": "",
            "csrf": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    for path in ("/service", r.headers["location"]):
        page = client.get(path)
        assert page.status_code == 200 and f'lang="{lang}"' in page.text
