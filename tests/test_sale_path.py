"""One sale path: the after-commit hook on every way a transaction runs, and one ledger whether a
sale comes through the API or the till's page, on either engine (docs/architecture.md)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars import daily
from regulars.checkout import service as checkout
from regulars.db import Database, after_commit
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict
from regulars.loyalty.models import PointsEntry, Voucher
from tests.factories import make_customer, make_merchant
from tests.web.test_pos_pages import basket, cashier

API = "/api/v1"
SRC = Path(__file__).resolve().parent.parent / "src" / "regulars"


class Hooks:
    """A RECORD step that registers an after-commit hook for each sale, and fails the sales whose
    receipt ends in -X after registering it (so the sale rolls back)."""

    def __init__(self) -> None:
        self.ran: list[str] = []
        self.lock = threading.Lock()

    def step(self, session: Session, ctx: Ctx, sale: checkout.Sale, purchase_id: uuid.UUID) -> None:
        receipt = sale.body.receipt_id
        after_commit(session, lambda: self._ran(receipt))
        if receipt.endswith("-X"):
            raise Conflict("this sale fails after its hook was registered")

    def _ran(self, receipt: str) -> None:
        with self.lock:
            self.ran.append(receipt)


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hooks]:
    found = Hooks()
    monkeypatch.setattr(checkout, "RECORD", (*checkout.RECORD, ("test", found.step)))
    yield found


def _api_sale(receipt: str, customer_id: Any, amount: int = 5000) -> dict[str, Any]:
    return {
        "receipt_id": receipt,
        "customer": {"id": str(customer_id)},
        "lines": [{"sku": "CAKE", "name": "Cake", "category": "cakes", "quantity": 1,
                   "unit_price": amount}],
    }  # fmt: skip


def test_after_commit_runs_once_after_an_api_sale_and_never_after_a_rollback(
    client: TestClient, db: Database, hooks: Hooks
) -> None:
    """Through the till's fast lane (Bearer key, JSON body, no Idempotency-Key): on SQLite the
    sale commits in the event loop's group, on PostgreSQL on the thread pool."""
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    ok = client.post(f"{API}/checkout", json=_api_sale("R-1", cust.id), headers=shop.headers)
    assert ok.status_code == 201, ok.text
    failed = client.post(f"{API}/checkout", json=_api_sale("R-X", cust.id), headers=shop.headers)
    assert failed.status_code == 409
    again = client.post(f"{API}/checkout", json=_api_sale("R-1", cust.id), headers=shop.headers)
    assert again.headers.get("Idempotent-Replayed") == "true"  # a replay commits no new sale
    assert hooks.ran == ["R-1"]


