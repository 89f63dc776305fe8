"""Coupons: campaigns, their codes, whether a code may be used now, and its use in a sale.

A sale applies its `coupon_codes` after the member's vouchers (checkout's `coupons` step) and
uses them in its own transaction (its `coupons` RECORD step, `consume`). The stacking rules and
the reason codes are in docs/offers.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.checkout.pricing import PricedLine, VoucherSpec, apply_vouchers
from regulars.checkout.schemas import CustomerRef
from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.kit.ids import new_id, new_ids
from regulars.kit.sql import Prebuilt
from regulars.loyalty import sale as loyalty_sale
from regulars.merchants import service as merchants
from regulars.offers import codes
from regulars.offers.models import CouponCampaign, CouponCode, CouponCustomerUse, CouponRedemption
from regulars.offers.reasons import REASONS, reason_text
from regulars.offers.schemas import CampaignCreate, CampaignUpdate, ValidateIn, check_value

FIELD = "coupon_codes"


class Refused(InvalidField):
    """A code that may not be used in this sale; `reason_code` is one of docs/offers.md."""

    def __init__(self, field: str, reason_code: str):
        super().__init__(field, f"{reason_code}: {REASONS[reason_code]}")
        self.reason_code = reason_code
        self.errors[0]["reason_code"] = reason_code


# --- campaigns ---------------------------------------------------------------------------------


def _local(ctx: Ctx, value: datetime | None) -> datetime | None:
    """A time as given: with an offset as is, without one in the shop's time zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=ZoneInfo(ctx.merchant.timezone))


def create_campaign(session: Session, ctx: Ctx, data: CampaignCreate) -> CouponCampaign:
    merchants.require_role(ctx, "manager")
    fields = data.model_dump(exclude={"code", "starts_at", "ends_at"})
    starts, ends = _local(ctx, data.starts_at), _local(ctx, data.ends_at)
    if starts and ends and ends <= starts:
        raise InvalidField("ends_at", "must be after starts_at")
    campaign = CouponCampaign(merchant_id=ctx.merchant_id, starts_at=starts, ends_at=ends, **fields)
    session.add(campaign)
    session.flush()
    if data.code is not None:
        code = codes.normalize_shared(data.code)
        if not code:
            raise InvalidField("code", "letters and digits only, 3 to 32 of them")
        try:
            with session.begin_nested():
                session.add(
                    CouponCode(
                        merchant_id=ctx.merchant_id,
                        campaign_id=campaign.id,
                        code=code,
                        single_use=False,
                    )
                )
                session.flush()
        except IntegrityError:
            raise Conflict(
                "code: this code is already in use", [{"field": "code", "message": "taken"}]
            ) from None
    merchants.record_audit(session, ctx, "coupon_campaign.created", "coupon_campaign", campaign.id)
    return campaign


def list_campaigns(session: Session, ctx: Ctx) -> Sequence[CouponCampaign]:
    q = select(CouponCampaign).where(CouponCampaign.merchant_id == ctx.merchant_id)
    return session.scalars(q.order_by(CouponCampaign.created_at.desc(), CouponCampaign.id)).all()


def get_campaign(session: Session, ctx: Ctx, campaign_id: uuid.UUID) -> CouponCampaign:
    campaign = session.get(CouponCampaign, (ctx.merchant_id, campaign_id))
    if campaign is None:
        raise NotFound("coupon campaign not found")
    return campaign


def update_campaign(
    session: Session, ctx: Ctx, campaign_id: uuid.UUID, data: CampaignUpdate
) -> CouponCampaign:
    merchants.require_role(ctx, "manager")
    campaign = get_campaign(session, ctx, campaign_id)
    changes = data.model_dump(exclude_unset=True)
    for key, value in changes.items():
        if value is None and not CouponCampaign.__table__.columns[key].nullable:
            raise InvalidField(key, "must not be null")
    for key in ("starts_at", "ends_at"):
        if key in changes:
            changes[key] = _local(ctx, changes[key])
    after = {c: changes.get(c, getattr(campaign, c)) for c in ("value", "sku", "starts_at")}
    try:
        check_value(campaign.kind, after["value"], after["sku"])
    except ValueError as exc:
        field, message = str(exc).split(": ", 1)
        raise InvalidField(field, message) from None
    ends = changes.get("ends_at", campaign.ends_at)
    if after["starts_at"] and ends and ends <= after["starts_at"]:
        raise InvalidField("ends_at", "must be after starts_at")
    limit = changes.get("total_limit", campaign.total_limit)
    if limit is not None and limit < campaign.used:
        raise InvalidField("total_limit", f"already used {campaign.used} times")
    for key, value in changes.items():
        setattr(campaign, key, value)
    campaign.updated_at = clock.now()
    audit = {k: str(v) if isinstance(v, datetime) else v for k, v in changes.items()}
    merchants.record_audit(
        session, ctx, "coupon_campaign.updated", "coupon_campaign", campaign.id, audit
    )
    session.flush()
    return campaign


