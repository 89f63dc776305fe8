"""Loyalty's side of a sale: the one entry point checkout calls (quote, commit, refund).

Checkout hands over the sale's facts (the customer found, the priced lines, what was paid, the
customer's spend and whether they bought before) and gets typed answers back: the `Member` it
reads, the `Outcome` it works out in memory (points, tier, stamps), the `Settlement` it writes.
No module outside loyalty/ names loyalty's tables.

Read: the customer with their points account, in one statement (a quote reads the program
version and checkout's facts in the same statement, `quote_member`). On commit the account row
is locked (FOR UPDATE on PostgreSQL; on SQLite BEGIN IMMEDIATE already holds the one write
lock). Every writer of an account's balance, tier or stamps takes that lock first (lock order:
the account, then vouchers), so what a sale works out from the row still holds when it writes. A
customer's first sale creates the account row, then takes the same lock.

Write: the ledger's two definitions (loyalty/ledger.py: the guarded account update and the entry
rows), run as two statements (`settle`) or, on PostgreSQL, as CTEs of checkout's one statement
(`ledger.sale_ctes`); then the stamp rows that moved and the tier change (`record_moves`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from regulars.customers.models import Customer
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound
from regulars.kit.ids import new_id
from regulars.kit.sql import Prebuilt
from regulars.loyalty import ledger, rewards, rules, tiers
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import LoyaltyAccount, ProgramVersion, StampProgress, TierChange
from regulars.loyalty.program import Program
from regulars.loyalty.tiers import TierMove, TierState

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
    tier: TierState


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
            return Member(cid, birthday, locale, 0, TierState())
    if row is None:
        raise NotFound("customer not found")
    cid, birthday, locale, balance, code, since, below = row
    return Member(cid, birthday, locale, balance, TierState(code, since, below))


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


# --- the quote's one read ----------------------------------------------------------------------

# The program version in force, for a statement that reads the sale's facts (checkout/reads.py).
CURRENT_VERSION = (
    select(func.max(ProgramVersion.version))
    .where(ProgramVersion.merchant_id == _param("merchant_id", ProgramVersion.merchant_id))
    .scalar_subquery()
)


def quote_member_statement(
    column: str, facts: Callable[[Any, Any], Sequence[ColumnElement[Any]]]
) -> Prebuilt:
    """A quote's one statement: the customer found by `column`, their account (a customer
    without one yet reads as an empty one), the program version, and the columns `facts(merchant
    id, customer id)` that checkout adds about the customer's sales. Locks nothing."""
    q = (
        select(
            _C.id,
            _C.birthday,
            _C.locale,
            func.coalesce(_A.balance, 0),
            _A.tier_code,
            _A.tier_since,
            _A.below_tier_since,
            CURRENT_VERSION,
            *facts(_C.merchant_id, _C.id),
        )
        .select_from(_C)
        .outerjoin(_A, and_(_A.merchant_id == _C.merchant_id, _A.customer_id == _C.id))
        .where(*live(KEYS[column]))
    )
    return Prebuilt(q)


def quote_member(
    statement: Prebuilt, session: Session, ctx: Ctx, key: Any, **values: Any
) -> tuple[Member, int, tuple[Any, ...]] | None:
    """(the member, the program version in force, checkout's facts) read by a statement from
    `quote_member_statement`; None when there is no such live customer."""
    row = statement.first(session, merchant_id=ctx.merchant_id, key=key, **values)
    if row is None:
        return None
    cid, birthday, locale, balance, code, since, below, version = row[:8]
    member = Member(cid, birthday, locale, balance, TierState(code, since, below))
    return member, int(version or 0), tuple(row[8:])


# --- working the sale out ------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleFacts:
    """What checkout knows of the customer's sales before this one."""

    spend: int  # qualifying spend over the tier window
    bought_before: bool


@dataclass(frozen=True)
class Outcome:
    """What a sale does to the member's loyalty, worked out before anything is written."""

    earned: rules.Earned
    entries: list[ledger.Entry]
    spend: int
    tier: TierState
    move: TierMove | None
    stamps: list[StampMove]


def work_out(
    program: Program,
    member: Member,
    facts: SaleFacts,
    lines: Sequence[rules.Line],
    paid: int,
    redeem_points: int,
    stamps_have: dict[str, int],
    now: datetime,
    timezone: str,
    multipliers: Sequence[tuple[str, int]] = (),
) -> Outcome:
    """Points earned and paid, the new tier and the stamps of a sale, in memory (pure rules).
    `multipliers`: (rule, percent) the sale adds to the program's own (the customer's clubs)."""
    earned = rules.earn_points(
        program,
        lines,
        rules.Facts(
            today=clock.today(timezone),
            birthday=member.birthday,
            first_purchase=bool(program.bonuses.first_purchase_points) and not facts.bought_before,
            tier=tiers.by_code(program, member.tier.code),
        ),
        paid=paid,
        extra=multipliers,
    )
    entries = []
    if redeem_points:
        entries.append(ledger.Entry(-redeem_points, "payment", ledger.SALE_PAYMENT))
    expires_at = loyalty.entry_expiry(program, now)
    for rule, points in earned.breakdown:
        kind = "earn" if rule == "base" else "bonus"
        entries.append(ledger.Entry(points, kind, rule, expires_at))
    spend = facts.spend + paid
    tier, move = tiers.after(program, member.tier, spend, now, "sale")
    stamps = stamp_moves(program, stamps_have, lines)
    return Outcome(earned, entries, spend, tier, move, stamps)


