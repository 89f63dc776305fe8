"""Quote, commit and refund.

Commit is exactly-once per (merchant, store, receipt_id). Inside the one transaction:
1. a committed sale with this receipt? Replay it (same body) or 409 (another body);
2. price the basket and work out the loyalty outcome from what is read (no writes yet);
3. INSERT the sale with ON CONFLICT DO NOTHING: the unique index is the lock. On PostgreSQL a
   concurrent commit of the same receipt waits here for the first and then replays it;
4. lock the customer's loyalty account row (one lock order: account, vouchers, stamps), use the
   vouchers (an UPDATE that only matches an unused one), take points paid, post points earned,
   stamps and tier, and store the response for replays.
Any failure rolls the whole sale back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

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
from regulars.kit.sql import insert_ignore
from regulars.loyalty import ledger, rewards, rules
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import LoyaltyAccount, Voucher
from regulars.loyalty.program import Program, Tier
from regulars.merchants import service as merchants


class ReceiptConflict(Conflict):
    slug, title = "receipt-conflict", "This receipt was committed with a different body"


@dataclass
class Prepared:
    store_id: uuid.UUID
    customer: Customer | None
    version: int
    program: Program
    lines: list[PricedLine]
    vouchers: list[Voucher]
    voucher_discounts: list[int]
    redeem_points: int
    points_value: int
    earned: rules.Earned = field(default_factory=rules.Earned)
    tier: Tier | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount_total - self.points_value


def request_hash(body: Any) -> str:
    raw = json.dumps(body.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def default_store_id(session: Session, ctx: Ctx, store_id: uuid.UUID | None) -> uuid.UUID:
    if store_id is not None:
        try:
            return merchants.get_store(session, ctx, store_id).id
        except NotFound:
            raise InvalidField("store_id", "no such store") from None
    stores = merchants.list_stores(session, ctx)
    main = next((s for s in stores if s.code == "MAIN"), stores[0] if stores else None)
    if main is None:
        raise InvalidField("store_id", "the merchant has no store")
    return main.id


def resolve_customer(session: Session, ctx: Ctx, ref: CustomerRef | None) -> Customer | None:
    if ref is None:
        return None
    try:
        if ref.id is not None:
            return customers.get_customer(session, ctx, ref.id, details=False)
        if ref.phone is not None:
            return customers.lookup(session, ctx, phone=ref.phone, details=False)
        return customers.lookup(session, ctx, code=ref.member_code, details=False)
    except NotFound:
        which = "id" if ref.id else "phone" if ref.phone else "member_code"
        raise InvalidField(f"customer.{which}", "no such customer") from None
    except InvalidField as exc:
        raise InvalidField(f"customer.{exc.field}", exc.errors[0]["message"]) from None


def _vouchers(
    session: Session, ctx: Ctx, codes_in: list[str], customer: Customer | None
) -> list[Voucher]:
    found: list[Voucher] = []
    for i, code in enumerate(codes_in):
        field_name = f"vouchers.{i}"
        voucher = rewards.find_voucher(session, ctx, code)
        if voucher is None or customer is None or voucher.customer_id != customer.id:
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


def prepare(
    session: Session, ctx: Ctx, body: CheckoutIn, store_id: uuid.UUID | None = None
) -> Prepared:
    """Everything a sale will do, worked out from reads alone (a quote stops here)."""
    store_id = store_id or default_store_id(session, ctx, body.store_id)
    customer = resolve_customer(session, ctx, body.customer)
    for i, _code in enumerate(body.coupon_codes):
        raise InvalidField(f"coupon_codes.{i}", "unknown coupon code")
    version, program, _at = loyalty.current_program(session, ctx)
    lines = [
        PricedLine(ln.sku, ln.name, ln.category, ln.quantity, ln.unit_price) for ln in body.lines
    ]
    vouchers = _vouchers(session, ctx, body.vouchers, customer)
    specs = [VoucherSpec(v.code, v.name, v.kind, v.amount, v.percent, v.sku) for v in vouchers]
    discounts = apply_vouchers(lines, specs)
    goods = sum(line.net for line in lines)
    if body.redeem_points and customer is None:
        raise InvalidField("redeem_points", "an anonymous sale cannot pay with points")
    cap = rules.points_payment_cap(program, goods)
    if body.redeem_points > cap:
        raise InvalidField("redeem_points", f"at most {cap} points can pay for this sale")
    points_value = body.redeem_points * program.points_payment.point_value
    prepared = Prepared(
        store_id,
        customer,
        version,
        program,
        lines,
        vouchers,
        discounts,
        body.redeem_points,
        points_value,
    )
    if customer is not None:
        account = loyalty.account_of(session, ctx, customer.id)
        if body.redeem_points and body.redeem_points > (account.balance if account else 0):
            raise ledger.InsufficientPoints(f"the balance does not cover {body.redeem_points}")
        code = account.tier_code if account else None
        prepared.tier = next((t for t in program.tiers.levels if t.code == code), None)
        facts = rules.Facts(
            today=clock.today(ctx.merchant.timezone),
            birthday=customer.birthday,
            first_purchase=bool(program.bonuses.first_purchase_points)
            and not _has_purchases(session, ctx, customer.id),
            tier=prepared.tier,
        )
        earn_lines = [rules.Line(ln.sku, ln.category, ln.quantity, ln.net) for ln in lines]
        prepared.earned = rules.earn_points(program, earn_lines, facts, paid=prepared.total)
    return prepared


def _has_purchases(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> bool:
    q = select(Purchase.id).where(
        Purchase.merchant_id == ctx.merchant_id, Purchase.customer_id == customer_id
    )
    return session.scalar(q.limit(1)) is not None


def _result(
    ctx: Ctx,
    body: CheckoutIn,
    p: Prepared,
    purchase_id: uuid.UUID | None,
    balance: int | None,
    stamps: list[dict[str, Any]],
    tier: dict[str, Any] | None,
    created_at: Any,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "purchase_id": str(purchase_id) if purchase_id else None,
        "receipt_id": body.receipt_id,
        "store_id": str(p.store_id),
        "customer_id": str(p.customer.id) if p.customer else None,
        "currency": ctx.merchant.currency,
        "subtotal": p.subtotal,
        "discount_total": p.discount_total,
        "points_redeemed": p.redeem_points,
        "points_value": p.points_value,
        "total": p.total,
        "points_earned": p.earned.total,
        "points_breakdown": [{"rule": r, "points": n} for r, n in p.earned.breakdown],
        "balance": balance,
        "stamps": stamps,
        "tier": tier,
        "vouchers_applied": [
            {"code": v.code, "name": v.name, "discount": d}
            for v, d in zip(p.vouchers, p.voucher_discounts, strict=True)
        ],
        "created_at": created_at.isoformat() if created_at else None,
    }
    locale = p.customer.locale if p.customer else None
    result["receipt_lines"] = receipt_lines(result, locale, ctx.merchant.locale)
    return result


def quote(session: Session, ctx: Ctx, body: CheckoutIn) -> dict[str, Any]:
    """The sale as it would be committed now; writes nothing."""
    p = prepare(session, ctx, body)
    balance = stamps = tier = None
    if p.customer is not None:
        account = loyalty.account_of(session, ctx, p.customer.id)
        balance = (account.balance if account else 0) - p.redeem_points + p.earned.total
        stamps = _stamps_preview(session, ctx, p)
        tier = loyalty.tier_out(p.program, account)
    return _result(ctx, body, p, None, balance, stamps or [], tier, None)


def _stamps_preview(session: Session, ctx: Ctx, p: Prepared) -> list[dict[str, Any]]:
    assert p.customer is not None
    current = {s["card"]: s for s in loyalty.stamps_of(session, ctx, p.customer.id, p.program)}
    earn_lines = [rules.Line(ln.sku, ln.category, ln.quantity, ln.net) for ln in p.lines]
    out = []
    for card in p.program.stamp_cards:
        total = current[card.code]["stamps"] + rules.stamp_quantity(card, earn_lines)
        done, left = divmod(total, card.stamps_required)
        out.append(current[card.code] | {"stamps": left, "completed_now": done})
    return out


def _existing(session: Session, ctx: Ctx, store_id: uuid.UUID, receipt_id: str) -> Purchase | None:
    q = select(Purchase).where(
        Purchase.merchant_id == ctx.merchant_id,
        Purchase.store_id == store_id,
        Purchase.receipt_id == receipt_id,
    )
    return session.scalar(q.execution_options(populate_existing=True))


def _replay(purchase: Purchase, digest: str) -> tuple[dict[str, Any], bool]:
    if purchase.request_hash != digest:
        raise ReceiptConflict("this receipt_id was already committed with a different body")
    return purchase.result, True


def commit(session: Session, ctx: Ctx, body: CheckoutIn) -> tuple[dict[str, Any], bool]:
    """(response body, replayed)."""
    digest = request_hash(body)
    store_id = default_store_id(session, ctx, body.store_id)
    found = _existing(session, ctx, store_id, body.receipt_id)
    if found is not None:
        return _replay(found, digest)
    p = prepare(session, ctx, body, store_id)
    purchase_id, now = new_id(), clock.now()
    inserted = insert_ignore(
        session,
        Purchase.__table__,  # type: ignore[arg-type]
        {
            "merchant_id": ctx.merchant_id,
            "id": purchase_id,
            "store_id": store_id,
            "receipt_id": body.receipt_id,
            "customer_id": p.customer.id if p.customer else None,
            "request_hash": digest,
            "program_version": p.version,
            "currency": ctx.merchant.currency,
            "subtotal": p.subtotal,
            "discount_total": p.discount_total,
            "points_redeemed": p.redeem_points,
            "points_value": p.points_value,
            "total": p.total,
            "points_earned": p.earned.total,
            "refunded_total": 0,
            "result": {},
            "created_at": now,
        },
    )
    if not inserted:  # a concurrent commit of the same receipt got there first and committed
        found = _existing(session, ctx, store_id, body.receipt_id)
        assert found is not None
        return _replay(found, digest)
    session.execute(
        insert(PurchaseLine),
        [
            {
                "merchant_id": ctx.merchant_id,
                "purchase_id": purchase_id,
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
            for i, ln in enumerate(p.lines)
        ],
    )
    balance: int | None = None
    stamps: list[dict[str, Any]] = []
    tier: dict[str, Any] | None = None
    if p.customer is not None:
        balance, stamps, tier = _loyalty_effects(session, ctx, p, purchase_id)
    result = _result(ctx, body, p, purchase_id, balance, stamps, tier, now)
    session.execute(
        update(Purchase)
        .where(Purchase.merchant_id == ctx.merchant_id, Purchase.id == purchase_id)
        .values(result=result)
    )
    return result, False


def _loyalty_effects(
    session: Session, ctx: Ctx, p: Prepared, purchase_id: uuid.UUID
) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    assert p.customer is not None
    customer_id = p.customer.id
    account = ledger.lock_account(session, ctx, customer_id)
    for voucher in p.vouchers:
        if not rewards.consume_voucher(session, ctx, voucher.id, purchase_id):
            raise Conflict("a voucher in this sale was used by another sale just now")
    balance = account.balance
    if p.redeem_points:
        balance = ledger.post(
            session,
            ctx,
            customer_id,
            -p.redeem_points,
            "payment",
            "points paid a sale",
            purchase_id=purchase_id,
        ).balance
    expires_at = loyalty.entry_expiry(p.program, clock.now())
    for rule, points in p.earned.breakdown:
        kind = "earn" if rule == "base" else "bonus"
        balance = ledger.post(
            session,
            ctx,
            customer_id,
            points,
            kind,
            rule,
            purchase_id=purchase_id,
            expires_at=expires_at,
        ).balance
    stamps = loyalty.add_stamps(
        session,
        ctx,
        customer_id,
        p.program,
        [rules.Line(ln.sku, ln.category, ln.quantity, ln.net) for ln in p.lines],
        purchase_id,
    )
    tier = retier(session, ctx, p.program, customer_id, "sale", account)
    return balance, stamps, tier


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
    """Tier after a sale, refund or daily run; `account` when the caller already holds its lock."""
    account = account or ledger.lock_account(session, ctx, customer_id)
    spend = qualifying_spend(session, ctx, customer_id, program)
    loyalty.apply_tier(session, ctx, account, program, spend, reason)
    return loyalty.tier_out(program, account)


def recompute_tiers(session: Session, ctx: Ctx) -> int:
    """The daily `tiers.recompute` job: windows roll, so spend falls without any sale."""
    _version, program, _at = loyalty.current_program(session, ctx)
    changed = 0
    for customer_id in loyalty.accounts(session, ctx):
        before = loyalty.account_of(session, ctx, customer_id)
        tier_before = before.tier_code if before else None
        after = retier(session, ctx, program, customer_id, "daily recompute")
        changed += after["code"] != tier_before
    return changed


def get_purchase(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> Purchase:
    purchase = session.get(Purchase, (ctx.merchant_id, purchase_id))
    if purchase is None:
        raise NotFound("purchase not found")
    return purchase


def purchase_result(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> dict[str, Any]:
    return get_purchase(session, ctx, purchase_id).result