def shared_code(session: Session, ctx: Ctx, campaign_id: uuid.UUID) -> str | None:
    q = select(CouponCode.code).where(
        CouponCode.merchant_id == ctx.merchant_id,
        CouponCode.campaign_id == campaign_id,
        CouponCode.single_use.is_(False),
    )
    return session.scalar(q.limit(1))


def campaign_out(session: Session, ctx: Ctx, campaign: CouponCampaign) -> dict[str, Any]:
    zone = ZoneInfo(ctx.merchant.timezone)
    out = {
        c.key: getattr(campaign, c.key)
        for c in CouponCampaign.__table__.columns
        if c.key not in ("merchant_id", "updated_at")
    }
    for key in ("starts_at", "ends_at"):
        out[key] = out[key].astimezone(zone) if out[key] else None
    out["code"] = shared_code(session, ctx, campaign.id)
    return out


# --- codes -------------------------------------------------------------------------------------


_INSERT_CODES = Prebuilt(insert(CouponCode.__table__))  # type: ignore[arg-type]


def add_codes(session: Session, ctx: Ctx, campaign_id: uuid.UUID, count: int) -> int:
    """`count` new single-use codes for the campaign, in this transaction, in one executemany.
    Codes are drawn distinct; one that already exists (odds in docs/offers.md) fails the unique
    key, and the batch is drawn again in its savepoint."""
    merchants.require_role(ctx, "manager")
    get_campaign(session, ctx, campaign_id)
    now, merchant_id = clock.now(), ctx.merchant_id
    for _attempt in range(5):
        same = {
            "merchant_id": merchant_id,
            "campaign_id": campaign_id,
            "single_use": True,
            "created_at": now,
        }
        rows = [
            {"id": id_, "code": code}
            for id_, code in zip(new_ids(count), codes.new_codes(count), strict=True)
        ]
        try:
            with session.begin_nested():
                _INSERT_CODES.many(session, rows, same)
            return count
        except IntegrityError:
            continue
    raise Conflict("could not draw enough distinct codes; try again")


def personal_code(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, campaign_id: uuid.UUID, valid_days: int
) -> CouponCode:
    """A single-use code only this customer may use, until `valid_days` from now (birthday and
    anniversary messages hand one out)."""
    customer = customers.get_customer(session, ctx, customer_id)
    get_campaign(session, ctx, campaign_id)
    for _attempt in range(5):
        code = CouponCode(
            merchant_id=ctx.merchant_id,
            campaign_id=campaign_id,
            code=codes.new_codes(1)[0],
            customer_id=customer.id,
            expires_at=clock.now() + timedelta(days=valid_days),
        )
        try:
            with session.begin_nested():
                session.add(code)
                session.flush()
            return code
        except IntegrityError:
            continue
    raise Conflict("could not draw a distinct code; try again")


def issue_personal_code(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, campaign_id: uuid.UUID, valid_days: int
) -> CouponCode:
    """A personal code asked for through the API or a page (managers)."""
    merchants.require_role(ctx, "manager")
    return personal_code(session, ctx, customer_id, campaign_id, valid_days)


def code_page(
    session: Session, ctx: Ctx, campaign_id: uuid.UUID, after: uuid.UUID | None, size: int
) -> Sequence[CouponCode]:
    """The campaign's codes in creation order, `size` after the id `after` (keyset paging)."""
    q = select(CouponCode).where(
        CouponCode.merchant_id == ctx.merchant_id, CouponCode.campaign_id == campaign_id
    )
    if after is not None:
        q = q.where(CouponCode.id > after)
    return session.scalars(q.order_by(CouponCode.id).limit(size)).all()


