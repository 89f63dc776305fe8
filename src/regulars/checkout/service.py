"""Quote and commit: the one place a sale is recorded.

Commit is exactly-once per (merchant, store, receipt_id). Inside the one transaction, in order:
1. the member (customer and points account) by id, phone or member code, the account row
   locked (loyalty/sale.py), then the facts, read after that lock so that none is stale: the
   current program version, a committed sale with this receipt (replayed with the same body,
   409 with another), whether the customer bought before (first-purchase bonus), their spend
   over the tier window (checkout/reads.py);
2. price the basket and work out points, stamps and tier in memory (pure rules), and from them
   the response, stored with the sale for replays;
3. the sale's rows (checkout/sale_rows.py; one statement on PostgreSQL): the sale INSERTed with
   ON CONFLICT DO NOTHING, the unique index being the idempotency lock (two commits of one
   receipt for one customer already queue on the account lock; for an anonymous sale the
   second waits here on PostgreSQL, then replays the first), its lines, the account update
   guarded against overdraw, the ledger entries;
4. the vouchers used (an UPDATE that matches only an unused one), the tier change and stamps.
Any failure rolls the whole sale back. The statements are prebuilt (kit/sql.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.checkout import sale_rows
from regulars.checkout.models import Purchase
from regulars.checkout.pricing import PricedLine, VoucherSpec, apply_vouchers
from regulars.checkout.reads import Facts, Read, read, store
from regulars.checkout.receipt import receipt_lines
from regulars.checkout.schemas import CheckoutIn
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.kit.ids import new_id
from regulars.loyalty import ledger, rewards, rules, sale
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import Voucher
from regulars.loyalty.program import Program, Tier


class ReceiptConflict(Conflict):
    slug, title = "receipt-conflict", "This receipt was committed with a different body"


def request_hash(body: Any) -> str:
    raw = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


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
        "result": result,
        "created_at": now,
        "actor_type": ctx.actor.kind,  # for the ledger entries
        "actor_id": ctx.actor.id,
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
    inserted, settled = sale_rows.write(session, values, lines, settle, entries)
    if not inserted:  # a concurrent commit of the same receipt got there first and committed
        found = _existing(session, ctx, body)
        assert found is not None, "the conflicting sale has committed"
        return _replay(found.request_hash, found.result, digest)
    if not settled:
        assert settle is not None
        raise sale.insufficient(settle)
    for voucher in p.vouchers:
        if not rewards.consume_voucher(session, ctx, voucher.id, purchase_id):
            raise Conflict("a voucher in this sale was used by another sale just now")
    if member is not None and outcome is not None:
        sale.record_moves(session, ctx, member, p.program, outcome, now)
    return result, False


def _existing(session: Session, ctx: Ctx, body: CheckoutIn) -> Purchase | None:
    q = select(Purchase).where(
        Purchase.merchant_id == ctx.merchant_id,
        Purchase.store_id == store(session, ctx, body.store_id),
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
