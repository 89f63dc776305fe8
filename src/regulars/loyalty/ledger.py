"""The points ledger. Entries are only ever appended; the account balance moves in the same
transaction, by a single conditional UPDATE, so concurrent debits can never overdraw:

    UPDATE loyalty_accounts SET balance = balance + :delta, ...
    WHERE ... AND (:debit = 0 OR balance >= :debit) RETURNING balance

Every writer of points goes through the two definitions here, `account_update` and `entry_rows`:
a sale (loyalty/sale.py; on PostgreSQL as part of checkout's one statement, `sale_ctes`), a
refund, an adjustment, a redemption, an expiry. A new column of `points_entries` is added to the
model and to `entry_rows`, and both engines' statements follow (tests/loyalty/test_ledger_rows.py
holds `entry_rows` to the table).

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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict

from sqlalchemy import Boolean, bindparam, column, func, insert, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.selectable import CTE

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict
from regulars.kit.ids import new_id
from regulars.kit.sql import Prebuilt, insert_ignore
from regulars.loyalty.models import LoyaltyAccount, PointsEntry

if TYPE_CHECKING:
    from regulars.loyalty.tiers import TierState

EARNING_KINDS = ("earn", "bonus")
# Reasons are stable codes, translated where they are shown (docs/loyalty.md lists them); earning
# entries carry the rule (base, birthday_month, first_purchase, tier:<code>, double_points:<name>);
# an adjustment's reason is the manager's own words.
SALE_PAYMENT = "sale_payment"
REFUND_PAYMENT = "refund_payment"
REFUND_EARNED = "refund_earned"
EXPIRY = "expiry"
REASON_LENGTH = 200


def reward_reason(name: str) -> str:
    return f"reward:{name}"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_A, _E = LoyaltyAccount, PointsEntry


class InsufficientPoints(Conflict):
    slug, title = "insufficient-points", "Not enough points"


@dataclass(frozen=True)
class Entry:
    """One ledger entry to append: signed points, kind, reason (a code, or a manager's words)."""

    points: int
    kind: str
    reason: str
    expires_at: datetime | None = None


class EntryRow(TypedDict):
    """Every column of a `points_entries` row."""

    merchant_id: uuid.UUID
    id: uuid.UUID
    customer_id: uuid.UUID
    points: int
    kind: str
    reason: str
    purchase_id: uuid.UUID | None
    voucher_id: uuid.UUID | None
    expires_at: datetime | None
    created_at: datetime
    actor_type: str
    actor_id: uuid.UUID | None


@dataclass(frozen=True)
class Posted:
    entry: EntryRow
    balance: int


def _param(name: str, column_: Any) -> Any:
    """A bind typed like `column_`, so the column type's own processing applies."""
    return bindparam(name, type_=column_.type)


# --- the two definitions ------------------------------------------------------------------------


def entry_rows(
    ctx: Ctx,
    customer_id: uuid.UUID,
    entries: Sequence[Entry],
    now: datetime,
    *,
    purchase_id: uuid.UUID | None = None,
    voucher_id: uuid.UUID | None = None,
) -> list[EntryRow]:
    """Every column of each entry's row, for either engine's statement."""
    actor = ctx.actor
    return [
        {
            "merchant_id": ctx.merchant_id,
            "id": new_id(),
            "customer_id": customer_id,
            "points": e.points,
            "kind": e.kind,
            "reason": e.reason[:REASON_LENGTH],
            "purchase_id": purchase_id,
            "voucher_id": voucher_id,
            "expires_at": e.expires_at,
            "created_at": now,
            "actor_type": actor.kind,
            "actor_id": actor.id,
        }
        for e in entries
    ]


@dataclass(frozen=True)
class Move:
    """What a set of entries does to the account row. `debit` is what the balance must cover (0
    lets a refund's clawback run into debt); a sale also sets its spend and tier."""

    merchant_id: uuid.UUID
    customer_id: uuid.UUID
    debit: int
    delta: int
    earned: int
    now: datetime
    spend: int | None = None
    tier: TierState | None = None

    def values(self) -> dict[str, Any]:
        values = {
            "merchant_id": self.merchant_id,
            "customer_id": self.customer_id,
            "debit": self.debit,
            "delta": self.delta,
            "earned": self.earned,
            "now": self.now,
        }
        if self.tier is not None:
            values |= {
                "spend": self.spend,
                "tier_code": self.tier.code,
                "tier_since": self.tier.since,
                "below_tier_since": self.tier.below_since,
            }
        return values


def move_of(
    ctx: Ctx,
    customer_id: uuid.UUID,
    entries: Sequence[Entry],
    now: datetime,
    *,
    allow_debt: bool = False,
    spend: int | None = None,
    tier: TierState | None = None,
) -> Move:
    debit = 0 if allow_debt else -sum(e.points for e in entries if e.points < 0)
    delta = sum(e.points for e in entries)
    earned = sum(e.points for e in entries if e.points > 0 and e.kind in EARNING_KINDS)
    return Move(ctx.merchant_id, customer_id, debit, delta, earned, now, spend, tier)


def account_update(sale: bool) -> Update:
    """The account row moved by a set of entries, guarded so that debits never overdraw; a sale
    that takes no points may land on a refund's debt. `sale`: spend and tier are set too."""
    stmt = (
        update(_A)
        .where(
            _A.merchant_id == _param("merchant_id", _A.merchant_id),
            _A.customer_id == _param("customer_id", _A.customer_id),
            or_(_param("debit", _A.balance) == 0, _A.balance >= _param("debit", _A.balance)),
        )
        .values(
            balance=_A.balance + _param("delta", _A.balance),
            lifetime_earned=_A.lifetime_earned + _param("earned", _A.lifetime_earned),
            updated_at=_param("now", _A.updated_at),
        )
    )
    if sale:
        stmt = stmt.values(
            qualifying_spend=_param("spend", _A.qualifying_spend),
            tier_code=_param("tier_code", _A.tier_code),
            tier_since=_param("tier_since", _A.tier_since),
            below_tier_since=_param("below_tier_since", _A.below_tier_since),
        )
    return stmt


_MOVE = {sale: Prebuilt(account_update(sale).returning(_A.balance)) for sale in (False, True)}
_INSERT_ENTRIES = Prebuilt(insert(_E))
ENTRY_COLUMNS = tuple(c.name for c in _E.__table__.columns)


def write(session: Session, move: Move, rows: Sequence[EntryRow]) -> int | None:
    """The account update, then the entries: the new balance, or None (and nothing written)
    when the balance does not cover the debit. The caller holds the account lock or relies on
    the guard alone (one UPDATE is atomic)."""
    balance = _MOVE[move.tier is not None].scalar(session, **move.values())
    if balance is None:
        return None
    _INSERT_ENTRIES.many(session, rows)
    return int(balance)


def sale_ctes(gate: CTE) -> tuple[CTE, CTE]:
    """PostgreSQL: `write` for a sale as two data-modifying CTEs of checkout's one statement,
    which run only when `gate` (the sale's insert) returned a row and `:member` is true. The
    entries come as one array per column (`entry_arrays`)."""
    settle = (
        account_update(sale=True)
        .where(bindparam("member", type_=Boolean), select(literal(1)).select_from(gate).exists())
        .returning(literal(1).label("settled"))
        .cte("settle")
    )
    columns = list(_E.__table__.columns)
    arrays = func.unnest(
        *(bindparam(f"entry_{c.name}", type_=postgresql.ARRAY(c.type)) for c in columns)
    ).table_valued(*(column(c.name, c.type) for c in columns))
    entry = arrays.render_derived(name="entry")
    rows = select(*(entry.c[c.name] for c in columns)).select_from(settle).join(entry, true())
    entries = insert(_E).from_select(ENTRY_COLUMNS, rows).cte("entries")
    return settle, entries


def entry_arrays(rows: Sequence[EntryRow]) -> dict[str, list[Any]]:
    return {f"entry_{name}": [row[name] for row in rows] for name in ENTRY_COLUMNS}  # type: ignore[literal-required]


# --- accounts ---------------------------------------------------------------------------------


def ensure_account(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> bool:
    """Create the customer's account row if missing; True when this call created it."""
    return insert_ignore(
        session,
        _A.__table__,  # type: ignore[arg-type]
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
        select(_A)
        .where(_A.merchant_id == ctx.merchant_id, _A.customer_id == customer_id)
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
    now = clock.now()
    entries = [Entry(points, kind, reason, expires_at)]
    move = move_of(ctx, customer_id, entries, now, allow_debt=allow_debt)
    rows = entry_rows(
        ctx, customer_id, entries, now, purchase_id=purchase_id, voucher_id=voucher_id
    )
    session.flush()  # ORM changes before the statements (they go straight to the connection)
    balance = write(session, move, rows)
    if balance is None and ensure_account(session, ctx, customer_id):
        balance = write(session, move, rows)  # first entry of this customer
    if balance is None:
        raise InsufficientPoints(f"the balance does not cover {-points} points")
    return Posted(rows[0], balance)


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


def customers_with_points_expiring(
    session: Session, ctx: Ctx, start: datetime, end: datetime
) -> list[uuid.UUID]:
    """Who earned points whose expiry falls in (start, end] (the points-expiring reminder; the
    lots may have been spent since, which `expiring_soon` tells)."""
    q = (
        select(PointsEntry.customer_id)
        .where(
            PointsEntry.merchant_id == ctx.merchant_id,
            PointsEntry.expires_at > start,
            PointsEntry.expires_at <= end,
            PointsEntry.points > 0,
        )
        .distinct()
    )
    return sorted(session.scalars(q))


def expiring_soon(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, start: datetime, end: datetime
) -> tuple[int, datetime | None]:
    """(unspent points expiring in (start, end], the first of those expiry times)."""
    lots, _debt = open_lots(session, ctx, customer_id)
    due = [lot for lot in lots if lot.expires_at is not None and start < lot.expires_at <= end]
    first = min((lot.expires_at for lot in due if lot.expires_at), default=None)
    return sum(lot.remaining for lot in due), first
