"""Tiers (L3): which tier a qualifying spend reaches, how a tier moves (upgrade at once,
downgrade after the grace period), how it is shown, and the two paths that start from the
account row rather than a sale: after a refund and the daily `tiers.recompute` job.

Qualifying spend is what a customer paid in money over the program's rolling window, less
refunds. Sales are checkout's, so the spend comes from the caller: a sale works its new spend out
in memory (loyalty/sale.py), the refund and the daily job are handed checkout's
`qualifying_spend`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger
from regulars.loyalty.models import LoyaltyAccount, TierChange
from regulars.loyalty.program import Program, Tier, plain

# (session, ctx, customer_id, since) -> the customer's spend after `since`, refunds taken off
SpendSince = Callable[[Session, Ctx, uuid.UUID, datetime], int]


@dataclass(frozen=True)
class TierState:
    """A customer's tier as the account row holds it."""

    code: str | None = None
    since: datetime | None = None
    below_since: datetime | None = None  # spend fell below the tier; the downgrade waits


@dataclass(frozen=True)
class TierMove:
    from_tier: str | None
    to_tier: str | None
    reason: str


def for_spend(program: Program, spend: int) -> Tier | None:
    """The highest tier whose qualifying spend is reached."""
    reached = [t for t in program.tiers.levels if spend >= t.min_spend]
    return reached[-1] if reached else None


def next_tier(program: Program, current: Tier | None) -> Tier | None:
    levels = program.tiers.levels
    if current is None:
        return levels[0] if levels else None
    index = next(i for i, t in enumerate(levels) if t.code == current.code)
    return levels[index + 1] if index + 1 < len(levels) else None


def by_code(program: Program, code: str | None) -> Tier | None:
    return next((t for t in program.tiers.levels if t.code == code), None)


def after(
    program: Program, state: TierState, spend: int, now: datetime, reason: str
) -> tuple[TierState, TierMove | None]:
    """Upgrade at once; downgrade only after the spend stayed below for the grace period; a tier
    removed from the program gives way to the one the spend reaches."""
    levels = [t.code for t in program.tiers.levels]
    target = for_spend(program, spend)
    target_code = target.code if target else None
    target_rank = levels.index(target_code) if target_code else -1
    current_rank = levels.index(state.code) if state.code in levels else -1
    change = False
    below_since = state.below_since
    if (state.code is not None and state.code not in levels) or target_rank > current_rank:
        change = True
    elif target_rank == current_rank:
        below_since = None
    elif below_since is None:
        below_since = now
    elif now - below_since >= timedelta(days=program.tiers.downgrade_grace_days):
        change, reason = True, "downgrade after grace"
    if change and target_code != state.code:
        return TierState(target_code, now, None), TierMove(state.code, target_code, reason)
    return TierState(state.code, state.since, below_since), None


def window_start(program: Program, now: datetime) -> datetime:
    return clock.add_months(now, -program.tiers.window_months)


# --- shown -----------------------------------------------------------------------------------


class TierOut(TypedDict):
    """A customer's tier as the till, the portal and a sale's answer show it."""

    code: str | None
    name: str | None
    multiplier: int
    perks: str
    qualifying_spend: int
    next_code: str | None
    next_name: str | None
    next_multiplier: int | None
    next_perks: str
    spend_to_next: int | None
    names: dict[str, str]  # `name` in other languages
    perks_i18n: dict[str, str]
    next_names: dict[str, str]
    next_perks_i18n: dict[str, str]


def tier_out(program: Program, spend: int, code: str | None) -> TierOut:
    """The tier as the till and the portal show it, from the account's spend and tier code."""
    tier = by_code(program, code)
    if code is None:  # no sale yet: the entry tier (min_spend 0) is already theirs
        tier = for_spend(program, spend)
    upcoming = next_tier(program, tier)
    return {
        "code": tier.code if tier else None,
        "name": tier.name if tier else None,
        "multiplier": tier.multiplier if tier else 100,
        "perks": tier.perks if tier else "",
        "qualifying_spend": spend,
        "next_code": upcoming.code if upcoming else None,
        "next_name": upcoming.name if upcoming else None,
        "next_multiplier": upcoming.multiplier if upcoming else None,
        "next_perks": upcoming.perks if upcoming else "",
        "spend_to_next": max(0, upcoming.min_spend - spend) if upcoming else None,
        "names": plain(tier.names) if tier else {},
        "perks_i18n": plain(tier.perks_i18n) if tier else {},
        "next_names": plain(upcoming.names) if upcoming else {},
        "next_perks_i18n": plain(upcoming.perks_i18n) if upcoming else {},
    }


def account_tier_out(program: Program, account: LoyaltyAccount | None) -> TierOut:
    if account is None:
        return tier_out(program, 0, None)
    return tier_out(program, account.qualifying_spend, account.tier_code)


def history(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> Sequence[TierChange]:
    q = select(TierChange).where(
        TierChange.merchant_id == ctx.merchant_id, TierChange.customer_id == customer_id
    )
    return session.scalars(q.order_by(TierChange.at, TierChange.id)).all()


# --- from the account row: refunds and the daily job -------------------------------------------


def apply(
    session: Session,
    ctx: Ctx,
    account: LoyaltyAccount,
    program: Program,
    spend: int,
    reason: str,
) -> TierMove | None:
    """`after` on a locked account row, the change kept in the tier history."""
    before = TierState(account.tier_code, account.tier_since, account.below_tier_since)
    state, move = after(program, before, spend, clock.now(), reason)
    account.qualifying_spend = spend
    account.tier_code, account.tier_since, account.below_tier_since = (
        state.code,
        state.since,
        state.below_since,
    )
    if move is not None:
        session.add(
            TierChange(
                merchant_id=ctx.merchant_id,
                customer_id=account.customer_id,
                from_tier=move.from_tier,
                to_tier=move.to_tier,
                reason=move.reason,
                at=state.since,
            )
        )
    session.flush()
    return move


def accounts(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    """Every customer with a points account: who the daily job looks at."""
    q = select(LoyaltyAccount.customer_id).where(LoyaltyAccount.merchant_id == ctx.merchant_id)
    return list(session.scalars(q.order_by(LoyaltyAccount.customer_id)))


def recompute_one(session: Session, ctx: Ctx, customer_id: uuid.UUID, *, spend: SpendSince) -> int:
    """The daily `tiers.recompute` job for one customer, in a transaction of its own: rolling
    windows move without any sale, so tiers fall (after the grace period) or rise. 1 when the
    tier changed."""
    from regulars.loyalty import service  # the program's versions; service shows tiers by us

    program = service.current_program(session, ctx)[1]
    account = ledger.lock_account(session, ctx, customer_id)
    qualifying = spend(session, ctx, customer_id, window_start(program, clock.now()))
    return int(apply(session, ctx, account, program, qualifying, "daily recompute") is not None)
