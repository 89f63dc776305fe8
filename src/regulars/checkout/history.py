"""A customer's past sales as they happened: the purchases with their lines, and what they add up
to (favourite items and categories, visits, lifetime spend). Everything is read from the sales
tables, so it can never disagree with them; refunded quantities and money are taken off.

A visit is a purchase, even one refunded since: the customer came to the shop.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase, PurchaseLine
from regulars.customers import service as customers
from regulars.kit.context import Ctx
from regulars.kit.pagination import Page, PageRequest, paginate

FAVOURITES = 5
USUAL_MAX = 5  # items in a usual basket
USUAL_VISITS = 2  # an item is usual once bought on this many visits

_P, _L = Purchase, PurchaseLine
_JOIN = and_(_L.merchant_id == _P.merchant_id, _L.purchase_id == _P.id)


def _of(ctx: Ctx, customer_id: uuid.UUID) -> tuple[Any, ...]:
    return (_P.merchant_id == ctx.merchant_id, _P.customer_id == customer_id)


def purchases(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, req: PageRequest
) -> Page[dict[str, Any]]:
    """Newest first, each with its lines. The cursor is a purchase id; sales keep the order of
    their `created_at` (ties broken by id), so an imported or back-dated sale sorts where it
    happened."""
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    q = select(_P).where(*_of(ctx, customer.id))
    if req.after:
        at = (
            select(_P.created_at)
            .where(_P.merchant_id == ctx.merchant_id, _P.id == req.after)
            .scalar_subquery()
        )
        q = q.where(or_(_P.created_at < at, and_(_P.created_at == at, _P.id < req.after)))
    q = q.order_by(_P.created_at.desc(), _P.id.desc()).limit(req.limit + 1)
    rows = session.scalars(q).all()
    found = paginate(rows, req, key=lambda p: p.id)
    lines: dict[uuid.UUID, list[dict[str, Any]]] = {p.id: [] for p in found.data}
    if lines:
        q_lines = (
            select(_L)
            .where(_L.merchant_id == ctx.merchant_id, _L.purchase_id.in_(list(lines)))
            .order_by(_L.purchase_id, _L.line_no)
        )
        for line in session.scalars(q_lines):
            lines[line.purchase_id].append(_line_out(line))
    data = [_purchase_out(p, lines[p.id]) for p in found.data]
    return Page(data, found.next_cursor)


def _line_out(line: PurchaseLine) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "sku": line.sku,
        "name": line.name,
        "category": line.category,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "discount": line.discount,
        "net": line.net,
        "refunded_quantity": line.refunded_quantity,
    }


def _purchase_out(p: Purchase, lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": p.id,
        "receipt_id": p.receipt_id,
        "store_id": p.store_id,
        "currency": p.currency,
        "subtotal": p.subtotal,
        "discount_total": p.discount_total,
        "points_value": p.points_value,
        "total": p.total,
        "refunded_total": p.refunded_total,
        "points_earned": p.points_earned,
        "points_redeemed": p.points_redeemed,
        "created_at": p.created_at,
        "lines": lines,
    }


@dataclass(frozen=True)
class Item:
    sku: str
    name: str  # as it was last sold to this customer
    category: str
    quantity: int  # bought, less refunded
    visits: int  # purchases it was in (and not wholly refunded)
    unit_price: int  # the price they last paid, minor units


def _items(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[Item]:
    """Every SKU the customer kept, most bought first (then on most visits, then by SKU)."""
    kept = _L.quantity - _L.refunded_quantity
    q = (
        select(
            _L.sku,
            func.sum(kept).label("quantity"),
            func.count(func.distinct(_L.purchase_id)).label("visits"),
        )
        .join(_P, _JOIN)
        .where(*_of(ctx, customer_id), kept > 0)
        .group_by(_L.sku)
    )
    totals = {sku: (int(qty), int(visits)) for sku, qty, visits in session.execute(q)}
    if not totals:
        return []
    latest = (
        select(_L.sku, _L.name, _L.category, _L.unit_price)
        .join(_P, _JOIN)
        .where(*_of(ctx, customer_id), _L.sku.in_(list(totals)))
        .order_by(_P.created_at.desc(), _P.id.desc(), _L.line_no.desc())
    )
    last: dict[str, tuple[str, str, int]] = {}
    for sku, name, category, price in session.execute(latest):
        last.setdefault(sku, (name, category, int(price)))
    items = [
        Item(sku, *last[sku][:2], qty, visits, last[sku][2])
        for sku, (qty, visits) in totals.items()
    ]
    return sorted(items, key=lambda i: (-i.quantity, -i.visits, i.sku))


def insights(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> dict[str, Any]:
    """Favourites by quantity kept, visits, the last one, lifetime spend (money paid less money
    refunded, minor units) and the mean gap between the first and the last visit in days."""
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    q = select(
        func.count(_P.id),
        func.min(_P.created_at),
        func.max(_P.created_at),
        func.coalesce(func.sum(_P.total - _P.refunded_total), 0),
    ).where(*_of(ctx, customer.id))
    row = session.execute(q).one()
    visits, first, last, spend = int(row[0]), row[1], row[2], int(row[3])
    kept = _L.quantity - _L.refunded_quantity
    q_categories = (
        select(_L.category, func.sum(kept).label("quantity"))
        .join(_P, _JOIN)
        .where(*_of(ctx, customer.id), kept > 0, _L.category != "")
        .group_by(_L.category)
        .order_by(func.sum(kept).desc(), _L.category)
        .limit(FAVOURITES)
    )
    items = _items(session, ctx, customer.id)[:FAVOURITES]
    return {
        "customer_id": customer.id,
        "currency": ctx.merchant.currency,
        "visits": visits,
        "first_visit_at": first,
        "last_visit_at": last,
        "lifetime_spend": spend,
        "average_days_between_visits": _mean_gap_days(first, last, visits),
        "favourite_items": [
            {"sku": i.sku, "name": i.name, "category": i.category, "quantity": i.quantity}
            for i in items
        ],
        "favourite_categories": [
            {"category": c, "quantity": int(n)} for c, n in session.execute(q_categories)
        ],
    }


def _mean_gap_days(first: datetime | None, last: datetime | None, visits: int) -> float | None:
    if first is None or last is None or visits < 2:
        return None
    return round((last - first).total_seconds() / 86400 / (visits - 1), 1)


def usual_basket(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """What the customer buys again and again: SKUs kept on at least USUAL_VISITS visits, most
    visits first, each in the quantity they take per visit (rounded, at least 1) at the price
    they last paid. Empty until something was bought twice."""
    items = [i for i in _items(session, ctx, customer_id) if i.visits >= USUAL_VISITS]
    items.sort(key=lambda i: (-i.visits, -i.quantity, i.sku))
    return [
        {
            "sku": i.sku,
            "name": i.name,
            "category": i.category,
            "quantity": max(1, (2 * i.quantity + i.visits) // (2 * i.visits)),
            "unit_price": i.unit_price,
        }
        for i in items[:USUAL_MAX]
    ]


def favoured_by(
    session: Session, ctx: Ctx, sku: str, min_visits: int = USUAL_VISITS
) -> list[tuple[uuid.UUID, str]]:
    """Who counts the SKU among their favourites: they kept it (not all refunded) on at least
    `min_visits` visits, as in the usual basket. (customer, the name on their latest line)."""
    kept = _L.quantity - _L.refunded_quantity
    q = (
        select(_P.customer_id, func.max(_L.name))
        .join(_P, _JOIN)
        .where(
            _P.merchant_id == ctx.merchant_id,
            _P.customer_id.is_not(None),
            _L.sku == sku,
            kept > 0,
        )
        .group_by(_P.customer_id)
        .having(func.count(func.distinct(_P.id)) >= min_visits)
        .order_by(_P.customer_id)
    )
    return [(cid, name) for cid, name in session.execute(q) if cid is not None]


def quiet_since(
    session: Session, ctx: Ctx, start: datetime, end: datetime
) -> list[tuple[uuid.UUID, datetime]]:
    """Customers whose latest purchase was in [start, end): (customer, when)."""
    at = func.max(_P.created_at)
    q = (
        select(_P.customer_id, at)
        .where(_P.merchant_id == ctx.merchant_id, _P.customer_id.is_not(None))
        .group_by(_P.customer_id)
        .having(and_(at >= start, at < end))
        .order_by(_P.customer_id)
    )
    return [(cid, when) for cid, when in session.execute(q) if cid is not None]
