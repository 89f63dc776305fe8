"""The loyalty side of one sale, on the hot path (quote and commit), in prebuilt statements.

Read: the customer with their points account, in one statement. On commit the account row is
locked (FOR UPDATE on PostgreSQL; on SQLite BEGIN IMMEDIATE already holds the one write lock).
Every writer of an account's balance, tier or stamps takes that lock first (lock order: the
account, then vouchers), so what a sale works out from the row (balance, tier, stamps) still
holds when it writes. A customer's first sale creates the account row, then takes the same lock.

Write: one UPDATE of the account (balance, lifetime earned, qualifying spend, tier) guarded so
that debits never overdraw; one INSERT of the sale's ledger entries; the stamp rows that moved;
the tier change, if any. The balance so moves in the same transaction as its entries
(DESIGN.md invariant 3).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, insert, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from regulars.customers.models import Customer
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound
from regulars.kit.ids import new_id
from regulars.kit.sql import Prebuilt
from regulars.loyalty import ledger, rewards, rules
from regulars.loyalty.models import LoyaltyAccount, PointsEntry, StampProgress, TierChange
from regulars.loyalty.program import Program

STAMP_VOUCHER_DAYS = 90


def _param(name: str, column: Any) -> Any:
    """A bind typed like `column`, so the column type's own processing applies."""
    return bindparam(name, type_=column.type)


@dataclass(frozen=True)
class Member:
    customer_id: uuid.UUID
    birthday: date | None
    locale: str | None
    balance: int
    tier: rules.TierState


_A, _C = LoyaltyAccount, Customer


_MEMBER_COLUMNS = (
    _C.id,
    _C.birthday,
    _C.locale,
    _A.balance,
    _A.tier_code,
    _A.tier_since,
    _A.below_tier_since,
)
# The columns a till finds a customer by, and the conditions of a live one (checkout reads by
# them too).
KEYS: dict[str, ColumnElement[Any]] = {
    "id": _C.__table__.c.id,
    "phone": _C.__table__.c.phone,
    "member_code": _C.__table__.c.member_code,
}


def live(column: ColumnElement[Any]) -> tuple[ColumnElement[bool], ...]:
    return (
        _C.merchant_id == _param("merchant_id", _C.merchant_id),
        column == _param("key", column),
        _C.erased_at.is_(None),
    )


def _member_by(column: ColumnElement[Any], lock: bool) -> Prebuilt:
    q = (
        select(*_MEMBER_COLUMNS)
        .join(_A, and_(_A.merchant_id == _C.merchant_id, _A.customer_id == _C.id))
        .where(*live(column))
    )
    return Prebuilt(q.with_for_update(of=_A) if lock else q)


def _open_account_by(column: ColumnElement[Any]) -> Prebuilt:
    """The account row of the customer found by `column`, created if missing: a first sale."""

    def build(dialect: str) -> Any:
        module = postgresql if dialect == "postgresql" else sqlite
        found = select(
            _C.merchant_id,
            _C.id,
            literal(0, BigInteger),
            literal(0, BigInteger),
            literal(0, BigInteger),
            _param("now", _A.updated_at),
        ).where(*live(column))
        names = ["merchant_id", "customer_id", "balance", "lifetime_earned", "qualifying_spend"]
        return module.insert(_A).from_select([*names, "updated_at"], found).on_conflict_do_nothing()

    return Prebuilt(build)


_MEMBER = {(name, lock): _member_by(c, lock) for name, c in KEYS.items() for lock in (False, True)}
_OPEN_ACCOUNT = {name: _open_account_by(c) for name, c in KEYS.items()}
_CUSTOMER = {
    name: Prebuilt(select(_C.id, _C.birthday, _C.locale).where(*live(c)))
    for name, c in KEYS.items()
}


