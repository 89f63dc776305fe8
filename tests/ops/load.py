"""Sales rung up while something else happens: a thread through the real checkout, or an HTTP
load generator against a real server, each counting the sales it was told were committed."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from regulars.checkout import service as checkout
from regulars.checkout.models import Purchase
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from tests.factories import Shop


def sale(receipt: str, customer_id: uuid.UUID) -> dict[str, Any]:
    return {
        "receipt_id": receipt,
        "customer": {"id": str(customer_id)},
        "lines": [{"sku": "CAKE", "category": "cake", "quantity": 2, "unit_price": 4500}],
    }


class Till(threading.Thread):
    """Commits sales one after another until stopped; `acked` lists the receipts committed, in
    the order their commits returned."""

    def __init__(self, db: Database, shop: Shop, customers: list[uuid.UUID]):
        super().__init__(daemon=True)
        self.db, self.shop, self.customers = db, shop, customers
        self.acked: list[str] = []
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        n = 0
        try:
            while not self.stopping.is_set():
                receipt = f"R-{n:06d}"
                body = CheckoutIn.model_validate(sale(receipt, self.customers[n % 5]))
                self.db.run(lambda s, b=body: checkout.commit(s, self.shop.ctx, b))
                self.acked.append(receipt)
                n += 1
        except BaseException as exc:  # reported by the test
            self.error = exc

    def until(self, count: int, timeout: float = 60) -> None:
        wait = threading.Event()
        for _ in range(int(timeout * 100)):
            if len(self.acked) >= count or self.error is not None:
                return
            wait.wait(0.01)
        raise AssertionError(f"only {len(self.acked)} sales in {timeout} s")

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)
        assert self.error is None, self.error


def receipts(db: Database, merchant_id: uuid.UUID) -> list[str]:
    q = select(Purchase.receipt_id).where(Purchase.merchant_id == merchant_id)
    return list(db.run(lambda s: s.scalars(q).all(), write=False))


def balances_hold(db: Database, shop: Shop, customers: list[uuid.UUID]) -> int:
    """Every customer's balance is their ledger's sum; returns the total points held."""

    def read(s: Any) -> int:
        total = 0
        for customer_id in customers:
            balance = ledger.balance(s, shop.ctx, customer_id)
            assert balance == loyalty.ledger_sum(s, shop.ctx, customer_id), customer_id
            total += balance
        return total

    return int(db.run(read, write=False))


def purchase_count(db: Database) -> int:
    q = select(func.count()).select_from(Purchase)
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


Check = Callable[[Database], None]
