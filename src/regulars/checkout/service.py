"""Quote and commit: the one place a sale is recorded.

Commit is exactly-once per (merchant, store, receipt_id). Inside the one transaction, in order:
1. the member (customer and points account) by id, phone or member code, the account row
   locked (loyalty/sale.py);
2. the facts, read after that lock so that none is stale: the current program version, a
   committed sale with this receipt (replayed with the same body, 409 with another), whether
   the customer bought before (first-purchase bonus), their spend over the tier window;
3. price the basket and work out points, stamps and tier in memory (pure rules), and from them
   the response, stored with the sale for replays;
4. INSERT the sale with ON CONFLICT DO NOTHING: the unique index is the idempotency lock. Two
   commits of one receipt for one customer already queue on the account lock; for an
   anonymous sale the second waits here on PostgreSQL, then replays the first;
5. the lines, the vouchers used (an UPDATE that matches only an unused one), and the loyalty
   outcome: entries, balance, stamps, tier.
Any failure rolls the whole sale back. The statements are prebuilt (kit/sql.py): a sale to a
known customer is 6 statements, the API key check included.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from pydantic_core import to_json
from sqlalchemy import and_, bindparam, exists, func, insert, select
from sqlalchemy.orm import Session

from regulars.checkout import sale_rows
from regulars.checkout.models import Purchase, PurchaseLine
from regulars.checkout.pricing import PricedLine, VoucherSpec, apply_vouchers
from regulars.checkout.receipt import receipt_lines
from regulars.checkout.schemas import CheckoutIn, CustomerRef
from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.kit.ids import new_id
from regulars.kit.sql import Prebuilt, insert_or_skip
from regulars.loyalty import ledger, rewards, rules, sale
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import LoyaltyAccount, ProgramVersion, Voucher
from regulars.loyalty.program import Program, Tier
from regulars.merchants import service as merchants


class ReceiptConflict(Conflict):
    slug, title = "receipt-conflict", "This receipt was committed with a different body"


def request_hash(body: Any) -> str:
    raw = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


# --- reading -----------------------------------------------------------------------------------

_P = Purchase


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


_RECEIPT = (
    _P.merchant_id == _param("merchant_id", _P.merchant_id),
    _P.store_id == _param("store_id", _P.store_id),
    _P.receipt_id == _param("receipt_id", _P.receipt_id),
)
_OF_CUSTOMER = (
    _P.merchant_id == _param("merchant_id", _P.merchant_id),
    _P.customer_id == _param("customer_id", _P.customer_id),
)
_VERSION = (
    select(func.max(ProgramVersion.version))
    .where(ProgramVersion.merchant_id == _param("merchant_id", ProgramVersion.merchant_id))
    .scalar_subquery()
)
_FACTS = Prebuilt(
    select(
        _VERSION,
        select(_P.request_hash).where(*_RECEIPT).scalar_subquery(),
        select(_P.result).where(*_RECEIPT).scalar_subquery(),
        select(func.coalesce(func.sum(_P.total - _P.refunded_total), 0))
        .where(*_OF_CUSTOMER, _P.created_at > _param("since", _P.created_at))
        .scalar_subquery(),
        exists().where(*_OF_CUSTOMER),
    )
)


@dataclass(frozen=True)
class Facts:
    version: int  # the program version in force
    receipt_hash: str | None  # of a sale already committed with this receipt
    receipt_result: dict[str, Any] | None
    spend: int  # qualifying spend over the tier window, before this sale
    bought_before: bool


def _facts(
    session: Session, ctx: Ctx, store_id: uuid.UUID, receipt_id: str, customer_id: Any
) -> tuple[Facts, Program]:
    """The facts and the program they were read under. The window for the spend comes from the
    program this process saw last; if the version read says it has moved on, read again."""
    version, program = loyalty.likely_program(session, ctx)
    for _attempt in range(3):
        since = clock.add_months(clock.now(), -program.tiers.window_months)
        row = _FACTS.first(
            session,
            merchant_id=ctx.merchant_id,
            store_id=store_id,
            receipt_id=receipt_id,
            customer_id=customer_id,
            since=since,
        )
        assert row is not None
        facts = Facts(row[0] or 0, row[1], row[2], int(row[3]), bool(row[4]))
        if facts.version == version:
            break
        version, program = facts.version, loyalty.program_version(session, ctx, facts.version)
    return facts, program


# A quote's customer, their account and the facts in one statement: nothing is locked, so the
# facts need not wait for a lock to be read after it (a commit reads them in a statement of its
# own, after the account lock: PostgreSQL evaluates a statement's subqueries in the snapshot it
# took before waiting for the lock). A customer without an account yet reads as an empty one.
_C, _A = Customer, LoyaltyAccount


def _quote_read_by(column: str) -> Prebuilt:
    key = sale.KEYS[column]
    q = (
        select(
            _C.id,
            _C.birthday,
            _C.locale,
            func.coalesce(_A.balance, 0),
            _A.tier_code,
            _A.tier_since,
            _A.below_tier_since,
            _VERSION,
            select(func.coalesce(func.sum(_P.total - _P.refunded_total), 0))
            .where(_P.merchant_id == _C.merchant_id, _P.customer_id == _C.id)
            .where(_P.created_at > _param("since", _P.created_at))
            .scalar_subquery(),
            exists().where(_P.merchant_id == _C.merchant_id, _P.customer_id == _C.id),
        )
        .select_from(_C)
        .outerjoin(_A, and_(_A.merchant_id == _C.merchant_id, _A.customer_id == _C.id))
        .where(*sale.live(key))
    )
    return Prebuilt(q)


_QUOTE_READ = {column: _quote_read_by(column) for column in sale.KEYS}


def _quote_read(
    session: Session, ctx: Ctx, ref: CustomerRef, store_id: uuid.UUID, receipt_id: str
) -> tuple[sale.Member, Facts, Program]:
    version, program = loyalty.likely_program(session, ctx)
    since = clock.add_months(clock.now(), -program.tiers.window_months)
    column, key = _member_key(ctx, ref)
    row = _QUOTE_READ[column].first(session, merchant_id=ctx.merchant_id, key=key, since=since)
    if row is None:
        raise InvalidField(f"customer.{_ref_field(ref)}", "no such customer")
    cid, birthday, locale, balance, code, tier_since, below, read_version, spend, bought = row
    member = sale.Member(cid, birthday, locale, balance, rules.TierState(code, tier_since, below))
    if (read_version or 0) != version:  # the program moved on: the facts under the new one
        facts, program = _facts(session, ctx, store_id, receipt_id, cid)
        return member, facts, program
    return member, Facts(version, None, None, int(spend), bool(bought)), program


def _store(session: Session, ctx: Ctx, store_id: uuid.UUID | None) -> uuid.UUID:
    try:
        return merchants.sale_store(session, ctx, store_id)
    except NotFound as exc:
        raise InvalidField("store_id", "no such store" if store_id else str(exc)) from None


def _ref_field(ref: CustomerRef) -> str:
    return "id" if ref.id else "phone" if ref.phone else "member_code"


def _member_key(ctx: Ctx, ref: CustomerRef) -> tuple[str, Any]:
    """The column and normalized value the customer is found by; the error names the field."""
    try:
        if ref.id is not None:
            return "id", ref.id
        return customers.identity_key(ctx, phone=ref.phone, code=ref.member_code)
    except NotFound:
        raise InvalidField(f"customer.{_ref_field(ref)}", "no such customer") from None
    except InvalidField as exc:
        raise InvalidField(f"customer.{exc.field}", exc.errors[0]["message"]) from None


def _member(session: Session, ctx: Ctx, ref: CustomerRef | None, lock: bool) -> sale.Member | None:
    if ref is None:
        return None
    column, key = _member_key(ctx, ref)
    try:
        return sale.member(session, ctx, column, key, lock)
    except NotFound:
        raise InvalidField(f"customer.{_ref_field(ref)}", "no such customer") from None


def _vouchers(
    session: Session, ctx: Ctx, codes_in: list[str], member: sale.Member | None
) -> list[Voucher]:
    found: list[Voucher] = []
    for i, code in enumerate(codes_in):
        field_name = f"vouchers.{i}"
        voucher = rewards.find_voucher(session, ctx, code)
        if voucher is None or member is None or voucher.customer_id != member.customer_id:
            raise InvalidField(field_name, "unknown voucher for this customer")
        if any(v.id == voucher.id for v in found):
            raise InvalidField(field_name, "the same voucher twice")
        if voucher.status != "issued":
            raise Conflict(
                f"voucher {i} was already used", [{"field": field_name, "message": "used"}]
            )
        if voucher.expires_at <= clock.now():
            raise InvalidField(field_name, "the voucher has expired")
        found.append(voucher)
    return found


# --- working the sale out ----------------------------------------------------------------------


@dataclass
class Prepared:
    """The sale worked out; its lines and vouchers are settled when it is made, so the totals
    are worked out once."""

    store_id: uuid.UUID
    member: sale.Member | None
    version: int
    program: Program
    lines: list[PricedLine]
    vouchers: list[Voucher]
    voucher_discounts: list[int]
    redeem_points: int
    points_value: int
    earned: rules.Earned = field(default_factory=rules.Earned)
    outcome: sale.Outcome | None = None

    @cached_property
    def subtotal(self) -> int:
        return sum(line.gross for line in self.lines)

    @cached_property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @cached_property
    def total(self) -> int:
        return self.subtotal - self.discount_total - self.points_value

    @cached_property
    def earn_lines(self) -> list[rules.Line]:
        return [rules.Line(ln.sku, ln.category, ln.quantity, ln.net) for ln in self.lines]

    @property
    def balance(self) -> int | None:
        if self.member is None or self.outcome is None:
            return None
        return self.member.balance + sum(e.points for e in self.outcome.entries)


@dataclass(frozen=True)
class Read:
    store_id: uuid.UUID
    member: sale.Member | None
    facts: Facts
    program: Program


def read(session: Session, ctx: Ctx, body: CheckoutIn, lock: bool) -> Read:
    store_id = _store(session, ctx, body.store_id)
    if not lock and body.customer is not None:
        quoted = _quote_read(session, ctx, body.customer, store_id, body.receipt_id)
        return Read(store_id, *quoted)
    member = _member(session, ctx, body.customer, lock)
    customer_id = member.customer_id if member else None
    facts, program = _facts(session, ctx, store_id, body.receipt_id, customer_id)
    return Read(store_id, member, facts, program)


def prepare(session: Session, ctx: Ctx, body: CheckoutIn, got: Read, lock: bool) -> Prepared:
    """Everything a sale will do, worked out from what was read (a quote stops here)."""
    member, program = got.member, got.program
    for i, _code in enumerate(body.coupon_codes):
        raise InvalidField(f"coupon_codes.{i}", "unknown coupon code")
    lines = [
        PricedLine(ln.sku, ln.name, ln.category, ln.quantity, ln.unit_price) for ln in body.lines
    ]
    vouchers = _vouchers(session, ctx, body.vouchers, member) if body.vouchers else []
    specs = [VoucherSpec(v.code, v.name, v.kind, v.amount, v.percent, v.sku) for v in vouchers]
    discounts = apply_vouchers(lines, specs)
    goods = sum(line.net for line in lines)
    if body.redeem_points and member is None:
        raise InvalidField("redeem_points", "an anonymous sale cannot pay with points")
    cap = rules.points_payment_cap(program, goods)
    if body.redeem_points > cap:
        raise InvalidField("redeem_points", f"at most {cap} points can pay for this sale")
    points_value = body.redeem_points * program.points_payment.point_value
    p = Prepared(
        got.store_id,
        member,
        got.facts.version,
        program,
        lines,
        vouchers,
        discounts,
        body.redeem_points,
        points_value,
    )
    if member is not None:
        if body.redeem_points and body.redeem_points > member.balance:
            raise ledger.InsufficientPoints(f"the balance does not cover {body.redeem_points}")
        cid = member.customer_id
        have = sale.stamps_held(session, ctx, cid, lock) if program.stamp_cards else {}
        now, tz = clock.now(), ctx.merchant.timezone
        p.earned, p.outcome = _loyalty(p, member, got.facts, have, now, tz)
    return p


def _loyalty(
    p: Prepared,
    member: sale.Member,
    facts: Facts,
    stamps_have: dict[str, int],
    now: datetime,
    timezone: str,
) -> tuple[rules.Earned, sale.Outcome]:
    program = p.program
    current: Tier | None = next(
        (t for t in program.tiers.levels if t.code == member.tier.code), None
    )
    earned = rules.earn_points(
        program,
        p.earn_lines,
        rules.Facts(
            today=clock.today(timezone),
            birthday=member.birthday,
            first_purchase=bool(program.bonuses.first_purchase_points) and not facts.bought_before,
            tier=current,
        ),
        paid=p.total,
    )
    entries = []
    if p.redeem_points:
        entries.append(sale.Entry(-p.redeem_points, "payment", ledger.SALE_PAYMENT))
    expires_at = loyalty.entry_expiry(program, now)
    for rule, points in earned.breakdown:
        entries.append(sale.Entry(points, "earn" if rule == "base" else "bonus", rule, expires_at))
    spend = facts.spend + p.total
    tier, move = rules.tier_after(program, member.tier, spend, now, "sale")
    stamps = sale.stamp_moves(program, stamps_have, p.earn_lines)
    return earned, sale.Outcome(entries, spend, tier, move, stamps)


def _figures(p: Prepared) -> dict[str, int]:
    """The sale's sums, named alike in the response and in the purchase row."""
    return {
        "subtotal": p.subtotal,
        "discount_total": p.discount_total,
        "points_redeemed": p.redeem_points,
        "points_value": p.points_value,
        "total": p.total,
        "points_earned": p.earned.total,
    }