def member(session: Session, ctx: Ctx, column: str, key: Any, lock: bool) -> Member:
    """The customer found by `column` ("id", "phone" or "member_code") with their account;
    NotFound when there is no such live customer. `lock`: for a sale that will write."""
    stmt = _MEMBER[column, lock]
    row = stmt.first(session, merchant_id=ctx.merchant_id, key=key)
    if row is None and lock:  # the customer's first entry: open the account, then lock it
        _OPEN_ACCOUNT[column].run(session, merchant_id=ctx.merchant_id, key=key, now=clock.now())
        row = stmt.first(session, merchant_id=ctx.merchant_id, key=key)
    elif row is None:  # a quote for a customer without an account yet: an empty one
        found = _CUSTOMER[column].first(session, merchant_id=ctx.merchant_id, key=key)
        if found is not None:
            cid, birthday, locale = found
            return Member(cid, birthday, locale, 0, rules.TierState())
    if row is None:
        raise NotFound("customer not found")
    cid, birthday, locale, balance, code, since, below = row
    return Member(cid, birthday, locale, balance, rules.TierState(code, since, below))


# --- stamps ------------------------------------------------------------------------------------

_S = StampProgress
_STAMPS_Q = select(_S.card_code, _S.stamps).where(
    _S.merchant_id == _param("merchant_id", _S.merchant_id),
    _S.customer_id == _param("customer_id", _S.customer_id),
)
_STAMPS = {False: Prebuilt(_STAMPS_Q), True: Prebuilt(_STAMPS_Q.with_for_update())}
_STAMP_KEY = and_(
    _S.merchant_id == _param("merchant_id", _S.merchant_id),
    _S.customer_id == _param("customer_id", _S.customer_id),
    _S.card_code == _param("card_code", _S.card_code),
)
_STAMP_UPDATE = Prebuilt(
    update(_S)
    .where(_STAMP_KEY)
    .values(
        stamps=_param("stamps", _S.stamps),
        completed=_S.completed + _param("done", _S.completed),
        updated_at=_param("now", _S.updated_at),
    )
)
_STAMP_INSERT = Prebuilt(insert(_S))


@dataclass(frozen=True)
class StampMove:
    card: str
    before: int | None  # None: the customer has no row for this card yet
    stamps: int
    completed_now: int


def stamp_moves(
    program: Program, have: dict[str, int], lines: Sequence[rules.Line]
) -> list[StampMove]:
    """One stamp per eligible unit; every full card is completed (and starts again)."""
    moves = []
    for card in program.stamp_cards:
        before = have.get(card.code)
        done, left = divmod((before or 0) + rules.stamp_quantity(card, lines), card.stamps_required)
        moves.append(StampMove(card.code, before, left, done))
    return moves


def stamps_held(session: Session, ctx: Ctx, customer_id: uuid.UUID, lock: bool) -> dict[str, int]:
    rows = _STAMPS[lock].all(session, merchant_id=ctx.merchant_id, customer_id=customer_id)
    return {code: stamps for code, stamps in rows}


# --- writing the sale --------------------------------------------------------------------------

_SETTLE = Prebuilt(
    update(_A)
    .where(
        _A.merchant_id == _param("merchant_id", _A.merchant_id),
        _A.customer_id == _param("customer_id", _A.customer_id),
        # Debits never overdraw; a sale that takes no points may land on a refund's debt.
        or_(_param("debit", _A.balance) == 0, _A.balance >= _param("debit", _A.balance)),
    )
    .values(
        balance=_A.balance + _param("delta", _A.balance),
        lifetime_earned=_A.lifetime_earned + _param("earned", _A.lifetime_earned),
        qualifying_spend=_param("spend", _A.qualifying_spend),
        tier_code=_param("tier_code", _A.tier_code),
        tier_since=_param("tier_since", _A.tier_since),
        below_tier_since=_param("below_tier_since", _A.below_tier_since),
        updated_at=_param("now", _A.updated_at),
    )
)
_ENTRIES = Prebuilt(insert(PointsEntry))
_TIER_CHANGE = Prebuilt(insert(TierChange))


