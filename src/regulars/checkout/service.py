"""Quote and commit: the one place a sale is recorded (docs/architecture.md draws it).

A sale is a short list of named steps over one `Sale` draft, each owned by one domain:

    STEPS (quote and commit)    price      the basket's lines (checkout)
                                discounts  the member's vouchers: per-line discounts
                                coupons    coupon codes: per-line discounts (offers)
                                points     points as payment, points earned (with the
                                           customer's club multipliers, events/clubs.py), tier,
                                           stamps (loyalty, through loyalty/sale.py)
    the sale's rows             the purchase, its lines and loyalty's settlement (sale_rows.py;
                                one statement on PostgreSQL)
    RECORD (commit only)        vouchers   each voucher consumed exactly once
                                coupons    each code used once, within its campaign's limits
                                points     stamp cards and tier history
    after commit                hooks a step registers with `db.after_commit`

A new domain adds a step (and, if it writes, a RECORD step) without touching another step's SQL.
Commit is exactly-once per (merchant, store, receipt_id); inside the one transaction, in order:
the member (customer and points account) by id, phone or member code, the account row locked,
then the facts, read after that lock so that none is stale (checkout/reads.py); the steps; the
response, stored with the sale for replays; the sale's rows, the sale INSERTed with ON CONFLICT DO
NOTHING, its unique index being the idempotency lock (a second commit of one receipt for one
customer already queues on the account lock; an anonymous one waits there on PostgreSQL, then
replays the first); the RECORD steps. Any failure rolls the whole sale back. The statements are
prebuilt (kit/sql.py).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.automations import triggers as automations
from regulars.checkout import sale_rows
from regulars.checkout.models import Purchase
from regulars.checkout.pricing import PricedLine, VoucherSpec, apply_vouchers
from regulars.checkout.reads import Read, qualifying_spend, read, store
from regulars.checkout.receipt import receipt_lines
from regulars.checkout.sale_rows import Figures
from regulars.checkout.schemas import CheckoutIn
from regulars.events import clubs
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.kit.ids import new_id
from regulars.loyalty import ledger, rewards, rules, tiers
from regulars.loyalty import sale as loyalty_sale
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program
from regulars.offers import service as offers
from regulars.ops import metrics
from regulars.referrals import service as referrals

__all__ = ["ReceiptConflict", "commit", "get_purchase", "qualifying_spend", "quote"]


class ReceiptConflict(Conflict):
    slug, title = "receipt-conflict", "This receipt was committed with a different body"


def request_hash(body: Any) -> str:
    raw = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


# --- the draft ---------------------------------------------------------------------------------


@dataclass
class Sale:
    """A sale being worked out: what was read, then what each step adds."""

    body: CheckoutIn
    store_id: uuid.UUID
    member: loyalty_sale.Member | None
    facts: loyalty_sale.SaleFacts
    version: int
    program: Program
    lock: bool  # a commit: rows it reads to write are locked
    lines: list[PricedLine] = field(default_factory=list)
    vouchers: list[rewards.Usable] = field(default_factory=list)
    voucher_discounts: list[int] = field(default_factory=list)
    coupons: list[offers.Applied] = field(default_factory=list)
    coupon_discounts: list[int] = field(default_factory=list)
    redeem_points: int = 0
    points_value: int = 0  # minor units paid with points
    loyalty: loyalty_sale.Outcome | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def goods(self) -> int:
        return self.subtotal - self.discount_total

    @property
    def total(self) -> int:
        return self.goods - self.points_value

    @cached_property
    def earn_lines(self) -> list[rules.Line]:
        return [rules.Line(ln.sku, ln.category, ln.quantity, ln.net) for ln in self.lines]

    @property
    def points_earned(self) -> int:
        return self.loyalty.earned.total if self.loyalty else 0

    @property
    def balance(self) -> int | None:
        if self.member is None or self.loyalty is None:
            return None
        return loyalty_sale.balance_after(self.member, self.loyalty)


Step = Callable[[Session, Ctx, Sale], None]


# --- the steps -----------------------------------------------------------------------------------


def price(session: Session, ctx: Ctx, sale: Sale) -> None:
    body = sale.body
    sale.lines = [
        PricedLine(ln.sku, ln.name, ln.category, ln.quantity, ln.unit_price) for ln in body.lines
    ]


def discounts(session: Session, ctx: Ctx, sale: Sale) -> None:
    if sale.body.vouchers:
        customer_id = sale.member.customer_id if sale.member else None
        sale.vouchers = rewards.usable_vouchers(session, ctx, sale.body.vouchers, customer_id)
    specs = [VoucherSpec(v.code, v.name, v.kind, v.amount, v.percent, v.sku) for v in sale.vouchers]
    sale.voucher_discounts = apply_vouchers(sale.lines, specs)


def coupons(session: Session, ctx: Ctx, sale: Sale) -> None:
    if not sale.body.coupon_codes:
        return
    member = sale.member
    buyer = offers.Buyer(member.customer_id, member.tier.code) if member else None
    sale.coupons = offers.usable_coupons(session, ctx, sale.body.coupon_codes, buyer, sale.lines)
    sale.coupon_discounts = offers.apply(sale.lines, sale.coupons)


def points(session: Session, ctx: Ctx, sale: Sale) -> None:
    redeem, program, member = sale.body.redeem_points, sale.program, sale.member
    if redeem and member is None:
        raise InvalidField("redeem_points", "an anonymous sale cannot pay with points")
    cap = rules.points_payment_cap(program, sale.goods)
    if redeem > cap:
        raise InvalidField("redeem_points", f"at most {cap} points can pay for this sale")
    sale.redeem_points, sale.points_value = redeem, redeem * program.points_payment.point_value
    if member is None:
        return
    if redeem and redeem > member.balance:
        raise ledger.InsufficientPoints(f"the balance does not cover {redeem}")
    cid = member.customer_id
    have = loyalty_sale.stamps_held(session, ctx, cid, sale.lock) if program.stamp_cards else {}
    extra = clubs.earn_multipliers(session, ctx, cid)  # one indexed read: the customer's clubs
    sale.loyalty = loyalty_sale.work_out(
        program, member, sale.facts, sale.earn_lines, sale.total, redeem, have, clock.now(),
        ctx.merchant.timezone, extra,
    )  # fmt: skip


STEPS: tuple[tuple[str, Step], ...] = (
    ("price", price),
    ("discounts", discounts),
    ("coupons", coupons),
    ("points", points),
)


def consume_vouchers(session: Session, ctx: Ctx, sale: Sale, purchase_id: uuid.UUID) -> None:
    for voucher in sale.vouchers:
        if not rewards.consume_voucher(session, ctx, voucher.id, purchase_id):
            raise Conflict("a voucher in this sale was used by another sale just now")


def use_coupons(session: Session, ctx: Ctx, sale: Sale, purchase_id: uuid.UUID) -> None:
    if sale.coupons:
        customer_id = sale.member.customer_id if sale.member else None
        offers.consume(session, ctx, sale.coupons, sale.coupon_discounts, purchase_id, customer_id)


def record_points(session: Session, ctx: Ctx, sale: Sale, purchase_id: uuid.UUID) -> None:
    if sale.member is not None and sale.loyalty is not None:
        loyalty_sale.record_moves(
            session, ctx, sale.member, sale.program, sale.loyalty, clock.now()
        )


def record_referral(session: Session, ctx: Ctx, sale: Sale, purchase_id: uuid.UUID) -> None:
    if sale.member is not None:
        rule, cid = sale.program.referral, sale.member.customer_id
        referrals.sale_committed(session, ctx, rule, cid, purchase_id, sale.total)


Record = Callable[[Session, Ctx, Sale, uuid.UUID], None]
RECORD: tuple[tuple[str, Record], ...] = (
    ("vouchers", consume_vouchers),
    ("coupons", use_coupons),
    ("points", record_points),
    ("referrals", record_referral),
    ("messages", automations.sale_recorded),  # thank-you, tier up, reward unlocked: outbox rows
    ("metrics", metrics.count_sale),  # counted after the commit (ops/metrics.py)
)


def work_out(session: Session, ctx: Ctx, body: CheckoutIn, got: Read, lock: bool) -> Sale:
    """Everything a sale will do, worked out from what was read (a quote stops here)."""
    facts = loyalty_sale.SaleFacts(got.facts.spend, got.facts.bought_before)
    sale = Sale(body, got.store_id, got.member, facts, got.facts.version, got.program, lock)
    for _name, step in STEPS:
        step(session, ctx, sale)
    return sale


# --- the answer ----------------------------------------------------------------------------------


class SaleResult(Figures):
    """A quote's or a sale's answer (built in CheckoutOut's field order, stored for replays)."""

    purchase_id: str | None
    receipt_id: str
    store_id: str
    customer_id: str | None
    currency: str
    points_breakdown: list[dict[str, Any]]
    balance: int | None
    stamps: list[loyalty.StampOut]
    tier: tiers.TierOut | None
    vouchers_applied: list[dict[str, Any]]
    discounts: list[dict[str, Any]]
    receipt_lines: list[str]
    created_at: str | None


def _figures(sale: Sale) -> Figures:
    return {
        "subtotal": sale.subtotal,
        "discount_total": sale.discount_total,
        "points_redeemed": sale.redeem_points,
        "points_value": sale.points_value,
        "total": sale.total,
        "points_earned": sale.points_earned,
    }


def _result(ctx: Ctx, sale: Sale, purchase_id: uuid.UUID | None, at: datetime | None) -> SaleResult:
    stamps: list[loyalty.StampOut] = []
    tier: tiers.TierOut | None = None
    outcome = sale.loyalty
    if outcome is not None:
        stamps, tier = loyalty_sale.shown(sale.program, outcome)
    figures = _figures(sale)
    result: SaleResult = {
        "purchase_id": str(purchase_id) if purchase_id else None,
        "receipt_id": sale.body.receipt_id,
        "store_id": str(sale.store_id),
        "customer_id": str(sale.member.customer_id) if sale.member else None,
        "currency": ctx.merchant.currency,
        "subtotal": figures["subtotal"],
        "discount_total": figures["discount_total"],
        "points_redeemed": figures["points_redeemed"],
        "points_value": figures["points_value"],
        "total": figures["total"],
        "points_earned": figures["points_earned"],
        "points_breakdown": [
            {"rule": r, "points": n} for r, n in (outcome.earned.breakdown if outcome else [])
        ],
        "balance": sale.balance,
        "stamps": stamps,
        "tier": tier,
        "vouchers_applied": [
            {"code": v.code, "name": v.name, "discount": d}
            for v, d in zip(sale.vouchers, sale.voucher_discounts, strict=True)
        ],
        "discounts": [
            {"code": offers.printed(c.code), "campaign_id": str(c.campaign_id), "amount": d}
            for c, d in zip(sale.coupons, sale.coupon_discounts, strict=True)
        ],
        "receipt_lines": [],
        # The time as the model writes a UTC time, so that the result sent as built is byte for
        # byte what a replay (through the model) sends.
        "created_at": at.isoformat().replace("+00:00", "Z") if at else None,
    }
    locale = sale.member.locale if sale.member else None
    result["receipt_lines"] = receipt_lines(result, locale, ctx.merchant.locale)
    return result


# --- the two entry points ----------------------------------------------------------------------


def quote(session: Session, ctx: Ctx, body: CheckoutIn) -> SaleResult:
    """The sale as it would be committed now; writes nothing."""
    sale = work_out(session, ctx, body, read(session, ctx, body, lock=False), lock=False)
    return _result(ctx, sale, None, None)


def commit(session: Session, ctx: Ctx, body: CheckoutIn) -> tuple[SaleResult, bool]:
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
    sale = work_out(session, ctx, body, got, lock=True)
    purchase_id, now = new_id(), clock.now()
    result = _result(ctx, sale, purchase_id, now)
    row: sale_rows.PurchaseRow = {
        "merchant_id": ctx.merchant_id,
        "id": purchase_id,
        "store_id": sale.store_id,
        "receipt_id": body.receipt_id,
        "customer_id": sale.member.customer_id if sale.member else None,
        "request_hash": digest,
        "program_version": sale.version,
        "currency": ctx.merchant.currency,
        **_figures(sale),
        "refunded_total": 0,
        "result": result,
        "created_at": now,
    }
    lines: list[sale_rows.LineRow] = [
        {
            "line_no": i,
            "sku": ln.sku,
            "name": ln.name,
            "category": ln.category,
            "quantity": ln.quantity,
            "unit_price": ln.unit_price,
            "discount": ln.discount,
            "net": ln.net,
            "refunded_quantity": 0,
        }
        for i, ln in enumerate(sale.lines)
    ]
    member, outcome = sale.member, sale.loyalty
    settle = (
        loyalty_sale.settlement(ctx, member, outcome, purchase_id, now)
        if member is not None and outcome is not None
        else None
    )
    inserted, settled = sale_rows.write(session, row, lines, settle)
    if not inserted:  # a concurrent commit of the same receipt got there first and committed
        found = _existing(session, ctx, body)
        assert found is not None, "the conflicting sale has committed"
        return _replay(found.request_hash, found.result, digest)
    if not settled:
        assert settle is not None
        raise loyalty_sale.insufficient(settle)
    for _name, record in RECORD:
        record(session, ctx, sale, purchase_id)
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
) -> tuple[SaleResult, bool]:
    if stored_hash != digest:
        raise ReceiptConflict("this receipt_id was already committed with a different body")
    assert stored is not None
    return cast(SaleResult, stored), True


def get_purchase(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> Purchase:
    purchase = session.get(Purchase, (ctx.merchant_id, purchase_id))
    if purchase is None:
        raise NotFound("purchase not found")
    return purchase


def purchase_result(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> dict[str, Any]:
    return get_purchase(session, ctx, purchase_id).result