def _result(
    ctx: Ctx, body: CheckoutIn, p: Prepared, purchase_id: uuid.UUID | None, at: datetime | None
) -> dict[str, Any]:
    stamps: list[dict[str, Any]] = []
    tier: dict[str, Any] | None = None
    if p.outcome is not None:
        moves = {m.card: m for m in p.outcome.stamps}
        stamps = [
            loyalty.stamp_out(card, moves[card.code].stamps, moves[card.code].completed_now)
            for card in p.program.stamp_cards
        ]
        tier = loyalty.tier_out(p.program, p.outcome.spend, p.outcome.tier.code)
    result: dict[str, Any] = {
        "purchase_id": str(purchase_id) if purchase_id else None,
        "receipt_id": body.receipt_id,
        "store_id": str(p.store_id),
        "customer_id": str(p.member.customer_id) if p.member else None,
        "currency": ctx.merchant.currency,
        **_figures(p),
        "points_breakdown": [{"rule": r, "points": n} for r, n in p.earned.breakdown],
        "balance": p.balance,
        "stamps": stamps,
        "tier": tier,
        "vouchers_applied": [
            {"code": v.code, "name": v.name, "discount": d}
            for v, d in zip(p.vouchers, p.voucher_discounts, strict=True)
        ],
    }
    locale = p.member.locale if p.member else None
    result["receipt_lines"] = receipt_lines(result, locale, ctx.merchant.locale)
    # In CheckoutOut's field order, and the time as the model writes a UTC time, so that the
    # result sent as built is byte for byte what a replay (through the model) sends.
    result["created_at"] = at.isoformat().replace("+00:00", "Z") if at else None
    return result


