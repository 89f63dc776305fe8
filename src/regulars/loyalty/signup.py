"""The sign-up bonus (L7): the program's `bonuses.signup_points`, once per customer.

Every way a customer joins calls `award_signup_bonus` in the transaction that creates them: the
API and the staff form (through `customers.service.create_customer`), the portal's join page, and
an import when its sign-up bonus setting is on. Exactly once per customer: the account row is
locked (`SELECT ... FOR UPDATE`; on SQLite the write transaction is already exclusive) before the
ledger is looked at, so retried or concurrent calls for one customer queue and the later ones
find the entry. No unique index: a merge of two records of one person moves both records'
entries to the survivor, bonuses included (docs/loyalty.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import PointsEntry
from regulars.loyalty.program import Program

SIGNUP = "signup"  # the reason of the bonus entry (docs/loyalty.md)


def award_signup_bonus(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    """Posts the current program's sign-up points unless this customer already has them; returns
    the points posted (0 when the program gives none or they were given before)."""
    program = loyalty.current_program(session, ctx)[1]
    return _award(session, ctx, customer_id, program.bonuses.signup_points, program)


def award_signup_bonuses(session: Session, ctx: Ctx, customer_ids: Iterable[uuid.UUID]) -> int:
    """The same for many customers (an import batch); returns how many got the bonus."""
    program = loyalty.current_program(session, ctx)[1]
    points = program.bonuses.signup_points
    if points <= 0:
        return 0
    return sum(1 for cid in sorted(customer_ids) if _award(session, ctx, cid, points, program))


def _award(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, points: int, program: Program
) -> int:
    if points <= 0:
        return 0
    ledger.lock_account(session, ctx, customer_id)
    given = session.scalar(
        select(PointsEntry.id)
        .where(
            PointsEntry.merchant_id == ctx.merchant_id,
            PointsEntry.customer_id == customer_id,
            PointsEntry.kind == "bonus",
            PointsEntry.reason == SIGNUP,
        )
        .limit(1)
    )
    if given is not None:
        return 0
    expires_at = loyalty.entry_expiry(program, clock.now())
    ledger.post(session, ctx, customer_id, points, "bonus", SIGNUP, expires_at=expires_at)
    return points