def shown(program: Program, outcome: Outcome) -> tuple[list[loyalty.StampOut], tiers.TierOut]:
    """The stamp cards and the tier as a sale's answer shows them."""
    moves = {m.card: m for m in outcome.stamps}
    stamps = [
        loyalty.stamp_out(card, moves[card.code].stamps, moves[card.code].completed_now)
        for card in program.stamp_cards
    ]
    return stamps, tiers.tier_out(program, outcome.spend, outcome.tier.code)


def balance_after(member: Member, outcome: Outcome) -> int:
    return member.balance + sum(e.points for e in outcome.entries)


# --- writing the sale ----------------------------------------------------------------------------

_TIER_CHANGE = Prebuilt(insert(TierChange))


@dataclass(frozen=True)
class Settlement:
    """What a sale writes to the ledger: the account's move and the entry rows."""

    move: ledger.Move
    rows: list[ledger.EntryRow]

    def values(self) -> dict[str, Any]:
        """For checkout's one statement on PostgreSQL (`ledger.sale_ctes`)."""
        return self.move.values() | ledger.entry_arrays(self.rows) | {"member": True}


# The same values for an anonymous sale: the account update matches no row.
ANONYMOUS = dict.fromkeys(
    ("customer_id", "debit", "delta", "earned", "now", "spend", "tier_code", "tier_since",
     "below_tier_since"),
) | {"member": False} | {f"entry_{name}": [] for name in ledger.ENTRY_COLUMNS}  # fmt: skip


def settlement(
    ctx: Ctx, member: Member, outcome: Outcome, purchase_id: uuid.UUID, now: datetime
) -> Settlement:
    cid = member.customer_id
    move = ledger.move_of(ctx, cid, outcome.entries, now, spend=outcome.spend, tier=outcome.tier)
    rows = ledger.entry_rows(ctx, cid, outcome.entries, now, purchase_id=purchase_id)
    return Settlement(move, rows)


def insufficient(settle: Settlement) -> ledger.InsufficientPoints:
    return ledger.InsufficientPoints(f"the balance does not cover {settle.move.debit} points")


def settle(session: Session, settle: Settlement) -> bool:
    """The ledger write of a sale as two statements (SQLite's path); False, and nothing
    written, when the balance does not cover the debit. The caller holds the account lock
    (`member(lock=True)`)."""
    return ledger.write(session, settle.move, settle.rows) is not None


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


# --- refunds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reversal:
    """A refund's facts, from checkout: the sale, the share of its points to take back and to
    give back (already worked out in proportion to the goods refunded), the lines refunded."""

    customer_id: uuid.UUID
    purchase_id: uuid.UUID
    program_version: int
    points_reversed: int  # of those the sale earned
    points_returned: int  # of those the sale was paid with
    lines: list[rules.Line]


def reverse(session: Session, ctx: Ctx, refund: Reversal, spend: tiers.SpendSince) -> int:
    """Undo a refund's share of a sale's loyalty: points paid come back, points earned go
    (possibly into debt, which future earnings repay), the refunded items' stamps go, and the
    tier is recomputed on the spend that is left. The new balance."""
    cid = refund.customer_id
    account = ledger.lock_account(session, ctx, cid)
    balance = account.balance
    if refund.points_returned:
        balance = ledger.post(
            session, ctx, cid, refund.points_returned, "refund", ledger.REFUND_PAYMENT,
            purchase_id=refund.purchase_id,
        ).balance  # fmt: skip
    if refund.points_reversed:
        balance = ledger.post(
            session, ctx, cid, -refund.points_reversed, "refund", ledger.REFUND_EARNED,
            purchase_id=refund.purchase_id,
            expires_at=loyalty.earn_expiry_of(session, ctx, refund.purchase_id),
            allow_debt=True,
        ).balance  # fmt: skip
    program = loyalty.program_version(session, ctx, refund.program_version)
    loyalty.remove_stamps(session, ctx, cid, program, refund.lines)
    current = loyalty.current_program(session, ctx)[1]
    session.refresh(account)  # the posts moved the balance by statement
    qualifying = spend(session, ctx, cid, tiers.window_start(current, clock.now()))
    tiers.apply(session, ctx, account, current, qualifying, "refund")
    return balance
