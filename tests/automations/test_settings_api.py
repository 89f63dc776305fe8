"""Each automation is off until switched on, with settings checked and named when wrong."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.db import Database
from tests.automations.helpers import API
from tests.factories import make_merchant


def test_automations_start_off_and_are_switched_on_with_their_settings(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    listed = client.get(f"{API}/automations", headers=shop.headers).json()
    assert [a["kind"] for a in listed] == [
        "welcome",
        "birthday",
        "anniversary",
        "restock",
        "winback",
        "points_expiring",
        "tier_up",
        "reward_unlocked",
        "thank_you",
    ]
    assert not any(a["enabled"] for a in listed)
    assert next(a for a in listed if a["kind"] == "winback")["settings"] == {"days": 60}

    r = client.put(
        f"{API}/automations/winback", json={"enabled": True, "days": 45}, headers=shop.headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["enabled"], r.json()["settings"]) == (True, {"days": 45})
    r = client.put(f"{API}/automations/winback", json={"enabled": False}, headers=shop.headers)
    assert (r.json()["enabled"], r.json()["settings"]) == (False, {"days": 45})
    got = client.get(f"{API}/automations/winback", headers=shop.headers).json()
    assert got["settings"] == {"days": 45} and got["updated_at"] is not None


def test_bad_settings_are_refused_naming_the_field_and_change_nothing(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    for kind, body, field in [
        ("winback", {"days": 3}, "days"),
        ("winback", {"dayz": 30}, "dayz"),
        ("points_expiring", {"days": "soon"}, "days"),
        ("birthday", {"enabled": True}, "campaign_id"),
        (
            "birthday",
            {"enabled": True, "campaign_id": "6d1c3a52-8a43-4c8e-9a55-2f7f1d1f9c10"},
            "campaign_id",
        ),
    ]:
        r = client.put(f"{API}/automations/{kind}", json=body, headers=shop.headers)
        assert r.status_code == 422, (kind, r.text)
        assert r.json()["errors"][0]["field"] == field
    assert not any(
        a["enabled"] for a in client.get(f"{API}/automations", headers=shop.headers).json()
    )
    assert client.put(f"{API}/automations/nope", json={}, headers=shop.headers).status_code == 404
    cashier = shop.key_for(db, "cashier")
    assert (
        client.put(
            f"{API}/automations/welcome", json={"enabled": True}, headers=cashier
        ).status_code
        == 403
    )