def count_codes(session: Session, ctx: Ctx, campaign_id: uuid.UUID) -> int:
    q = select(func.count()).where(
        CouponCode.merchant_id == ctx.merchant_id, CouponCode.campaign_id == campaign_id
    )
    return int(session.scalar(q) or 0)


# --- may this code be used? ----------------------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    customer_id: uuid.UUID
    tier: str | None


@dataclass(frozen=True)
class Applied:
    """A code a sale applies, with what pricing and recording need of its campaign."""

    code_id: uuid.UUID
    code: str
    campaign_id: uuid.UUID
    kind: str
    value: int
    sku: str | None
    skus: tuple[str, ...]
    categories: tuple[str, ...]
    single_use: bool
    stackable: bool
    total_limit: int | None
    per_customer_limit: int | None

    def spec(self) -> VoucherSpec:
        amount = self.value if self.kind == "amount_off" else 0
        percent = self.value if self.kind == "percent_off" else 0
        return VoucherSpec(
            self.code, "", self.kind, amount, percent, self.sku, self.skus, self.categories
        )


_C, _K = CouponCode, CouponCampaign
_FIND = (
    select(_C, _K)
    .join(_K, and_(_K.merchant_id == _C.merchant_id, _K.id == _C.campaign_id))
    .execution_options(populate_existing=True)
)


def _uses(session: Session, ctx: Ctx, campaign_id: uuid.UUID, customer_id: uuid.UUID) -> int:
    q = select(CouponCustomerUse.used).where(
        CouponCustomerUse.merchant_id == ctx.merchant_id,
        CouponCustomerUse.campaign_id == campaign_id,
        CouponCustomerUse.customer_id == customer_id,
    )
    return int(session.scalar(q) or 0)


def check(
    session: Session,
    ctx: Ctx,
    text: str,
    buyer: Buyer | None,
    lines: Sequence[PricedLine] | None,
    taken: Sequence[Applied] = (),
    field: str = "code",
) -> Applied:
    """The code if it may be used now by `buyer` on `lines` (None: the basket is not known yet)
    along with the coupons already `taken` in the sale; else Refused with the first reason that
    applies, in the order of docs/offers.md. A code of another merchant is `unknown`, exactly
    like a code that does not exist."""
    normalized = codes.normalize(text)
    row = (
        session.execute(
            _FIND.where(_C.merchant_id == ctx.merchant_id, _C.code == normalized)
        ).first()
        if normalized
        else None
    )
    if row is None:
        raise Refused(field, "unknown")
    code, campaign = row
    if any(t.code_id == code.id or t.campaign_id == campaign.id for t in taken):
        raise Refused(field, "duplicate")
    now = clock.now()
    reason = _refusal(session, ctx, code, campaign, buyer, now)
    if reason is None:
        if taken and (not campaign.stackable or not all(t.stackable for t in taken)):
            reason = "not_stackable"
        elif lines is not None:
            reason = _basket_refusal(campaign, lines)
    if reason is not None:
        raise Refused(field, reason)
    return Applied(
        code.id, code.code, campaign.id, campaign.kind, campaign.value, campaign.sku,
        tuple(campaign.skus), tuple(campaign.categories), code.single_use, campaign.stackable,
        campaign.total_limit, campaign.per_customer_limit,
    )  # fmt: skip


def _refusal(
    session: Session,
    ctx: Ctx,
    code: CouponCode,
    campaign: CouponCampaign,
    buyer: Buyer | None,
    now: datetime,
) -> str | None:
    if not campaign.active:
        return "inactive"
    if campaign.starts_at is not None and now < campaign.starts_at:
        return "not_started"
    ends = [t for t in (campaign.ends_at, code.expires_at) if t is not None]
    if ends and now >= min(ends):
        return "expired"
    if code.single_use and code.used_at is not None:
        return "used"
    if campaign.total_limit is not None and campaign.used >= campaign.total_limit:
        return "exhausted"
    personal = code.customer_id is not None
    if buyer is None and (personal or campaign.tiers or campaign.per_customer_limit):
        return "needs_customer"
    if buyer is None:
        return None
    if personal and code.customer_id != buyer.customer_id:
        return "other_customer"
    if campaign.tiers and buyer.tier not in campaign.tiers:
        return "tier"
    limit = campaign.per_customer_limit
    if limit is not None and _uses(session, ctx, campaign.id, buyer.customer_id) >= limit:
        return "customer_limit"
    return None


