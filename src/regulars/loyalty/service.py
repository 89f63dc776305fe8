"""Loyalty rules applied to the database: program versions, adjustments, rewards, vouchers,
stamps and tiers. Checkout calls into here; routes call into here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, NotFound
from regulars.kit.money import exponent
from regulars.kit.pagination import Page, PageRequest, paginate
from regulars.kit.sql import insert_ignore
from regulars.loyalty import ledger, rewards, rules, tiers
from regulars.loyalty.models import (
    EntryMessage,
    LoyaltyAccount,
    PointsEntry,
    ProgramVersion,
    StampProgress,
)
from regulars.loyalty.program import Program, StampCard, default_program, plain
from regulars.loyalty.schemas import AdjustmentCreate
from regulars.merchants import service as merchants

EXPIRING_DAYS = 30


# --- program -------------------------------------------------------------------------------


_parsed: dict[tuple[uuid.UUID, int], Program] = {}
_latest: dict[uuid.UUID, int] = {}  # the newest version this process has seen, per merchant


def _program(merchant_id: uuid.UUID, version: int, config: dict[str, Any]) -> Program:
    """Versions never change once saved, so each is validated once per process."""
    key = (merchant_id, version)
    program = _parsed.get(key)
    if program is None:
        if len(_parsed) > 4096:
            _parsed.clear()
            _latest.clear()
        program = _parsed[key] = Program.model_validate(config)
    if version > _latest.get(merchant_id, -1):
        _latest[merchant_id] = version
    return program


def current_program(session: Session, ctx: Ctx) -> tuple[int, Program, datetime | None]:
    """(version, program, saved_at); version 0 is the default a new merchant starts with."""
    q = (
        select(ProgramVersion.version, ProgramVersion.config, ProgramVersion.created_at)
        .where(ProgramVersion.merchant_id == ctx.merchant_id)
        .order_by(ProgramVersion.version.desc())
        .limit(1)
    )
    row = session.execute(q).first()
    if row is None:
        _latest.setdefault(ctx.merchant_id, 0)
        return 0, default_program(exponent(ctx.merchant.currency)), None
    version, config, created_at = row
    return version, _program(ctx.merchant_id, version, config), created_at


def likely_program(session: Session, ctx: Ctx) -> tuple[int, Program]:
    """The newest version this process has seen, without a query once one was seen: for the
    hot path, which reads the current version number in a statement of its own and switches
    (`program_version`) in the rare case that it moved on."""
    version = _latest.get(ctx.merchant_id)
    if version is None:
        version, program, _at = current_program(session, ctx)
        return version, program
    return version, program_version(session, ctx, version)


def save_program(session: Session, ctx: Ctx, program: Program) -> tuple[int, Program, datetime]:
    """A new version from now on; past entries keep the rules they were made with."""
    merchants.require_role(ctx, "manager")
    version, _old, _at = current_program(session, ctx)
    row = ProgramVersion(
        merchant_id=ctx.merchant_id,
        version=version + 1,
        config=program.model_dump(mode="json"),
        actor_type=ctx.actor.kind,
        actor_id=ctx.actor.id,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("the program was changed at the same time; reload and save again") from None
    merchants.record_audit(
        session, ctx, "program.saved", "program", row.id, {"version": row.version}
    )
    return row.version, program, row.created_at


# --- ledger --------------------------------------------------------------------------------


def entry_expiry(program: Program, at: datetime) -> datetime | None:
    if not program.expiry_months:
        return None
    return clock.add_months(at, program.expiry_months)


def list_ledger(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, req: PageRequest
) -> Page[PointsEntry]:
    customer = customers.get_customer(session, ctx, customer_id)
    q = select(PointsEntry).where(
        PointsEntry.merchant_id == ctx.merchant_id, PointsEntry.customer_id == customer.id
    )
    if req.after:
        q = q.where(PointsEntry.id < req.after)
    q = q.options(selectinload(PointsEntry.customer_message))
    rows = session.scalars(q.order_by(PointsEntry.id.desc()).limit(req.limit + 1)).all()
    return paginate(rows, req, key=lambda e: e.id)


@dataclass(frozen=True)
class Adjusted:
    entry: dict[str, Any]  # the entry's columns and its `message`
    balance: int


def adjust(session: Session, ctx: Ctx, customer_id: uuid.UUID, data: AdjustmentCreate) -> Adjusted:
    """Manager correction with a reason (an internal note) and, optionally, a message that the
    customer reads instead; never overdraws; audited."""
    merchants.require_role(ctx, "manager")
    customer = customers.get_customer(session, ctx, customer_id)
    posted = ledger.post(session, ctx, customer.id, data.points, "adjust", data.reason)
    if data.message:
        session.add(
            EntryMessage(
                merchant_id=ctx.merchant_id, entry_id=posted.entry["id"], message=data.message
            )
        )
        session.flush()
    merchants.record_audit(
        session, ctx, "points.adjusted", "customer", customer.id, {"points": data.points}
    )
    return Adjusted({**posted.entry, "message": data.message}, posted.balance)


# --- stamps ----------------------------------------------------------------------------------


def remove_stamps(
    session: Session,
    ctx: Ctx,
    customer_id: uuid.UUID,
    program: Program,
    lines: Sequence[rules.Line],
) -> None:
    """A refund takes back the stamps its items gave, down to zero (a free item already handed
    over stays given)."""
    for card in program.stamp_cards:
        qty = rules.stamp_quantity(card, lines)
        if qty:
            row = lock_stamps(session, ctx, customer_id, card.code)
            row.stamps = max(0, row.stamps - qty)
            row.updated_at = clock.now()
    session.flush()


def lock_stamps(session: Session, ctx: Ctx, customer_id: uuid.UUID, card: str) -> StampProgress:
    insert_ignore(
        session,
        StampProgress.__table__,  # type: ignore[arg-type]
        {
            "merchant_id": ctx.merchant_id,
            "customer_id": customer_id,
            "card_code": card,
            "stamps": 0,
            "completed": 0,
            "updated_at": clock.now(),
        },
    )
    q = (
        select(StampProgress)
        .where(
            StampProgress.merchant_id == ctx.merchant_id,
            StampProgress.customer_id == customer_id,
            StampProgress.card_code == card,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.scalars(q).one()


class StampOut(TypedDict):
    """A stamp card as the till, the portal and a sale's answer show it."""

    card: str
    name: str
    stamps: int
    required: int
    reward_name: str
    completed_now: int
    names: dict[str, str]  # `name` in other languages
    reward_names: dict[str, str]


