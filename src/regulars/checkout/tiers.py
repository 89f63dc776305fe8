"""Tiers recomputed from sales: after a refund and by the daily `tiers.recompute` job.

Qualifying spend is what a customer paid in money over the program's rolling window, less
refunds. A sale works its new tier out in memory (service.py); these are the paths that start
from the account row instead.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import LoyaltyAccount
from regulars.loyalty.program import Program


def qualifying_spend(session: Session, ctx: Ctx, customer_id: uuid.UUID, program: Program) -> int:
    since = clock.add_months(clock.now(), -program.tiers.window_months)
    q = select(func.coalesce(func.sum(Purchase.total - Purchase.refunded_total), 0)).where(
        Purchase.merchant_id == ctx.merchant_id,
        Purchase.customer_id == customer_id,
        Purchase.created_at > since,
    )
    return int(session.scalar(q) or 0)


def retier(
    session: Session,
    ctx: Ctx,
    program: Program,
    customer_id: uuid.UUID,
    reason: str,
    account: LoyaltyAccount | None = None,
) -> dict[str, Any]:
    """Tier after a refund or the daily run; `account` when the caller already holds its lock."""
    account = account or ledger.lock_account(session, ctx, customer_id)
    spend = qualifying_spend(session, ctx, customer_id, program)
    loyalty.apply_tier(session, ctx, account, program, spend, reason)
    return loyalty.account_tier_out(program, account)


def recompute_one(session: Session, ctx: Ctx, program: Program, customer_id: uuid.UUID) -> bool:
    """One customer's tier by today's window; True when it changed."""
    account = ledger.lock_account(session, ctx, customer_id)
    before = account.tier_code
    after = retier(session, ctx, program, customer_id, "daily recompute", account)
    return bool(after["code"] != before)


def recompute_tiers(session: Session, ctx: Ctx) -> int:
    """The daily `tiers.recompute` job in one transaction (checkout/tasks.py runs it one
    customer per transaction)."""
    _version, program, _at = loyalty.current_program(session, ctx)
    return sum(recompute_one(session, ctx, program, c) for c in loyalty.accounts(session, ctx))
