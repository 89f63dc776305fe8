"""A customer's timeline (C4): purchases, messages, tickets, surveys, reviews, service visits and
notes in one list, newest first. Each domain is asked through its own service for the customer's
latest rows (a bounded read each); this module only merges them. Plan payments join when the
plans domain gives a reader for them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from regulars.aftercare import service as aftercare
from regulars.checkout import history
from regulars.customers import service as customers
from regulars.feedback import reviews, surveys, tickets
from regulars.kit.context import Ctx
from regulars.kit.pagination import PageRequest
from regulars.messaging import service as messaging

EACH = 50  # newest rows read from each source


def _messages(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = messaging.recent_for_customer(session, ctx, customer_id, EACH)
    return [
        {
            "kind": "message",
            "at": m.sent_at or m.created_at,
            "id": m.id,
            "summary": f"{m.kind} · {m.channel or '-'} · {m.status}",
            "status": m.status,
        }
        for m in rows
    ]


def timeline(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    entries = [e | {"status": None} for e in customers.timeline(session, ctx, customer_id)]
    bought = history.purchases(session, ctx, customer_id, PageRequest(limit=EACH)).data
    entries += [
        {
            "kind": "purchase",
            "at": p["created_at"],
            "id": p["id"],
            "summary": f"{p['receipt_id']} · {p['total']} {p['currency']}",
            "status": "refunded" if p["refunded_total"] else None,
        }
        for p in bought
    ]
    entries += _messages(session, ctx, customer_id)
    entries += [
        {"kind": "ticket", "at": t.created_at, "id": t.id, "summary": t.subject, "status": t.status}
        for t in tickets.list_tickets(session, ctx, customer_id=customer_id, limit=EACH)
    ]
    entries += [
        {
            "kind": "survey",
            "at": s.answered_at or s.created_at,
            "id": s.id,
            "summary": f"{s.kind.upper()} {s.score}" if s.score is not None else s.kind.upper(),
            "status": "answered" if s.answered_at else "sent",
        }
        for s in surveys.list_for(session, ctx, customer_id)[:EACH]
    ]
    entries += [
        {
            "kind": "review",
            "at": r.created_at,
            "id": r.id,
            "summary": (r.body or r.url or "")[:200],
            "status": r.status,
        }
        for r in reviews.list_reviews(session, ctx, customer_id=customer_id, limit=EACH)
    ]
    for schedule in aftercare.list_for(session, ctx, customer_id):
        entries += [
            {
                "kind": "service_visit",
                "at": v.created_at,
                "id": v.id,
                "summary": f"{schedule.service} · {schedule.item}"
                + (f" · {v.odometer_km} km" if v.odometer_km is not None else ""),
                "status": None,
            }
            for v in aftercare.visits(session, ctx, schedule.id)[:EACH]
        ]
    return sorted(entries, key=lambda e: e["at"], reverse=True)
