"""Read-only questions about past sales (the till's quick picks; analytics will add more)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase, PurchaseLine
from regulars.kit import clock
from regulars.kit.context import Ctx

WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class TopItem:
    sku: str
    name: str
    category: str
    unit_price: int  # minor units, the price it sold at most often
    sold: int


def top_items(session: Session, ctx: Ctx, limit: int = 12) -> list[TopItem]:
    """The merchant's most sold SKUs over the last year, by units, for the till's quick picks.
    Each SKU shows the name, category and price it sold under most."""
    units = func.sum(PurchaseLine.quantity)
    q = (
        select(
            PurchaseLine.sku,
            PurchaseLine.name,
            PurchaseLine.category,
            PurchaseLine.unit_price,
            units.label("units"),
        )
        .join(
            Purchase,
            (Purchase.merchant_id == PurchaseLine.merchant_id)
            & (Purchase.id == PurchaseLine.purchase_id),
        )
        .where(
            PurchaseLine.merchant_id == ctx.merchant_id,
            Purchase.created_at > clock.now() - WINDOW,
        )
        .group_by(
            PurchaseLine.sku, PurchaseLine.name, PurchaseLine.category, PurchaseLine.unit_price
        )
    )
    best: dict[str, TopItem] = {}
    totals: dict[str, int] = {}
    for sku, name, category, price, sold in session.execute(q):
        totals[sku] = totals.get(sku, 0) + int(sold)
        if sku not in best or int(sold) > best[sku].sold:
            best[sku] = TopItem(sku, name, category, int(price), int(sold))
    ranked = sorted(best.values(), key=lambda item: (-totals[item.sku], item.sku))
    return [
        TopItem(item.sku, item.name, item.category, item.unit_price, totals[item.sku])
        for item in ranked[:limit]
    ]
