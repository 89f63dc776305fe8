"""A customer's purchases and favourites as the pages show them (the staff customer page, the
portal, the till's usual basket): `checkout.history` with money formatted for the reader."""

from __future__ import annotations

import uuid
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from regulars.checkout import history
from regulars.kit.context import Ctx
from regulars.kit.pagination import PageRequest
from regulars.web import i18n, loyalty_view


def purchase_history(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, req: PageRequest, lang: str
) -> dict[str, Any]:
    """One page of purchases (newest first) and the customer's insights."""
    currency = ctx.merchant.currency

    def money(minor: int) -> str:
        return i18n.money(minor, currency, lang)

    found = history.purchases(session, ctx, customer_id, req)
    rows = [
        {
            "at": p["created_at"],
            "receipt_id": p["receipt_id"],
            "total": money(p["total"]),
            "points_value": money(p["points_value"]) if p["points_value"] else None,
            "refunded": money(p["refunded_total"]) if p["refunded_total"] else None,
            "points_earned": p["points_earned"],
            "points_redeemed": p["points_redeemed"],
            "lines": [
                {
                    "name": line["name"] or line["sku"],
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "refunded": line["refunded_quantity"],
                    "net": money(line["net"]),
                }
                for line in p["lines"]
            ],
        }
        for p in found.data
    ]
    facts = history.insights(session, ctx, customer_id)
    days = facts["average_days_between_visits"]
    insights = facts | {
        "lifetime_spend_text": money(facts["lifetime_spend"]),
        "average_days_text": None if days is None else str(format_decimal(days, locale=lang)),
    }
    return {"purchases": rows, "next_cursor": found.next_cursor, "insights": insights}


def usual_basket(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, lang: str
) -> list[dict[str, Any]]:
    """The till's "usual basket": lines ready for its basket, the price as it would be typed."""
    currency = ctx.merchant.currency
    return [
        {
            "sku": item["sku"],
            "name": item["name"],
            "category": item["category"],
            "quantity": item["quantity"],
            "price": loyalty_view.major_text(item["unit_price"], currency),
            "price_text": i18n.money(item["unit_price"], currency, lang),
        }
        for item in history.usual_basket(session, ctx, customer_id)
    ]
