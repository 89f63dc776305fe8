"""The points ledger. Entries are only ever appended; the account balance moves in the same
transaction, by a single conditional UPDATE, so concurrent debits can never overdraw:

    UPDATE loyalty_accounts SET balance = balance + :delta
    WHERE ... AND balance + :delta >= 0 RETURNING balance

Under PostgreSQL's READ COMMITTED the second of two racing updates re-checks the WHERE against
the committed row; on SQLite writers are serialised by BEGIN IMMEDIATE.

Expiry is first-in, first-out by expiry date. Which points are still unspent is derived from the
entries themselves by replaying them in order (`open_lots`): each credit opens a lot with its
expiry date (repaying any debt first); each debit consumes the open lots that exist at that
moment, soonest-expiring first; a refund's reversal takes from the lot of the sale it reverses.
An `expire` entry is a debit like any other, so replaying never expires a point twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict
from regulars.kit.sql import insert_ignore
from regulars.loyalty.models import LoyaltyAccount, PointsEntry

EARNING_KINDS = ("earn", "bonus")
# Reasons are stable codes, translated where they are shown (docs/loyalty.md lists them); earning
# entries carry the rule (base, birthday_month, first_purchase, tier:<code>, double_points:<name>);
# an adjustment's reason is the manager's own words.
SALE_PAYMENT = "sale_payment"
REFUND_PAYMENT = "refund_payment"
REFUND_EARNED = "refund_earned"
EXPIRY = "expiry"


def reward_reason(name: str) -> str:
    return f"reward:{name}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InsufficientPoints(Conflict):
    slug, title = "insufficient-points", "Not enough points"


@dataclass(frozen=True)
class Posted:
    entry: PointsEntry
    balance: int


def ensure_account(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> bool:
    """Create the customer's account row if missing; True when this call created it."""
    return insert_ignore(
        session,
        LoyaltyAccount.__table__,  # type: ignore[arg-type]
        {
            "merchant_id": ctx.merchant_id,
            "customer_id": customer_id,
            "balance": 0,
            "lifetime_earned": 0,
            "updated_at": clock.now(),
        },
    )


def lock_account(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> LoyaltyAccount:
    """The customer's account row, created if missing, locked for the rest of the transaction."""
    ensure_account(session, ctx, customer_id)
    q = (
        select(LoyaltyAccount)
        .where(
            LoyaltyAccount.merchant_id == ctx.merchant_id,
            LoyaltyAccount.customer_id == customer_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(q).one()


def post(
    session: Session,
    ctx: Ctx,
    customer_id: uuid.UUID,
    points: int,
    kind: str,
    reason: str,
    *,
    purchase_id: uuid.UUID | None = None,
    voucher_id: uuid.UUID | None = None,
    expires_at: datetime | None = None,
    allow_debt: bool = False,
) -> Posted:
    """Append one entry and move the balance with it. A debit that would take the balance below
    zero raises InsufficientPoints unless `allow_debt` (refund clawback only)."""
    if points == 0:
        raise ValueError("a ledger entry moves at least one point")
    earned = points if kind in EARNING_KINDS and points > 0 else 0
    stmt = (
        update(LoyaltyAccount)
        .where(
            LoyaltyAccount.merchant_id == ctx.merchant_id,
            LoyaltyAccount.customer_id == customer_id,
        )
        .values(
            balance=LoyaltyAccount.balance + points,
            lifetime_earned=LoyaltyAccount.lifetime_earned + earned,
            updated_at=clock.now(),
        )
        .returning(LoyaltyAccount.balance)
    )
    if points < 0 and not allow_debt:
        stmt = stmt.where(LoyaltyAccount.balance + points >= 0)
    balance = session.execute(stmt).scalar_one_or_none()
    if balance is None and ensure_account(session, ctx, customer_id):
        balance = session.execute(stmt).scalar_one_or_none()  # first entry of this customer
    if balance is None:
        raise InsufficientPoints(f"the balance does not cover {-points} points")
    entry = PointsEntry(
        merchant_id=ctx.merchant_id,
        customer_id=customer_id,
        points=points,
        kind=kind,
        reason=reason[:200],
        purchase_id=purchase_id,
        voucher_id=voucher_id,
        expires_at=expires_at,
        actor_type=ctx.actor.kind,
        actor_id=ctx.actor.id,
    )
    session.add(entry)
    session.flush()
    return Posted(entry, balance)


def balance(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    q = select(LoyaltyAccount.balance).where(
        LoyaltyAccount.merchant_id == ctx.merchant_id, LoyaltyAccount.customer_id == customer_id
    )
    return session.scalar(q) or 0


@dataclass
class Lot:
    expires_at: datetime | None
    remaining: int
    purchase_id: uuid.UUID | None


def open_lots(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> tuple[list[Lot], int]:
    """(lots with points left, debt), from replaying the customer's entries in order."""
    e = PointsEntry
    rows = session.execute(
        select(e.points, e.kind, e.purchase_id, e.expires_at)
        .where(e.merchant_id == ctx.merchant_id, e.customer_id == customer_id)
        .order_by(e.created_at, e.id)
    ).all()
    lots: list[Lot] = []
    debt = 0
    for points, kind, purchase_id, expires_at in rows:
        if points > 0:
            repay = min(debt, points)
            debt -= repay
            if points > repay:
                lots.append(Lot(expires_at, points - repay, purchase_id))
            continue
        owed = -points
        if kind == "refund" and purchase_id is not None:
            owed = _consume([lot for lot in lots if lot.purchase_id == purchase_id], owed)
        debt += _consume(lots, owed)
        lots = [lot for lot in lots if lot.remaining > 0]
    return lots, debt


def _consume(lots: list[Lot], points: int) -> int:
    """Take `points` from `lots`, soonest expiry first (never-expiring last); returns the rest."""
    for lot in sorted(lots, key=lambda lot: (lot.expires_at is None, lot.expires_at or _EPOCH)):
        take = min(points, lot.remaining)
        lot.remaining -= take
        points -= take
        if not points:
            break
    return points


def due_by(session: Session, ctx: Ctx, customer_id: uuid.UUID, at: datetime) -> int:
    """Unspent points whose expiry date is at or before `at`."""
    lots, _debt = open_lots(session, ctx, customer_id)
    return sum(lot.remaining for lot in lots if lot.expires_at is not None and lot.expires_at <= at)


def expire_customer(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    """Write one `expire` entry for whatever is due now; returns the points expired."""
    account = lock_account(session, ctx, customer_id)
    due = min(due_by(session, ctx, customer_id, clock.now()), max(account.balance, 0))
    if due <= 0:
        return 0
    post(session, ctx, customer_id, -due, "expire", EXPIRY)
    return due


def expiring_within(session: Session, ctx: Ctx, customer_id: uuid.UUID, days: int) -> int:
    return due_by(session, ctx, customer_id, clock.now() + timedelta(days=days))


def customers_with_due_points(session: Session, ctx: Ctx, at: datetime) -> list[uuid.UUID]:
    q = (
        select(PointsEntry.customer_id)
        .where(
            PointsEntry.merchant_id == ctx.merchant_id,
            PointsEntry.expires_at <= at,
            PointsEntry.points > 0,
        )
        .distinct()
    )
    return list(session.scalars(q))
