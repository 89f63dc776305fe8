"""Sales follow their customer when two customers are merged (customers/merge.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase
from regulars.kit.context import Ctx


def move_purchases(session: Session, ctx: Ctx, from_id: uuid.UUID, to_id: uuid.UUID) -> int:
    """Re-point every sale of `from_id` to `to_id` (their lines and refunds hang from the sale);
    returns how many moved. A stored answer replayed for a receipt keeps the id it was given."""
    moved = session.execute(
        update(Purchase)
        .where(Purchase.merchant_id == ctx.merchant_id, Purchase.customer_id == from_id)
        .values(customer_id=to_id)
        .returning(Purchase.id)
        .execution_options(synchronize_session=False)
    )
    return len(moved.all())
