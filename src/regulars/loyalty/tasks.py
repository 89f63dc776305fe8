"""Loyalty's daily job, `points.expire`, one customer per transaction: a run over a whole shop
holds SQLite's write lock (or a PostgreSQL account lock) for one customer at a time, so the till
keeps selling while it runs."""

from __future__ import annotations

from functools import partial

from regulars.db import Database
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger


def expire_points(db: Database, ctx: Ctx) -> dict[str, int]:
    """Expire what is due now, oldest points first; safe to run again (it expires nothing
    twice: each customer's expiry locks the account and takes only what is still due)."""
    due = db.run(lambda s: ledger.customers_with_due_points(s, ctx, clock.now()), write=False)
    points = customers = 0
    for customer_id in due:
        expired = db.run_job(partial(ledger.expire_customer, ctx=ctx, customer_id=customer_id))
        points += expired
        customers += expired > 0
    return {"customers": customers, "points": points}
