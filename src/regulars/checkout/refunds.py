"""Refunds: whole sales or lines, exactly once per refund_id, reversing loyalty in proportion."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase, PurchaseLine, Refund
from regulars.checkout.reads import qualifying_spend
from regulars.checkout.schemas import RefundIn
from regulars.checkout.service import ReceiptConflict, request_hash
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.loyalty import rules
from regulars.loyalty import sale as loyalty_sale
from regulars.referrals import service as referrals


def refund(
    session: Session, ctx: Ctx, purchase_id: uuid.UUID, body: RefundIn
) -> tuple[dict[str, Any], bool]:
    """Give back whole lines or the whole sale. Points earned are reversed in proportion to the
    refunded share of the goods (cumulative, floored, so refunding every part reverses exactly
    all); points paid come back in the same proportion. The clawback may leave a debt."""
    digest = request_hash(body)
    purchase = _lock_purchase(session, ctx, purchase_id)
    q = select(Refund).where(
        Refund.merchant_id == ctx.merchant_id,
        Refund.purchase_id == purchase.id,
        Refund.refund_id == body.refund_id,
    )
    done = session.scalar(q)
    if done is not None:
        if done.request_hash != digest:
            raise ReceiptConflict("this refund_id was already used with a different body")
        return done.result, True
    lines = list(
        session.scalars(
            select(PurchaseLine)
            .where(
                PurchaseLine.merchant_id == ctx.merchant_id, PurchaseLine.purchase_id == purchase.id
            )
            .order_by(PurchaseLine.line_no)
        )
    )
    take = _refund_quantities(lines, body)
    goods = sum(line.net for line in lines)
    before = sum(_net_share(line, line.refunded_quantity) for line in lines)
    for line in lines:
        line.refunded_quantity += take.get(line.line_no, 0)
    after = sum(_net_share(line, line.refunded_quantity) for line in lines)
    amount = _share(purchase.total, after, goods) - _share(purchase.total, before, goods)
    purchase.refunded_total += amount
    reversed_points = returned_points = 0
    balance: int | None = None
    if purchase.customer_id is not None:
        reversed_points = _share(purchase.points_earned, after, goods) - _share(
            purchase.points_earned, before, goods
        )
        returned_points = _share(purchase.points_redeemed, after, goods) - _share(
            purchase.points_redeemed, before, goods
        )
        balance = _reverse_loyalty(
            session, ctx, purchase, lines, take, reversed_points, returned_points
        )
        if all(line.refunded_quantity == line.quantity for line in lines):
            referrals.sale_refunded(session, ctx, purchase.id)
    now = clock.now()
    result = {
        "refund_id": body.refund_id,
        "purchase_id": str(purchase.id),
        "amount": amount,
        "points_reversed": reversed_points,
        "points_returned": returned_points,
        "balance": balance,
        "created_at": now.isoformat(),
    }
    session.add(
        Refund(
            merchant_id=ctx.merchant_id,
            purchase_id=purchase.id,
            refund_id=body.refund_id,
            request_hash=digest,
            amount=amount,
            points_reversed=reversed_points,
            result=result,
            created_at=now,
        )
    )
    session.flush()
    return result, False


def _lock_purchase(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> Purchase:
    q = (
        select(Purchase)
        .where(Purchase.merchant_id == ctx.merchant_id, Purchase.id == purchase_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    purchase = session.scalar(q)
    if purchase is None:
        raise NotFound("purchase not found")
    return purchase


def _refund_quantities(lines: list[PurchaseLine], body: RefundIn) -> dict[int, int]:
    take: dict[int, int] = {}
    if not body.lines:
        take = {line.line_no: line.quantity - line.refunded_quantity for line in lines}
        if not any(take.values()):
            raise Conflict("everything in this sale was already refunded")
        return take
    for i, want in enumerate(body.lines):
        left = want.quantity
        for line in lines:
            if line.sku != want.sku:
                continue
            free = line.quantity - line.refunded_quantity - take.get(line.line_no, 0)
            step = min(free, left)
            if step > 0:
                take[line.line_no] = take.get(line.line_no, 0) + step
                left -= step
        if left:
            raise InvalidField(f"lines.{i}.quantity", "more than was sold and not yet refunded")
    return take


def _net_share(line: PurchaseLine, quantity: int) -> int:
    return line.net if quantity == line.quantity else line.net * quantity // line.quantity


def _share(whole: int, part: int, base: int) -> int:
    return whole if part >= base else (whole * part // base if base else 0)


def _reverse_loyalty(
    session: Session,
    ctx: Ctx,
    purchase: Purchase,
    lines: list[PurchaseLine],
    take: dict[int, int],
    reversed_points: int,
    returned_points: int,
) -> int:
    assert purchase.customer_id is not None
    session.flush()  # the refunded quantities and total, which the tier's spend reads
    refunded = [
        rules.Line(line.sku, line.category, take[line.line_no], 0)
        for line in lines
        if take.get(line.line_no)
    ]
    reversal = loyalty_sale.Reversal(
        purchase.customer_id, purchase.id, purchase.program_version, reversed_points,
        returned_points, refunded,
    )  # fmt: skip
    return loyalty_sale.reverse(session, ctx, reversal, spend=qualifying_spend)