# --- the two entry points ----------------------------------------------------------------------


def quote(session: Session, ctx: Ctx, body: CheckoutIn) -> dict[str, Any]:
    """The sale as it would be committed now; writes nothing."""
    p = prepare(session, ctx, body, read(session, ctx, body, lock=False), lock=False)
    return _result(ctx, body, p, None, None)


_INSERT_SALE = insert_or_skip(Purchase.__table__, Purchase.id)  # type: ignore[arg-type]
_INSERT_LINES = Prebuilt(insert(PurchaseLine))


def commit(session: Session, ctx: Ctx, body: CheckoutIn) -> tuple[dict[str, Any], bool]:
    """(response body, replayed)."""
    digest = request_hash(body)
    try:
        got = read(session, ctx, body, lock=True)
    except InvalidField as exc:  # the customer may have been erased since the first commit
        stored = _existing(session, ctx, body) if exc.field.startswith("customer.") else None
        if stored is None:
            raise
        return _replay(stored.request_hash, stored.result, digest)
    if got.facts.receipt_hash is not None:
        return _replay(got.facts.receipt_hash, got.facts.receipt_result, digest)
    p = prepare(session, ctx, body, got, lock=True)
    purchase_id, now = new_id(), clock.now()
    result = _result(ctx, body, p, purchase_id, now)
    values = {
        "merchant_id": ctx.merchant_id,
        "id": purchase_id,
        "store_id": p.store_id,
        "receipt_id": body.receipt_id,
        "customer_id": p.member.customer_id if p.member else None,
        "request_hash": digest,
        "program_version": p.version,
        "currency": ctx.merchant.currency,
        **_figures(p),
        "created_at": now,
    }
    lines = [
        {
            "line_no": i,
            "sku": ln.sku,
            "name": ln.name,
            "category": ln.category,
            "quantity": ln.quantity,
            "unit_price": ln.unit_price,
            "discount": ln.discount,
            "net": ln.net,
        }
        for i, ln in enumerate(p.lines)
    ]
    member, outcome = p.member, p.outcome
    settle, entries = (
        sale.settlement(ctx, member, outcome, purchase_id, now)
        if member is not None and outcome is not None
        else (None, [])
    )
    # PostgreSQL: the sale, its lines, the account and the entries in one statement
    # (sale_rows.py); SQLite: one statement each, each a call into the library, no round trip.
    one_statement = session.connection().dialect.name == "postgresql"
    if one_statement:
        json_result = to_json(result).decode()
        actor = (ctx.actor.kind, ctx.actor.id)
        written = sale_rows.write(
            session, values | {"result": json_result}, lines, settle, entries, actor
        )
        inserted, settled = written
    else:
        row = _INSERT_SALE.first(session, **values, refunded_total=0, result=result)
        inserted, settled = row is not None, False
    if not inserted:  # a concurrent commit of the same receipt got there first and committed
        found = _existing(session, ctx, body)
        assert found is not None, "the conflicting sale has committed"
        return _replay(found.request_hash, found.result, digest)
    if not one_statement:
        fixed = {"merchant_id": ctx.merchant_id, "purchase_id": purchase_id, "refunded_quantity": 0}
        _INSERT_LINES.many(session, [fixed | line for line in lines])
    for voucher in p.vouchers:
        if not rewards.consume_voucher(session, ctx, voucher.id, purchase_id):
            raise Conflict("a voucher in this sale was used by another sale just now")
    if member is None or outcome is None or settle is None:
        return result, False
    if not one_statement:
        sale.record(session, ctx, member, p.program, outcome, purchase_id, now)
    elif not settled:
        raise sale.insufficient(settle)
    else:
        sale.record_moves(session, ctx, member, p.program, outcome, now)
    return result, False


def _existing(session: Session, ctx: Ctx, body: CheckoutIn) -> Purchase | None:
    q = select(Purchase).where(
        Purchase.merchant_id == ctx.merchant_id,
        Purchase.store_id == _store(session, ctx, body.store_id),
        Purchase.receipt_id == body.receipt_id,
    )
    return session.scalar(q.execution_options(populate_existing=True))


def _replay(
    stored_hash: str, stored: dict[str, Any] | None, digest: str
) -> tuple[dict[str, Any], bool]:
    if stored_hash != digest:
        raise ReceiptConflict("this receipt_id was already committed with a different body")
    assert stored is not None
    return stored, True


def get_purchase(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> Purchase:
    purchase = session.get(Purchase, (ctx.merchant_id, purchase_id))
    if purchase is None:
        raise NotFound("purchase not found")
    return purchase


def purchase_result(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> dict[str, Any]:
    return get_purchase(session, ctx, purchase_id).result
