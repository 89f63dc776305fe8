"""Points for engagement: an answered survey, an approved review or post, a completed profile.
Feedback decides when (and keeps each award once); only this module writes the points, as a
`bonus` entry that expires like earned points."""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty

What = Literal["survey", "review", "post", "profile"]
REASONS: dict[str, str] = {
    "survey": "survey answered",
    "review": "review approved",
    "post": "post approved",
    "profile": "profile completed",
}


def points_for(session: Session, ctx: Ctx, what: What) -> int:
    rule = loyalty.current_program(session, ctx)[1].engagement
    return int(getattr(rule, f"{what}_points"))


def credit(session: Session, ctx: Ctx, customer_id: uuid.UUID, what: What, points: int) -> int:
    """Posts `points` for `what`; the caller has made sure this is the first time."""
    if points <= 0:
        return 0
    program = loyalty.current_program(session, ctx)[1]
    expires_at = loyalty.entry_expiry(program, clock.now())
    ledger.post(session, ctx, customer_id, points, "bonus", REASONS[what], expires_at=expires_at)
    return points
