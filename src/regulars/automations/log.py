"""Who got what and why: the outbox rows of the automations' kinds, newest first, each with the
reason its automation wrote in the payload and what became of it (sent, skipped and why)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.automations.config import KINDS
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField
from regulars.messaging.models import OutboxMessage

_O = OutboxMessage


def entries(
    session: Session,
    ctx: Ctx,
    kind: str | None = None,
    customer_id: uuid.UUID | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    if kind is not None and kind not in KINDS:
        raise InvalidField("kind", f"one of {', '.join(KINDS)}")
    if not 1 <= limit <= 500:
        raise InvalidField("limit", "between 1 and 500")
    q = select(_O).where(_O.merchant_id == ctx.merchant_id, _O.kind.in_([kind] if kind else KINDS))
    if customer_id is not None:
        q = q.where(_O.customer_id == customer_id)
    rows = session.scalars(q.order_by(_O.created_at.desc(), _O.id.desc()).limit(limit))
    return [
        {
            "id": m.id,
            "kind": m.kind,
            "customer_id": m.customer_id,
            "reason": (m.payload or {}).get("reason"),
            "status": m.status,
            "skip_reason": m.skip_reason,
            "channel": m.channel,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
        }
        for m in rows
    ]
