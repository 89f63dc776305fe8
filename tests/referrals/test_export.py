"""A customer's data export carries their referrals: their codes, who brought them, and the
friends they brought (by id)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from regulars.db import Database
from tests.factories import make_merchant
from tests.referrals.test_referrals import API, code_of, member


def test_the_data_export_holds_the_customers_referrals(db: Database, client: TestClient) -> None:
    shop = make_merchant(db)
    maya = member(client, shop, name="Maya", phone="09 7812 34567")
    code = code_of(client, shop, maya)
    friend = member(client, shop, code, name="Friend", phone="09 7812 34568")

    mine = client.get(f"{API}/customers/{maya}/export", headers=shop.headers)
    theirs = client.get(f"{API}/customers/{friend}/export", headers=shop.headers)

    assert mine.status_code == theirs.status_code == 200
    sent = mine.json()["referrals"]
    assert [(c["kind"], c["code"]) for c in sent["codes"]] == [("referral", code)]
    assert sent["referred_by"] is None
    [row] = sent["friends"]
    assert (row["friend_id"], row["status"], row["reward_points"]) == (friend, "pending", 0)
    came = theirs.json()["referrals"]
    assert came["codes"] == [] and came["friends"] == []
    assert (came["referred_by"]["referrer_id"], came["referred_by"]["code_kind"]) == (
        maya,
        "referral",
    )