@dataclass(frozen=True)
class Entry:
    points: int
    kind: str
    reason: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What a sale does to the member's loyalty, worked out before anything is written."""

    entries: list[Entry]
    spend: int
    tier: rules.TierState
    move: rules.TierMove | None
    stamps: list[StampMove]


def settlement(
    ctx: Ctx, member: Member, outcome: Outcome, purchase_id: uuid.UUID, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What a sale writes to the ledger: the account update's values (guarded so that debits
    never overdraw) and the entry rows, for `settle` or for checkout's one-statement write on
    PostgreSQL (checkout/sale_rows.py)."""
    mid, cid = ctx.merchant_id, member.customer_id
    entries = outcome.entries
    tier = outcome.tier
    settle = {
        "merchant_id": mid,
        "customer_id": cid,
        "debit": -sum(e.points for e in entries if e.points < 0),
        "delta": sum(e.points for e in entries),
        "earned": sum(e.points for e in entries if e.points > 0 and e.kind in ledger.EARNING_KINDS),
        "spend": outcome.spend,
        "tier_code": tier.code,
        "tier_since": tier.since,
        "below_tier_since": tier.below_since,
        "now": now,
    }
    actor = ctx.actor
    rows = [
        {
            "merchant_id": mid,
            "id": new_id(),
            "customer_id": cid,
            "points": e.points,
            "kind": e.kind,
            "reason": e.reason[:200],
            "purchase_id": purchase_id,
            "voucher_id": None,
            "expires_at": e.expires_at,
            "created_at": now,
            "actor_type": actor.kind,
            "actor_id": actor.id,
        }
        for e in entries
    ]
    return settle, rows


def insufficient(settle: dict[str, Any]) -> ledger.InsufficientPoints:
    return ledger.InsufficientPoints(f"the balance does not cover {settle['debit']} points")


def settle(session: Session, settle: dict[str, Any], rows: list[dict[str, Any]]) -> bool:
    """The account update and the entries of `settlement`, one statement each (SQLite's path);
    False, and nothing written, when the balance does not cover the debit. The caller holds the
    account lock (`member(lock=True)`)."""
    if _SETTLE.run(session, **settle) != 1:
        return False
    _ENTRIES.many(session, rows)
    return True


def record_moves(
    session: Session, ctx: Ctx, member: Member, program: Program, outcome: Outcome, now: datetime
) -> None:
    """The tier change and the stamp cards a sale moved, after its ledger rows are written."""
    if outcome.move is not None:
        move = outcome.move
        _TIER_CHANGE.run(
            session,
            merchant_id=ctx.merchant_id,
            id=new_id(),
            customer_id=member.customer_id,
            from_tier=move.from_tier,
            to_tier=move.to_tier,
            reason=move.reason,
            at=now,
        )
    _record_stamps(session, ctx, member.customer_id, program, outcome.stamps, now)


def _record_stamps(
    session: Session,
    ctx: Ctx,
    customer_id: uuid.UUID,
    program: Program,
    moves: list[StampMove],
    now: datetime,
) -> None:
    cards = {card.code: card for card in program.stamp_cards}
    for move in moves:
        if (move.before or 0) == move.stamps and not move.completed_now:
            continue  # no eligible item in this sale
        key = {"merchant_id": ctx.merchant_id, "customer_id": customer_id, "card_code": move.card}
        if move.before is None:
            _STAMP_INSERT.run(
                session, **key, stamps=move.stamps, completed=move.completed_now, updated_at=now
            )
        else:
            _STAMP_UPDATE.run(session, **key, stamps=move.stamps, done=move.completed_now, now=now)
        card = cards[move.card]
        for _ in range(move.completed_now):
            rewards.issue_voucher(
                session,
                ctx,
                customer_id,
                reward_id=None,
                source="stamp_card",
                name=card.reward_name,
                kind="free_item",
                sku=card.reward_sku,
                issued_at=now,
                expires_at=now + timedelta(days=STAMP_VOUCHER_DAYS),
                purchase_id=None,
            )