def test_after_commit_runs_once_for_each_sale_of_a_group(
    client: TestClient, db: Database, hooks: Hooks
) -> None:
    """Sales that arrive together (one SQLite group, savepoints): the failed one's hook is
    dropped with its savepoint, the others run once each after the group's commit."""
    shop = make_merchant(db)
    people = [make_customer(db, shop, phone=f"09 7812 3456{i}") for i in range(6)]
    receipts = [f"G-{i}" if i != 3 else "G-X" for i in range(6)]
    codes: list[int] = []

    def sell(i: int) -> None:
        r = client.post(
            f"{API}/checkout", json=_api_sale(receipts[i], people[i].id), headers=shop.headers
        )
        codes.append(r.status_code)

    threads = [threading.Thread(target=sell, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [201] * 5 + [409]
    assert sorted(hooks.ran) == sorted(r for r in receipts if r != "G-X")


def test_after_commit_runs_once_after_a_till_page_sale(
    client: TestClient, db: Database, hooks: Hooks
) -> None:
    shop = make_merchant(db)
    cust = make_customer(db, shop, phone="09 7812 34567")
    headers = cashier(client, db, shop)
    ok = client.post("/pos/commit", json=basket("P-1", cust.id, ("CAKE", 1, "5000")),
                     headers=headers)  # fmt: skip
    assert ok.status_code == 201, ok.text
    failed = client.post("/pos/commit", json=basket("P-X", cust.id, ("CAKE", 1, "5000")),
                         headers=headers)  # fmt: skip
    assert failed.status_code == 409
    assert hooks.ran == ["P-1"]


def test_after_commit_runs_once_after_a_daily_job_transaction(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daily job while the server runs (`client` serves the app): on SQLite its writes join the
    event loop's writer queue, elsewhere they run on the job's thread. One customer's
    transaction fails after registering its hook; the other two commit theirs."""
    shop = make_merchant(db)
    people = [make_customer(db, shop, name=f"C{i}") for i in range(3)]
    ran: list[uuid.UUID] = []
    failing = people[1].id

    def one(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
        after_commit(session, lambda: ran.append(customer_id))
        if customer_id == failing:
            raise Conflict("this customer's run fails")
        return 1

    job = daily.Job(lambda s, ctx: [p.id for p in people], one, "done")
    monkeypatch.setitem(daily.JOBS, "test.hooks", job)
    with pytest.raises(Conflict):
        daily.run_job(db, shop.ctx, "test.hooks")
    assert ran == [people[0].id]  # the run stopped at the failing customer
    people.pop(1)
    assert daily.run_job(db, shop.ctx, "test.hooks") == {"customers": 2, "done": 2}
    assert ran == [people[0].id, people[0].id, people[1].id]


def test_no_module_outside_loyalty_names_its_tables() -> None:
    """Loyalty owns its tables: a sale reaches them through loyalty's entry points."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "loyalty"):
            continue
        text = path.read_text(encoding="utf-8")
        for name in ("points_entries", "loyalty_accounts", "loyalty.models", "LoyaltyAccount",
                     "PointsEntry"):  # fmt: skip
            if name in text:
                offenders.append(f"{path.relative_to(SRC)}: {name}")
    assert offenders == []
    assert list(SRC.glob("demo_*.py")) == []
    assert (SRC.parent.parent / "docs" / "architecture.md").is_file()


# --- parity: one script, one ledger --------------------------------------------------------------

JAN = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
PROGRAM = {
    "earn": {"points": 1, "per_amount": 1000},
    "expiry_months": 1,
    "points_payment": {"enabled": True, "point_value": 10, "max_percent": 50},
    "stamp_cards": [{"code": "coffee", "name": "Coffee card", "stamps_required": 3,
                     "skus": ["COFFEE"], "reward_name": "Free coffee", "reward_sku": "COFFEE"}],
}  # fmt: skip


def _script(client: TestClient, db: Database, via_till: bool) -> list[Any]:
    """Sales (through the API or the till's page), a part refund, a redemption, an adjustment,
    points paying for a sale, expiry: the ledger, balance and vouchers that result, in a form
    free of ids and times that differ between runs."""
    shop = make_merchant(db)
    assert client.put(f"{API}/program", json=PROGRAM, headers=shop.headers).status_code == 200
    reward = client.post(
        f"{API}/rewards",
        json={"name": "Cake slice", "kind": "amount_off", "cost_points": 20, "amount": 3000},
        headers=shop.headers,
    ).json()
    cust = make_customer(db, shop, phone="09 7812 34567")
    till = cashier(client, db, shop) if via_till else {}

    def sell(receipt: str, lines: list[tuple[str, int, int]], **extra: Any) -> dict[str, Any]:
        if via_till:
            body = basket(receipt, cust.id, *((s, q, str(p)) for s, q, p in lines), **extra)
            r = client.post("/pos/commit", json=body, headers=till)
            assert r.status_code == 201, r.text
            return {"purchase_id": r.json()["purchase_id"]}
        body = {"receipt_id": receipt, "customer": {"id": str(cust.id)},
                "lines": [{"sku": s, "name": s.title(), "category": "cakes", "quantity": q,
                           "unit_price": p} for s, q, p in lines], **extra}  # fmt: skip
        r = client.post(f"{API}/checkout", json=body, headers=shop.headers)
        assert r.status_code == 201, r.text
        return r.json()

    with clock.frozen(JAN):
        first = sell("S-1", [("CAKE", 2, 12_000), ("COFFEE", 3, 2_500)])
    with clock.frozen(JAN + timedelta(days=2)):
        refund = {"refund_id": "RF-1", "lines": [{"sku": "CAKE", "quantity": 1}]}
        r = client.post(f"{API}/purchases/{first['purchase_id']}/refunds", json=refund,
                        headers=shop.headers)  # fmt: skip
        assert r.status_code == 201, r.text
        if via_till:
            ask = {"customer_id": str(cust.id), "reward_id": reward["id"], "request_key": "k1"}
            r = client.post("/pos/redeem", json=ask, headers=till)
        else:
            url = f"{API}/customers/{cust.id}/redemptions"
            r = client.post(url, json={"reward_id": reward["id"]}, headers=shop.headers)
        assert r.status_code == 201, r.text
        url = f"{API}/customers/{cust.id}/adjustments"
        r = client.post(url, json={"points": 7, "reason": "welcome back"}, headers=shop.headers)
        assert r.status_code == 201, r.text
    with clock.frozen(JAN + timedelta(days=5)):
        sell("S-2", [("BREAD", 1, 8_000)], redeem_points=3)
    with clock.frozen(JAN + timedelta(days=40)):
        daily.run_job(db, shop.ctx, "points.expire")

    def ledger(s: Session) -> list[Any]:
        entries = s.execute(
            select(PointsEntry.points, PointsEntry.kind, PointsEntry.reason)
            .where(PointsEntry.merchant_id == shop.ctx.merchant_id)
            .order_by(PointsEntry.created_at, PointsEntry.id)
        ).all()
        vouchers = s.execute(
            select(Voucher.source, Voucher.name, Voucher.kind, Voucher.status)
            .where(Voucher.merchant_id == shop.ctx.merchant_id)
            .order_by(Voucher.source, Voucher.name)
        ).all()
        return [[tuple(e) for e in entries], [tuple(v) for v in vouchers]]

    got = db.run(ledger, write=False)
    summary = client.get(f"{API}/customers/{cust.id}/loyalty", headers=shop.headers).json()
    return [*got, summary["balance"], summary["tier"]["code"]]


# 31 points for 31,500 MMK; a cake (12,000 of it) refunded takes back floor(31 x 12/31.5) = 11;
# the reward costs 20; 7 by hand; the second sale pays 3 points (30 MMK) and earns on the 7,970
# paid; 40 days on, the first sale's lot is spent and the second's 7 expire; the 3 paid came out
# of the adjustment (which never expires): 7 - 3 + 7 - 7 = 4 left.
EXPECTED: list[Any] = [
    [
        (31, "earn", "base"),
        (-11, "refund", "refund_earned"),
        (-20, "redeem", "reward:Cake slice"),
        (7, "adjust", "welcome back"),
        (-3, "payment", "sale_payment"),
        (7, "earn", "base"),
        (-7, "expire", "expiry"),
    ],
    [
        ("redemption", "Cake slice", "amount_off", "issued"),
        ("stamp_card", "Free coffee", "free_item", "issued"),
    ],
    4,
    None,
]


@pytest.mark.parametrize("via_till", [False, True], ids=["api", "till"])
def test_one_script_gives_one_ledger_on_either_engine_and_either_path(
    client: TestClient, db: Database, via_till: bool
) -> None:
    assert _script(client, db, via_till) == EXPECTED