def stamp_out(card: StampCard, stamps: int, completed_now: int = 0) -> StampOut:
    return {
        "card": card.code,
        "name": card.name,
        "stamps": stamps,
        "required": card.stamps_required,
        "reward_name": card.reward_name,
        "completed_now": completed_now,
        "names": plain(card.names),
        "reward_names": plain(card.reward_names),
    }


def stamps_of(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, program: Program
) -> list[StampOut]:
    q = select(StampProgress).where(
        StampProgress.merchant_id == ctx.merchant_id, StampProgress.customer_id == customer_id
    )
    have = {row.card_code: row.stamps for row in session.scalars(q)}
    return [stamp_out(card, have.get(card.code, 0)) for card in program.stamp_cards]


def account_of(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> LoyaltyAccount | None:
    # populate_existing: balances move by direct UPDATEs, so a cached object could be stale
    return session.get(LoyaltyAccount, (ctx.merchant_id, customer_id), populate_existing=True)


def summary(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, expiring_days: int = EXPIRING_DAYS
) -> dict[str, Any]:
    """What the till and the portal show: balance, points expiring within `expiring_days`, tier
    progress, stamps, open vouchers."""
    customer = customers.get_customer(session, ctx, customer_id)
    _version, program, _at = current_program(session, ctx)
    account = account_of(session, ctx, customer.id)
    return {
        "customer_id": customer.id,
        "currency": ctx.merchant.currency,
        "balance": account.balance if account else 0,
        "lifetime_earned": account.lifetime_earned if account else 0,
        "expiring_soon": ledger.expiring_within(session, ctx, customer.id, expiring_days),
        "expiring_days": expiring_days,
        "tier": tiers.account_tier_out(program, account),
        "stamps": stamps_of(session, ctx, customer.id, program),
        "vouchers": rewards.open_vouchers(session, ctx, customer.id),
    }


def ledger_sum(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    q = select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
        PointsEntry.merchant_id == ctx.merchant_id, PointsEntry.customer_id == customer_id
    )
    return int(session.scalar(q) or 0)


def program_version(session: Session, ctx: Ctx, version: int) -> Program:
    """The rules of one version: a past sale's (refunds reverse with those, not today's), or the
    current one when the hot path has just read its number."""
    if version == 0:
        return default_program(exponent(ctx.merchant.currency))
    program = _parsed.get((ctx.merchant_id, version))
    if program is not None:
        return program
    q = select(ProgramVersion.config).where(
        ProgramVersion.merchant_id == ctx.merchant_id, ProgramVersion.version == version
    )
    config = session.scalar(q)
    if config is None:
        raise NotFound("program version not found")
    return _program(ctx.merchant_id, version, config)


def earn_expiry_of(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> datetime | None:
    q = select(func.min(PointsEntry.expires_at)).where(
        PointsEntry.merchant_id == ctx.merchant_id,
        PointsEntry.purchase_id == purchase_id,
        PointsEntry.points > 0,
        PointsEntry.kind.in_(ledger.EARNING_KINDS),
    )
    return session.scalar(q)


def tier_counts(session: Session, ctx: Ctx) -> list[tuple[str | None, int]]:
    """How many customers hold each tier (None: no tier yet)."""
    q = (
        select(LoyaltyAccount.tier_code, func.count())
        .where(LoyaltyAccount.merchant_id == ctx.merchant_id)
        .group_by(LoyaltyAccount.tier_code)
    )
    return [(code, int(n)) for code, n in session.execute(q)]
