"""Free inspections, a tier perk (`free_inspections_per_year` of a tier): vouchers of the sku
INSPECTION that after-sales service gives each calendar year (shop time) and uses at a service
visit, exactly once, like any voucher (the conditional UPDATE from `issued`)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, NotFound
from regulars.loyalty import rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.models import Voucher

SKU = "INSPECTION"
SOURCE = "tier_perk"


def _year_bounds(ctx: Ctx, year: int) -> tuple[datetime, datetime]:
    tz = ZoneInfo(ctx.merchant.timezone)
    start = datetime.combine(date(year, 1, 1), time(0), tzinfo=tz)
    return start, datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=tz)


def grant(session: Session, ctx: Ctx, customer_id: uuid.UUID, name: str) -> int:
    """Issues the customer's free inspections of this year still missing; returns how many."""
    account = loyalty.account_of(session, ctx, customer_id)
    tier_code = account.tier_code if account is not None else None
    levels = loyalty.current_program(session, ctx)[1].tiers.levels
    allowed = next((t.free_inspections_per_year for t in levels if t.code == tier_code), 0)
    if allowed <= 0:
        return 0
    start, end = _year_bounds(ctx, clock.today(ctx.merchant.timezone).year)
    given = session.scalar(
        select(func.count()).where(
            Voucher.merchant_id == ctx.merchant_id,
            Voucher.customer_id == customer_id,
            Voucher.source == SOURCE,
            Voucher.sku == SKU,
            Voucher.issued_at >= start,
            Voucher.issued_at < end,
        )
    )
    missing = allowed - int(given or 0)
    for _ in range(missing):
        rewards.issue_voucher(
            session, ctx, customer_id, source=SOURCE, name=name, kind="free_item", sku=SKU,
            points_cost=0, expires_at=end,
        )  # fmt: skip
    return max(missing, 0)


def use(session: Session, ctx: Ctx, customer_id: uuid.UUID, code: str) -> Voucher:
    """Marks the customer's free-inspection voucher used; 404 unknown, 409 used or expired."""
    voucher = rewards.find_voucher(session, ctx, code)
    if voucher is None or voucher.customer_id != customer_id or voucher.sku != SKU:
        raise NotFound("no free inspection with this code for this customer")
    now = clock.now()
    won = session.execute(
        update(Voucher)
        .where(
            Voucher.merchant_id == ctx.merchant_id,
            Voucher.id == voucher.id,
            Voucher.status == "issued",
            Voucher.expires_at > now,
        )
        .values(status="used", used_at=now)
        .returning(Voucher.id)
    ).scalar_one_or_none()
    if won is None:
        raise Conflict("this free inspection was already used or has expired")
    return voucher


def open_for(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[Voucher]:
    return list(
        session.scalars(
            select(Voucher).where(
                Voucher.merchant_id == ctx.merchant_id,
                Voucher.customer_id == customer_id,
                Voucher.sku == SKU,
                Voucher.status == "issued",
                Voucher.expires_at > clock.now(),
            )
        )
    )
