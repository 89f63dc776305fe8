from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request

from regulars.merchants.auth import Tx, tx
from regulars.referrals import service
from regulars.referrals.schemas import LeaderboardOut, ReferralOut, ReferredByIn, ReferredOut

router = APIRouter(tags=["referrals"])


@router.get("/customers/{customer_id}/referral", response_model=ReferralOut)
def get_referral(customer_id: uuid.UUID, request: Request, t: Tx = Depends(tx)) -> object:
    """The member's code, join link and share text (made on first ask)."""
    return t.writing(service.referral_of, customer_id, str(request.base_url))


@router.post("/customers/{customer_id}/referred-by", response_model=ReferredOut, status_code=201)
def referred_by(customer_id: uuid.UUID, body: ReferredByIn, t: Tx = Depends(tx)) -> object:
    """A customer who has not bought yet names the member who brought them."""
    return t(service.refer_existing, customer_id, body.code)


@router.get("/referrals/leaderboard", response_model=LeaderboardOut)
def leaderboard(limit: int = Query(20, ge=1, le=100), t: Tx = Depends(tx)) -> object:
    return t(service.leaderboard_out, limit)
