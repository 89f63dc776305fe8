"""The rewards catalogue and single-use vouchers: redeeming points, using a voucher once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.kit import clock, codes
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.loyalty import ledger
from regulars.loyalty.models import Reward, Voucher
from regulars.loyalty.schemas import RewardCreate, RewardUpdate
from regulars.merchants import service as merchants

VOUCHER_CODE_LENGTH = 12  # 60 bits from `secrets`


class OutOfStock(Conflict):
    slug, title = "out-of-stock", "Reward out of stock"


def create_reward(session: Session, ctx: Ctx, data: RewardCreate) -> Reward:
    merchants.require_role(ctx, "manager")
    reward = Reward(merchant_id=ctx.merchant_id, **data.model_dump())
    session.add(reward)
    session.flush()
    merchants.record_audit(session, ctx, "reward.created", "reward", reward.id)
    return reward


def list_rewards(session: Session, ctx: Ctx, active_only: bool = False) -> Sequence[Reward]:
    q = select(Reward).where(Reward.merchant_id == ctx.merchant_id)
    if active_only:
        q = q.where(Reward.active.is_(True))
    return session.scalars(q.order_by(Reward.cost_points, Reward.id)).all()


def get_reward(session: Session, ctx: Ctx, reward_id: uuid.UUID) -> Reward:
    reward = session.get(Reward, (ctx.merchant_id, reward_id))
    if reward is None:
        raise NotFound("reward not found")
    return reward


def update_reward(session: Session, ctx: Ctx, reward_id: uuid.UUID, data: RewardUpdate) -> Reward:
    merchants.require_role(ctx, "manager")
    reward = get_reward(session, ctx, reward_id)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        setattr(reward, key, value)
    merchants.record_audit(session, ctx, "reward.updated", "reward", reward.id, changes)
    session.flush()
    return reward


def issue_voucher(session: Session, ctx: Ctx, customer_id: uuid.UUID, **fields: Any) -> Voucher:
    for _attempt in range(5):
        voucher = Voucher(
            merchant_id=ctx.merchant_id,
            customer_id=customer_id,
            code=codes.random_code(VOUCHER_CODE_LENGTH),
            **fields,
        )
        try:
            with session.begin_nested():
                session.add(voucher)
                session.flush()
            return voucher
        except IntegrityError:
            continue
    raise Conflict("could not allocate a voucher code; try again")


def redeem(
    session: Session,
    ctx: Ctx,
    customer_id: uuid.UUID,
    reward_id: uuid.UUID,
    request_key: str | None = None,
) -> tuple[Voucher, int]:
    """Points -> a single-use voucher. 409 when the balance or the stock does not cover it.

    `request_key` (the till's or the portal form's) names one redemption: sent again, it gets
    the voucher it made the first time, so a retried request never spends twice. The customer's
    account is locked first (lock order: account, then the reward's stock), so two requests
    with one key queue and the second finds the first's voucher."""
    customer = customers.get_customer(session, ctx, customer_id)
    account = ledger.lock_account(session, ctx, customer.id)
    if request_key:
        earlier = session.scalar(
            select(Voucher).where(
                Voucher.merchant_id == ctx.merchant_id, Voucher.request_key == request_key
            )
        )
        if earlier is not None:
            if earlier.customer_id != customer.id or earlier.reward_id != reward_id:
                raise Conflict("this request key was used for another redemption")
            return earlier, account.balance
    reward = get_reward(session, ctx, reward_id)
    if not reward.active:
        raise Conflict("this reward is not offered now")
    if reward.stock is not None:  # unlimited rewards take no lock on the reward row
        took = session.execute(
            update(Reward)
            .where(Reward.merchant_id == ctx.merchant_id, Reward.id == reward.id, Reward.stock > 0)
            .values(stock=Reward.stock - 1)
            .returning(Reward.id)
        ).scalar_one_or_none()
        if took is None:
            raise OutOfStock("no stock left for this reward")
    now = clock.now()
    voucher = issue_voucher(
        session,
        ctx,
        customer.id,
        reward_id=reward.id,
        source="redemption",
        name=reward.name,
        names=dict(reward.names or {}),
        kind=reward.kind,
        amount=reward.amount,
        percent=reward.percent,
        sku=reward.sku,
        points_cost=reward.cost_points,
        issued_at=now,
        expires_at=now + timedelta(days=reward.valid_days),
        request_key=request_key or None,
    )
    posted = ledger.post(
        session,
        ctx,
        customer.id,
        -reward.cost_points,
        "redeem",
        ledger.reward_reason(reward.name),
        voucher_id=voucher.id,
    )
    return voucher, posted.balance


@dataclass(frozen=True)
class Usable:
    """A voucher a sale may apply: what pricing needs of it (checkout/pricing.py)."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    amount: int
    percent: int
    sku: str | None


def usable_vouchers(
    session: Session, ctx: Ctx, codes_in: Sequence[str], customer_id: uuid.UUID | None
) -> list[Usable]:
    """The vouchers a sale names (`vouchers`), each the customer's own, unused and unexpired;
    the error names the field (`vouchers.<i>`)."""
    found: list[Usable] = []
    for i, code in enumerate(codes_in):
        field_name = f"vouchers.{i}"
        voucher = find_voucher(session, ctx, code)
        if voucher is None or customer_id is None or voucher.customer_id != customer_id:
            raise InvalidField(field_name, "unknown voucher for this customer")
        if any(v.id == voucher.id for v in found):
            raise InvalidField(field_name, "the same voucher twice")
        if voucher.status != "issued":
            raise Conflict(
                f"voucher {i} was already used", [{"field": field_name, "message": "used"}]
            )
        if voucher.expires_at <= clock.now():
            raise InvalidField(field_name, "the voucher has expired")
        v = voucher
        found.append(Usable(v.id, v.code, v.name, v.kind, v.amount, v.percent, v.sku))
    return found


def find_voucher(session: Session, ctx: Ctx, code: str) -> Voucher | None:
    normalized = codes.normalize(code)
    if not normalized:
        return None
    q = select(Voucher).where(Voucher.merchant_id == ctx.merchant_id, Voucher.code == normalized)
    return session.scalar(q.execution_options(populate_existing=True))


def consume_voucher(
    session: Session, ctx: Ctx, voucher_id: uuid.UUID, purchase_id: uuid.UUID
) -> bool:
    """Mark used exactly once: only the transaction whose UPDATE matches 'issued' wins."""
    now = clock.now()
    won = session.execute(
        update(Voucher)
        .where(
            Voucher.merchant_id == ctx.merchant_id,
            Voucher.id == voucher_id,
            Voucher.status == "issued",
            Voucher.expires_at > now,
        )
        .values(status="used", used_at=now, purchase_id=purchase_id)
        .returning(Voucher.id)
    ).scalar_one_or_none()
    return won is not None


def open_vouchers(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> Sequence[Voucher]:
    q = select(Voucher).where(
        Voucher.merchant_id == ctx.merchant_id,
        Voucher.customer_id == customer_id,
        Voucher.status == "issued",
        Voucher.expires_at > clock.now(),
    )
    return session.scalars(q.order_by(Voucher.expires_at)).all()
