"""The till's fast lane answers exactly as the documented routes do: one database, two apps, one
with the lane and one without, the same requests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from regulars.app import create_app
from regulars.checkout import api as checkout_api
from regulars.db import Database
from regulars.kit import lane
from regulars.settings import Settings
from tests.checkout.test_checkout_api import API, canonical, sale
from tests.factories import make_customer, make_merchant


@pytest.fixture
def two_apps(
    settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch
) -> tuple[TestClient, TestClient, list[str]]:
    taken: list[str] = []

    def counted(name: str, route: lane.Route) -> lane.Route:
        async def handle(caller: Any, body: Any) -> Any:
            taken.append(name)
            return await route.handle(caller, body)

        return lane.Route(route.body, handle)

    lanes = {k: counted(k[1], r) for k, r in checkout_api.LANE.items()}
    monkeypatch.setattr(checkout_api, "LANE", lanes)
    fast = TestClient(create_app(settings, db))
    monkeypatch.setattr(checkout_api, "LANE", {})
    full = TestClient(create_app(settings, db))
    return fast, full, taken


def test_quote_commit_replay_and_errors_answer_the_same_in_both_lanes(
    two_apps: tuple[TestClient, TestClient, list[str]], db: Database
) -> None:
    fast, full, taken = two_apps
    shop = make_merchant(db)
    make_customer(db, shop, phone="09 7812 34567", locale="my")
    who = {"phone": "09 7812 34567"}
    basket = [("CAKE-1", "cakes", 2, 5000), ("TEA", "drinks", 1, 1500)]

    def both(path: str, body: dict[str, Any], headers: dict[str, str]) -> list[Any]:
        answers = [c.post(f"{API}{path}", json=body, headers=headers) for c in (fast, full)]
        return [(r.status_code, r.headers.get("idempotent-replayed"), r.json()) for r in answers]

    q = both("/checkout/quote", sale("Q-1", who, *basket), shop.headers)
    assert q[0] == q[1] and q[0][0] == 200 and canonical(q[0][2])["points_earned"] == 11

    first = fast.post(f"{API}/checkout", json=sale("R-1", who, *basket), headers=shop.headers)
    assert first.status_code == 201 and canonical(first.json())["tier"] is not None
    again = both("/checkout", sale("R-1", who, *basket), shop.headers)
    assert again == [(200, "true", first.json())] * 2
    replayed = fast.post(f"{API}/checkout", json=sale("R-1", who, *basket), headers=shop.headers)
    assert replayed.content == first.content  # byte for byte

    second = full.post(f"{API}/checkout", json=sale("R-2", who, *basket), headers=shop.headers)
    assert second.status_code == 201 and second.json()["balance"] == 22
    assert (
        both("/checkout", sale("R-2", who, *basket), shop.headers)
        == [(200, "true", second.json())] * 2
    )

    for body, headers, status in [
        (sale("R-1", who, ("CAKE-1", "cakes", 9, 5000)), shop.headers, 409),  # other body
        (sale("R-3", {"phone": "09 7800 00000"}, *basket), shop.headers, 422),  # no such one
        (sale("R-3", who, *basket, redeem_points=10**6), shop.headers, 422),  # over the cap
        (sale("R-3", who, *basket), {"Authorization": "Bearer rg_nokey_0000"}, 401),
    ]:
        answers = both("/checkout", body, headers)
        assert answers[0] == answers[1] and answers[0][0] == status, answers
    assert taken.count("/checkout/quote") == 1 and taken.count("/checkout") == 8
    summary = fast.get(f"{API}/customers", headers=shop.headers).json()["data"][0]
    assert summary["phone"].endswith("34567")
    ledger = fast.get(f"{API}/customers/{summary['id']}/ledger", headers=shop.headers).json()
    assert [e["points"] for e in ledger["data"]] == [11, 11]
