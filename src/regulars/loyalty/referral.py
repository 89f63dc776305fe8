"""Points of a referral, a ledger entry of kind `referral` (docs/referrals.md): the friend's
welcome, the referrer's reward, and the reward taken back when the friend's sale is refunded.
Referrals decides when; only this module writes the points."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import ReferralRule

KIND = "referral"
WELCOME = "referral_welcome"
REWARD = "referral_reward"
CLAWBACK = "referral_clawback"


def rule(session: Session, ctx: Ctx) -> ReferralRule:
    return loyalty.current_program(session, ctx)[1].referral


def credit(session: Session, ctx: Ctx, customer_id: uuid.UUID, points: int, reason: str) -> int:
    """Posts `points` (a welcome or a reward), expiring like any earned point; returns them."""
    if points <= 0:
        return 0
    program = loyalty.current_program(session, ctx)[1]
    expires_at = loyalty.entry_expiry(program, clock.now())
    ledger.post(session, ctx, customer_id, points, KIND, reason, expires_at=expires_at)
    return points


def take_back(session: Session, ctx: Ctx, customer_id: uuid.UUID, points: int) -> None:
    """The reward reversed; points already spent leave a debt that later earnings repay."""
    if points > 0:
        ledger.post(session, ctx, customer_id, -points, KIND, CLAWBACK, allow_debt=True)


def tier_of(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> str | None:
    account = loyalty.account_of(session, ctx, customer_id)
    return account.tier_code if account is not None else None