def _in_scope(campaign: CouponCampaign, line: PricedLine) -> bool:
    if not campaign.skus and not campaign.categories:
        return True
    return line.sku in campaign.skus or line.category in campaign.categories


def _basket_refusal(campaign: CouponCampaign, lines: Sequence[PricedLine]) -> str | None:
    if sum(line.net for line in lines) < campaign.min_spend:
        return "min_spend"
    if campaign.kind == "free_item":
        if not any(line.sku == campaign.sku and line.free_units < line.quantity for line in lines):
            return "not_in_basket"
    elif not any(_in_scope(campaign, line) for line in lines):
        return "not_in_basket"
    return None


def usable_coupons(
    session: Session,
    ctx: Ctx,
    texts: Sequence[str],
    buyer: Buyer | None,
    lines: Sequence[PricedLine],
) -> list[Applied]:
    """The coupons a sale names, each checked against the ones before it; the error names
    `coupon_codes.<i>`."""
    found: list[Applied] = []
    for i, text in enumerate(texts):
        found.append(check(session, ctx, text, buyer, lines, found, f"{FIELD}.{i}"))
    return found


def apply(lines: list[PricedLine], applied: Sequence[Applied]) -> list[int]:
    """Sets the line discounts the coupons give (free item, then amount off, then percent off
    on what is left); the discount of each, in order."""
    try:
        return apply_vouchers(lines, [a.spec() for a in applied], field=FIELD)
    except InvalidField as exc:  # the free item went to a voucher first
        raise Refused(exc.field, "not_in_basket") from None


# --- using a code in a sale ---------------------------------------------------------------------


def _upsert_use(session: Session, limit: int | None) -> Any:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    use = CouponCustomerUse
    stmt = module.insert(use)
    guard = None if limit is None else use.used < limit
    return stmt.on_conflict_do_update(
        index_elements=[use.merchant_id, use.campaign_id, use.customer_id],
        set_={"used": use.used + 1},
        where=guard,
    ).returning(use.used)


def consume(
    session: Session,
    ctx: Ctx,
    applied: Sequence[Applied],
    amounts: Sequence[int],
    purchase_id: uuid.UUID,
    customer_id: uuid.UUID | None,
) -> None:
    """Uses each code once, in the sale's transaction. Every guard is one conditional statement
    (see models.py): a sale that loses a race to the last use is refused with the reason, and
    the runner rolls the whole sale back."""
    now = clock.now()
    for i, (a, amount) in enumerate(zip(applied, amounts, strict=True)):
        field = f"{FIELD}.{i}"
        if a.single_use:
            won = session.execute(
                update(CouponCode)
                .where(
                    CouponCode.merchant_id == ctx.merchant_id,
                    CouponCode.id == a.code_id,
                    CouponCode.used_at.is_(None),
                    or_(CouponCode.expires_at.is_(None), CouponCode.expires_at > now),
                )
                .values(used_at=now, purchase_id=purchase_id)
                .returning(CouponCode.id)
            ).first()
            if won is None:
                raise Refused(field, "used")
        counted = session.execute(
            update(CouponCampaign)
            .where(
                CouponCampaign.merchant_id == ctx.merchant_id,
                CouponCampaign.id == a.campaign_id,
                CouponCampaign.active.is_(True),
                or_(
                    CouponCampaign.total_limit.is_(None),
                    CouponCampaign.used < CouponCampaign.total_limit,
                ),
            )
            .values(used=CouponCampaign.used + 1)
            .returning(CouponCampaign.id)
        ).first()
        if counted is None:
            raise Refused(field, "exhausted")
        if customer_id is not None:
            row = {
                "merchant_id": ctx.merchant_id,
                "campaign_id": a.campaign_id,
                "customer_id": customer_id,
                "used": 1,
            }
            if session.execute(_upsert_use(session, a.per_customer_limit), row).first() is None:
                raise Refused(field, "customer_limit")
        session.execute(
            insert(CouponRedemption),
            {
                "merchant_id": ctx.merchant_id,
                "id": new_id(),
                "campaign_id": a.campaign_id,
                "code_id": a.code_id,
                "purchase_id": purchase_id,
                "customer_id": customer_id,
                "amount": amount,
                "created_at": now,
            },
        )


