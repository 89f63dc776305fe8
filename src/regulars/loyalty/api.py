from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from regulars.kit.pagination import page_request
from regulars.kit.schemas import Page
from regulars.loyalty import rewards, service
from regulars.loyalty.program import Program
from regulars.loyalty.schemas import (
    AdjustmentCreate,
    AdjustmentOut,
    LedgerEntryOut,
    LoyaltySummary,
    ProgramOut,
    RedemptionCreate,
    RedemptionOut,
    RewardCreate,
    RewardOut,
    RewardUpdate,
)
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["loyalty"])


def _program_out(t: Tx, saved: tuple[int, Program, Any]) -> dict[str, Any]:
    version, program, at = saved
    return {
        "version": version,
        "currency": t.ctx.merchant.currency,
        "program": program,
        "created_at": at,
    }


@router.get("/program", response_model=ProgramOut)
def get_program(t: Tx = Depends(tx)) -> object:
    return _program_out(t, t(service.current_program))


@router.put("/program", response_model=ProgramOut)
def put_program(body: Program, t: Tx = Depends(tx)) -> object:
    return _program_out(t, t(service.save_program, body))


@router.get("/customers/{customer_id}/ledger", response_model=Page[LedgerEntryOut])
def ledger(
    customer_id: uuid.UUID,
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, max_length=64),
    t: Tx = Depends(tx),
) -> object:
    return t(service.list_ledger, customer_id, page_request(limit, cursor))


@router.post("/customers/{customer_id}/adjustments", response_model=AdjustmentOut, status_code=201)
def adjust(customer_id: uuid.UUID, body: AdjustmentCreate, t: Tx = Depends(tx)) -> object:
    posted = t(service.adjust, customer_id, body)
    entry = {name: posted.entry[name] for name in LedgerEntryOut.model_fields}
    return {"entry": entry, "balance": posted.balance}


@router.get("/customers/{customer_id}/loyalty", response_model=LoyaltySummary)
def loyalty_summary(
    customer_id: uuid.UUID,
    expiring_days: int = Query(
        service.EXPIRING_DAYS, ge=1, le=3650, description="`expiring_soon` counts this many days"
    ),
    t: Tx = Depends(tx),
) -> object:
    return t(service.summary, customer_id, expiring_days)


@router.get("/rewards", response_model=list[RewardOut])
def list_rewards(active: bool = False, t: Tx = Depends(tx)) -> object:
    return t(rewards.list_rewards, active)


@router.post("/rewards", response_model=RewardOut, status_code=201)
def create_reward(body: RewardCreate, t: Tx = Depends(tx)) -> object:
    return t(rewards.create_reward, body)


@router.get("/rewards/{reward_id}", response_model=RewardOut)
def get_reward(reward_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(rewards.get_reward, reward_id)


@router.patch("/rewards/{reward_id}", response_model=RewardOut)
def update_reward(reward_id: uuid.UUID, body: RewardUpdate, t: Tx = Depends(tx)) -> object:
    return t(rewards.update_reward, reward_id, body)


@router.post("/customers/{customer_id}/redemptions", response_model=RedemptionOut, status_code=201)
def redeem(customer_id: uuid.UUID, body: RedemptionCreate, t: Tx = Depends(tx)) -> object:
    voucher, balance = t(rewards.redeem, customer_id, body.reward_id)
    return {"voucher": voucher, "balance": balance}
