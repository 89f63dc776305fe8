from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from regulars.checkout import service as checkout
from regulars.checkout.schemas import CheckoutIn
from regulars.db import Database
from regulars.messaging.models import OutboxMessage
from tests.factories import Shop

API = "/api/v1"


def outbox(db: Database, shop: Shop, kind: str | None = None) -> list[OutboxMessage]:
    q = select(OutboxMessage).where(OutboxMessage.merchant_id == shop.id)
    if kind is not None:
        q = q.where(OutboxMessage.kind == kind)
    rows = db.run(lambda s: list(s.scalars(q.order_by(OutboxMessage.created_at))), write=False)
    return rows


def buy(
    db: Database,
    shop: Shop,
    customer_id: uuid.UUID | None,
    receipt: str,
    *lines: tuple[str, int, int],
) -> dict[str, Any]:
    body = CheckoutIn.model_validate(
        {
            "receipt_id": receipt,
            "customer": {"id": str(customer_id)} if customer_id else None,
            "lines": [
                {
                    "sku": sku,
                    "name": sku.title(),
                    "category": "cake",
                    "quantity": q,
                    "unit_price": p,
                }
                for sku, q, p in lines
            ],
        }
    )
    return dict(db.run(lambda s: checkout.commit(s, shop.ctx, body))[0])


def switch_on(db: Database, shop: Shop, kind: str, **settings: Any) -> None:
    from regulars.automations import config
    from regulars.automations.schemas import AutomationIn

    body = AutomationIn.model_validate({"enabled": True, **settings})
    db.run(lambda s: config.put(s, shop.ctx, kind, body))