def release(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> int:
    """A fully refunded sale gives back the uses of its coupons whose campaign says so; how many
    were given back. Safe to call twice (a released use is not released again)."""
    q = (
        select(CouponRedemption, CouponCampaign)
        .join(
            CouponCampaign,
            and_(
                CouponCampaign.merchant_id == CouponRedemption.merchant_id,
                CouponCampaign.id == CouponRedemption.campaign_id,
            ),
        )
        .where(
            CouponRedemption.merchant_id == ctx.merchant_id,
            CouponRedemption.purchase_id == purchase_id,
            CouponRedemption.released_at.is_(None),
            CouponCampaign.release_on_refund.is_(True),
        )
        .order_by(CouponRedemption.id)
    )
    now, released = clock.now(), 0
    for redemption, campaign in session.execute(q).all():
        redemption.released_at = now
        session.execute(
            update(CouponCode)
            .where(
                CouponCode.merchant_id == ctx.merchant_id,
                CouponCode.id == redemption.code_id,
                CouponCode.single_use.is_(True),
                CouponCode.purchase_id == purchase_id,
            )
            .values(used_at=None, purchase_id=None)
        )
        session.execute(
            update(CouponCampaign)
            .where(CouponCampaign.merchant_id == ctx.merchant_id, CouponCampaign.id == campaign.id)
            .values(used=CouponCampaign.used - 1)
        )
        if redemption.customer_id is not None:
            session.execute(
                update(CouponCustomerUse)
                .where(
                    CouponCustomerUse.merchant_id == ctx.merchant_id,
                    CouponCustomerUse.campaign_id == campaign.id,
                    CouponCustomerUse.customer_id == redemption.customer_id,
                )
                .values(used=CouponCustomerUse.used - 1)
            )
        released += 1
    session.flush()
    return released


def printed(code: str) -> str:
    """A code as a receipt or a sale's answer shows it."""
    return codes.printed(code)


def export_codes(session: Session, ctx: Ctx, campaign_id: uuid.UUID) -> CouponCampaign:
    """May this caller download the campaign's codes? (managers; another merchant's is a 404)"""
    merchants.require_role(ctx, "manager")
    return get_campaign(session, ctx, campaign_id)


# --- the till's and the API's question ----------------------------------------------------------


def _buyer(session: Session, ctx: Ctx, ref: CustomerRef) -> tuple[Buyer, str | None]:
    field = "id" if ref.id else "phone" if ref.phone else "member_code"
    try:
        column, key = (
            ("id", ref.id)
            if ref.id is not None
            else customers.identity_key(ctx, phone=ref.phone, code=ref.member_code)
        )
        member = loyalty_sale.member(session, ctx, column, key, lock=False)
    except (NotFound, InvalidField):
        raise InvalidField(f"customer.{field}", "no such customer") from None
    return Buyer(member.customer_id, member.tier.code), member.locale


def validate(session: Session, ctx: Ctx, data: ValidateIn) -> dict[str, Any]:
    """{valid, reason_code, reason}: may the code be used now, by this customer, on these lines
    (when given), with the reason in the customer's language (else the shop's)."""
    buyer, locale = _buyer(session, ctx, data.customer) if data.customer else (None, None)
    lines = None
    if data.lines:
        lines = [
            PricedLine(ln.sku, ln.name, ln.category, ln.quantity, ln.unit_price)
            for ln in data.lines
        ]
    reason_code: str | None = None
    try:
        check(session, ctx, data.code, buyer, lines)
    except Refused as exc:
        reason_code = exc.reason_code
    return {
        "valid": reason_code is None,
        "reason_code": reason_code,
        "reason": reason_text(reason_code, locale, ctx.merchant.locale),
    }
