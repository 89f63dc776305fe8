"""Two loyalty records of one person become one (a customer merge, docs/loyalty.md "Merging").

The ledger stays append-only: no entry is changed in what it says, only whose history it is.
The other customer's entries, vouchers and tier changes are re-pointed to the survivor, whose
account is then set to the sums of its entries, so balance = sum(entries) holds for both rows
afterwards (the other's account is left at zero, with no entries). Stamp cards add up, and a card
that becomes full is completed as a sale would complete it.

The caller holds both customers' rows locked; the accounts are locked here in id order, the same
order for any two merges, so two merges of one pair queue instead of deadlocking.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger, rewards, tiers
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import (
    LoyaltyAccount,
    PointsEntry,
    StampProgress,
    TierChange,
    Voucher,
)
from regulars.loyalty.sale import STAMP_VOUCHER_DAYS


@dataclass(frozen=True)
class Merged:
    """What moved, for the audit event: counts only, never personal data."""

    entries: int
    vouchers: int
    stamp_cards_completed: int
    balance: int


_Moved = type[PointsEntry] | type[Voucher] | type[TierChange]


def _repoint(session: Session, ctx: Ctx, table: _Moved, other_id: uuid.UUID, to: uuid.UUID) -> int:
    """Re-point the other's rows; returns how many moved."""
    moved = session.execute(
        update(table)
        .where(table.merchant_id == ctx.merchant_id, table.customer_id == other_id)
        .values(customer_id=to)
        .returning(table.id)
        .execution_options(synchronize_session=False)
    )
    return len(moved.all())


def _combine_stamps(session: Session, ctx: Ctx, survivor_id: uuid.UUID, other_id: uuid.UUID) -> int:
    """Each card's stamps and completions add up; returns the cards completed by adding."""
    program = loyalty.current_program(session, ctx)[1]
    cards = {card.code: card for card in program.stamp_cards}
    q = select(StampProgress).where(
        StampProgress.merchant_id == ctx.merchant_id, StampProgress.customer_id == other_id
    )
    theirs = list(session.scalars(q.with_for_update()))
    now = clock.now()
    completed = 0
    for row in theirs:
        mine = loyalty.lock_stamps(session, ctx, survivor_id, row.card_code)
        stamps, done = mine.stamps + row.stamps, 0
        card = cards.get(row.card_code)
        if card is not None:  # a card no longer offered keeps its count, nothing more
            done, stamps = divmod(stamps, card.stamps_required)
            for _ in range(done):
                rewards.issue_voucher(
                    session,
                    ctx,
                    survivor_id,
                    reward_id=None,
                    source="stamp_card",
                    name=card.reward_name,
                    kind="free_item",
                    sku=card.reward_sku,
                    issued_at=now,
                    expires_at=now + timedelta(days=STAMP_VOUCHER_DAYS),
                    purchase_id=None,
                )
        mine.stamps, mine.completed = stamps, mine.completed + row.completed + done
        mine.updated_at = now
        completed += done
    session.execute(
        delete(StampProgress).where(
            StampProgress.merchant_id == ctx.merchant_id, StampProgress.customer_id == other_id
        )
    )
    session.flush()
    return completed


def _resum(session: Session, ctx: Ctx, account: LoyaltyAccount) -> None:
    """The account's balance and lifetime earnings, from its entries."""
    e = PointsEntry
    earned = case((e.kind.in_(ledger.EARNING_KINDS) & (e.points > 0), e.points), else_=0)
    balance, lifetime = session.execute(
        select(func.coalesce(func.sum(e.points), 0), func.coalesce(func.sum(earned), 0)).where(
            e.merchant_id == ctx.merchant_id, e.customer_id == account.customer_id
        )
    ).one()
    account.balance, account.lifetime_earned = int(balance), int(lifetime)
    account.updated_at = clock.now()


def merge_into(
    session: Session,
    ctx: Ctx,
    survivor_id: uuid.UUID,
    other_id: uuid.UUID,
    *,
    spend: tiers.SpendSince,
) -> Merged:
    """Move the other customer's points history, vouchers, stamps and tier history to the
    survivor. `spend` is checkout's qualifying spend: the caller has moved the other's sales
    to the survivor first, so the survivor's tier is worked out from the combined sales."""
    locked = {
        cid: ledger.lock_account(session, ctx, cid) for cid in sorted((survivor_id, other_id))
    }
    survivor, other = locked[survivor_id], locked[other_id]
    entries = _repoint(session, ctx, PointsEntry, other_id, survivor_id)
    vouchers = _repoint(session, ctx, Voucher, other_id, survivor_id)
    _repoint(session, ctx, TierChange, other_id, survivor_id)
    completed = _combine_stamps(session, ctx, survivor_id, other_id)
    _resum(session, ctx, survivor)
    _resum(session, ctx, other)
    other.tier_code = other.tier_since = other.below_tier_since = None
    other.qualifying_spend = 0
    program = loyalty.current_program(session, ctx)[1]
    combined = spend(session, ctx, survivor_id, tiers.window_start(program, clock.now()))
    tiers.apply(session, ctx, survivor, program, combined, "merge")
    session.flush()
    return Merged(entries, vouchers, completed, survivor.balance)
