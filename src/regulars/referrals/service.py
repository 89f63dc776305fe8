"""Referrals (docs/referrals.md): every member's code and share text, a friend attributed to the
member who brought them, the referrer's reward on the friend's first qualifying purchase (taken
back when that sale is fully refunded), and ambassador value.

Exactly once: the reward is decided by one conditional UPDATE (`status = 'pending'` ->
`'rewarded'`), inside the sale's transaction, so a replayed sale (which never reaches the RECORD
steps) or two of the friend's sales racing (queued on the friend's account lock, and the UPDATE
re-checked against the committed row on PostgreSQL) reward once. The clawback is the same
UPDATE from `'rewarded'` to `'reversed'`.

Attribution is refused with a reason code (`REASONS`). The monthly cap counts the referrer's
friends in the shop's calendar month; the referrer's code row is locked first, so concurrent
sign-ups with one code queue on PostgreSQL (SQLite serialises writers).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, bindparam, case, delete, func, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from regulars.checkout import spend as checkout_spend
from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.customers.schemas import CustomerCreate
from regulars.kit import clock, codes
from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound, ProblemError
from regulars.kit.ids import new_id
from regulars.kit.money import format_number
from regulars.kit.sql import Prebuilt, insert_ignore
from regulars.loyalty import referral as points
from regulars.loyalty.program import ReferralRule
from regulars.referrals.models import CODE_KINDS, Referral, ReferralCode
from regulars.web import i18n
from regulars.web.i18n import N_

CODE_LENGTH = 8  # 40 bits; a clash with another member's code is drawn again
MAX_CHAIN = 100  # how far up "who brought whom" a loop is looked for
REASONS = {
    "unknown_code": N_("This referral code is not known."),
    "code_lapsed": N_("This friends-and-family code is no longer valid."),
    "self_referral": N_("A member cannot refer themselves."),
    "loop": N_("This friend brought the member in; a referral cannot go round in a circle."),
    "monthly_cap": N_("This member has brought as many friends as allowed this month."),
    "already_referred": N_("This customer was already referred by a member."),
    "not_new": N_("This customer has already bought; only new customers can be referred."),
}
SHARE_TEXT = N_(
    "Join me at %(shop)s! Sign up with my code %(code)s and get %(points)s welcome points: %(link)s"
)
SHARE_TEXT_PLAIN = N_("Join me at %(shop)s! Sign up with my code %(code)s: %(link)s")


class ReferralRefused(ProblemError):
    """A referral that breaks a rule: 422 naming the field, with the reason's code."""

    status, slug, title = 422, "referral-refused", "Referral refused"

    def __init__(self, reason_code: str, field: str = "referral_code"):
        message = REASONS[reason_code]
        error = {"field": field, "message": message, "reason_code": reason_code}
        super().__init__(f"{field}: {message}", [error])
        self.reason_code = reason_code
        self.field = field


# --- codes ---------------------------------------------------------------------------------


def _code_of(session: Session, ctx: Ctx, customer_id: uuid.UUID, kind: str) -> str | None:
    q = select(ReferralCode.code).where(
        ReferralCode.merchant_id == ctx.merchant_id,
        ReferralCode.customer_id == customer_id,
        ReferralCode.kind == kind,
    )
    return session.scalar(q)


def code_for(session: Session, ctx: Ctx, customer_id: uuid.UUID, kind: str = "referral") -> str:
    """The member's code of `kind`, made on first ask (a concurrent ask gets the same one)."""
    for _attempt in range(5):
        found = _code_of(session, ctx, customer_id, kind)
        if found is not None:
            return found
        row = {
            "merchant_id": ctx.merchant_id,
            "id": new_id(),
            "customer_id": customer_id,
            "kind": kind,
            "code": codes.random_code(CODE_LENGTH),
            "created_at": clock.now(),
        }
        if insert_ignore(session, ReferralCode.__table__, row):  # type: ignore[arg-type]
            return str(row["code"])
    raise RuntimeError("could not allocate a referral code")


def family_eligible(session: Session, ctx: Ctx, rule: ReferralRule, customer_id: uuid.UUID) -> bool:
    tier = points.tier_of(session, ctx, customer_id)
    return tier is not None and tier in rule.family_tiers


def join_link(base_url: str, slug: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/p/{slug}/join?ref={code}"


def share_text(ctx: Ctx, code: str, link: str, welcome: int, lang: str) -> str:
    _ = i18n.gettext_for(lang).gettext
    values = {"shop": ctx.merchant.name, "code": codes.group(code, 4), "link": link}
    if welcome:
        return _(SHARE_TEXT) % (values | {"points": format_number(welcome, lang)})
    return _(SHARE_TEXT_PLAIN) % values


@dataclass(frozen=True)
class Share:
    code: str
    link: str
    share_text: str


def _share(ctx: Ctx, code: str, welcome: int, base_url: str, lang: str) -> Share:
    link = join_link(base_url, ctx.merchant.slug, code)
    return Share(code, link, share_text(ctx, code, link, welcome, lang))


def referral_of(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, base_url: str, lang: str | None = None
) -> dict[str, Any]:
    """The member's code, link and share text in their language, a friends-and-family code when
    their tier has one, and how many friends they brought."""
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    lang = i18n.choose(lang, customer.locale, ctx.merchant.locale)
    rule = points.rule(session, ctx)
    share = _share(ctx, code_for(session, ctx, customer.id), rule.friend_points, base_url, lang)
    family = None
    if family_eligible(session, ctx, rule, customer.id):
        code = code_for(session, ctx, customer.id, "family")
        family = _share(ctx, code, rule.family_points, base_url, lang)
    q = select(Referral.referrer_id, Referral.status).where(
        Referral.merchant_id == ctx.merchant_id, Referral.friend_id == customer.id
    )
    brought_by = session.execute(q).first()
    return {
        "customer_id": customer.id,
        "code": share.code,
        "link": share.link,
        "share_text": share.share_text,
        "family": asdict(family) if family else None,
        "friend_points": rule.friend_points,
        "family_points": rule.family_points,
        "referrer_points": rule.referrer_points,
        "referred_by": brought_by[0] if brought_by else None,
        "friends": friends_count(session, ctx, customer.id),
    }


def friends_count(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    q = select(func.count()).where(
        Referral.merchant_id == ctx.merchant_id, Referral.referrer_id == customer_id
    )
    return int(session.scalar(q) or 0)


def export_for(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> dict[str, Any]:
    """What referrals hold about a customer, for their data export: their codes, who brought
    them, and the friends they brought (by id: a friend's own data is the friend's)."""
    m = ctx.merchant_id
    codes_q = select(ReferralCode).where(
        ReferralCode.merchant_id == m, ReferralCode.customer_id == customer_id
    )
    rows = select(Referral).where(Referral.merchant_id == m)
    brought_by = session.scalar(rows.where(Referral.friend_id == customer_id))
    friends = session.scalars(
        rows.where(Referral.referrer_id == customer_id).order_by(Referral.created_at)
    )
    return {
        "codes": [
            {"kind": c.kind, "code": c.code, "created_at": c.created_at}
            for c in session.scalars(codes_q.order_by(ReferralCode.kind))
        ],
        "referred_by": None if brought_by is None else _export_row(brought_by, "referrer_id"),
        "friends": [_export_row(r, "friend_id") for r in friends],
    }


def _export_row(row: Referral, who: str) -> dict[str, Any]:
    return {
        who: getattr(row, who),
        "code_kind": row.code_kind,
        "status": row.status,
        "created_at": row.created_at,
        "reward_points": row.reward_points,
        "rewarded_at": row.rewarded_at,
        "reversed_at": row.reversed_at,
    }


# --- attribution ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    """A code as typed, found: whose it is and what it gives the friend."""

    code: str
    kind: str
    referrer: Customer
    welcome: int


def invitation(session: Session, ctx: Ctx, code_text: str, lock: bool = False) -> Invitation:
    """The live member behind a code; ReferralRefused (unknown_code, code_lapsed) otherwise. The
    same answer for another merchant's code as for none. `lock`: the code row is locked (the
    monthly cap is counted after it)."""
    code = codes.normalize(code_text or "")
    q = select(ReferralCode).where(
        ReferralCode.merchant_id == ctx.merchant_id, ReferralCode.code == code
    )
    row = session.scalar(q.with_for_update() if lock else q) if code else None
    if row is None:
        raise ReferralRefused("unknown_code")
    try:
        referrer = customers.get_customer(session, ctx, row.customer_id, details=False)
    except NotFound:
        raise ReferralRefused("unknown_code") from None
    rule = points.rule(session, ctx)
    if row.kind == "family" and not family_eligible(session, ctx, rule, referrer.id):
        raise ReferralRefused("code_lapsed")
    welcome = rule.family_points if row.kind == "family" else rule.friend_points
    return Invitation(row.code, row.kind, referrer, welcome)


def _month_start(ctx: Ctx) -> datetime:
    zone = ZoneInfo(ctx.merchant.timezone)
    local = clock.now().astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _check(
    session: Session,
    ctx: Ctx,
    inv: Invitation,
    *,
    friend: Customer | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> None:
    referrer = inv.referrer
    if friend is not None:
        phone, email = friend.phone, friend.email
    same = (friend is not None and friend.id == referrer.id) or any(
        mine is not None and mine == theirs
        for mine, theirs in ((phone, referrer.phone), (email, referrer.email))
    )
    if same:
        raise ReferralRefused("self_referral")
    if friend is not None:
        if _brought_by(session, ctx, friend.id) is not None:
            raise ReferralRefused("already_referred")
        if _in_chain(session, ctx, referrer.id, friend.id):
            raise ReferralRefused("loop")
        if checkout_spend.has_bought(session, ctx, friend.id):
            raise ReferralRefused("not_new")
    rule = points.rule(session, ctx)
    q = select(func.count()).where(
        Referral.merchant_id == ctx.merchant_id,
        Referral.referrer_id == referrer.id,
        Referral.created_at >= _month_start(ctx),
    )
    if int(session.scalar(q) or 0) >= rule.monthly_cap:
        raise ReferralRefused("monthly_cap")


def _brought_by(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> uuid.UUID | None:
    q = select(Referral.referrer_id).where(
        Referral.merchant_id == ctx.merchant_id, Referral.friend_id == customer_id
    )
    return session.scalar(q)


def _in_chain(session: Session, ctx: Ctx, start: uuid.UUID, target: uuid.UUID) -> bool:
    """Whether `target` brought `start` in, directly or through others."""
    seen = {start}
    current: uuid.UUID | None = start
    for _step in range(MAX_CHAIN):
        current = _brought_by(session, ctx, current) if current is not None else None
        if current is None or current in seen:
            return False
        if current == target:
            return True
        seen.add(current)
    return False


def _attach(session: Session, ctx: Ctx, inv: Invitation, friend_id: uuid.UUID) -> Referral:
    row = Referral(
        merchant_id=ctx.merchant_id,
        referrer_id=inv.referrer.id,
        friend_id=friend_id,
        code_kind=inv.kind,
        status="pending",
        created_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # referred by someone else just now
        raise ReferralRefused("already_referred") from None
    reason = points.WELCOME
    points.credit(session, ctx, friend_id, inv.welcome, reason)
    return row


def create_customer(
    session: Session, ctx: Ctx, data: CustomerCreate, source: str = "api"
) -> Customer:
    """A new customer, referred by `data.referral_code` when given: the code is checked before
    anything is written, so a refused referral creates nobody (422 naming `referral_code`)."""
    if not data.referral_code:
        return customers.create_customer(session, ctx, data, source)
    inv = invitation(session, ctx, data.referral_code, lock=True)
    sent = data.model_dump(include={"phone", "email"}, exclude_unset=True)
    values = customers.normalize_profile(ctx, sent)
    _check(session, ctx, inv, phone=values.get("phone"), email=values.get("email"))
    customer = customers.create_customer(session, ctx, data, source)
    _attach(session, ctx, inv, customer.id)
    session.refresh(customer, ["account"])  # the answer shows the welcome points
    return customer


def refer_existing(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, code_text: str, field: str = "code"
) -> Referral:
    """A customer who joined without a code and has not bought yet names the member who brought
    them (at the till, or from an invitation link in the portal)."""
    friend = customers.get_customer(session, ctx, customer_id, details=False)
    try:
        inv = invitation(session, ctx, code_text, lock=True)
        _check(session, ctx, inv, friend=friend)
    except ReferralRefused as exc:
        raise ReferralRefused(exc.reason_code, field) from None
    return _attach(session, ctx, inv, friend.id)


# --- the reward ----------------------------------------------------------------------------

_R = Referral


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


_REWARD = Prebuilt(
    update(_R)
    .where(
        _R.merchant_id == _param("merchant_id", _R.merchant_id),
        _R.friend_id == _param("friend_id", _R.friend_id),
        _R.status == "pending",
    )
    .values(
        status="rewarded",
        purchase_id=_param("purchase_id", _R.purchase_id),
        reward_points=_param("points", _R.reward_points),
        rewarded_at=_param("now", _R.rewarded_at),
    )
    .returning(_R.referrer_id)
)
_CLAWBACK = Prebuilt(
    update(_R)
    .where(
        _R.merchant_id == _param("merchant_id", _R.merchant_id),
        _R.purchase_id == _param("purchase_id", _R.purchase_id),
        _R.status == "rewarded",
    )
    .values(status="reversed", reversed_at=_param("now", _R.reversed_at))
    .returning(_R.referrer_id, _R.reward_points)
)


def qualifies(rule: ReferralRule, total: int) -> bool:
    """A friend's purchase qualifies when money was paid, at least the program's minimum."""
    return total >= max(rule.min_spend, 1)


def sale_committed(
    session: Session,
    ctx: Ctx,
    rule: ReferralRule,
    customer_id: uuid.UUID,
    purchase_id: uuid.UUID,
    total: int,
) -> int:
    """Checkout's RECORD step: the first qualifying purchase of a referred friend rewards their
    referrer (once: the UPDATE decides). Returns the points given (0 almost always)."""
    if not qualifies(rule, total):
        return 0
    referrer_id = _REWARD.scalar(
        session,
        merchant_id=ctx.merchant_id,
        friend_id=customer_id,
        purchase_id=purchase_id,
        points=rule.referrer_points,
        now=clock.now(),
    )
    if referrer_id is None:
        return 0
    return points.credit(session, ctx, referrer_id, rule.referrer_points, points.REWARD)


def sale_refunded(session: Session, ctx: Ctx, purchase_id: uuid.UUID) -> int:
    """A refund that gave back the whole of a friend's rewarding purchase takes the reward back
    (once). Returns the points taken back."""
    session.flush()
    row = _CLAWBACK.first(
        session, merchant_id=ctx.merchant_id, purchase_id=purchase_id, now=clock.now()
    )
    if row is None:
        return 0
    referrer_id, reward = row
    points.take_back(session, ctx, referrer_id, int(reward))
    return int(reward)


# --- ambassador value ----------------------------------------------------------------------


def leaderboard(session: Session, ctx: Ctx, limit: int = 20) -> list[dict[str, Any]]:
    """Customers ranked by value: their own spend, plus the spend of the friends they brought
    (first degree) and of the friends those brought (second degree); refunds taken off."""
    m = ctx.merchant_id
    spend = checkout_spend.spend_by_customer(ctx)
    r1, r2 = aliased(Referral), aliased(Referral)
    s1, s2 = aliased(spend), aliased(spend)
    first = (
        select(
            r1.referrer_id.label("customer_id"),
            func.count().label("referrals"),
            func.sum(case((r1.status == "rewarded", 1), else_=0)).label("converted"),
            func.coalesce(func.sum(s1.c.spend), 0).label("spend"),
        )
        .outerjoin(s1, s1.c.customer_id == r1.friend_id)
        .where(r1.merchant_id == m)
        .group_by(r1.referrer_id)
        .subquery("first")
    )
    second = (
        select(
            r1.referrer_id.label("customer_id"),
            func.coalesce(func.sum(s2.c.spend), 0).label("spend"),
        )
        .join(r2, and_(r2.merchant_id == m, r2.referrer_id == r1.friend_id))
        .outerjoin(s2, s2.c.customer_id == r2.friend_id)
        .where(r1.merchant_id == m)
        .group_by(r1.referrer_id)
        .subquery("second")
    )
    ids = union(select(spend.c.customer_id), select(first.c.customer_id)).subquery("ids")
    own = func.coalesce(spend.c.spend, 0)
    brought = func.coalesce(first.c.spend, 0)
    further = func.coalesce(second.c.spend, 0)
    referrals = func.coalesce(first.c.referrals, 0)
    value = (own + brought + further).label("value")
    q = (
        select(
            ids.c.customer_id,
            own.label("own"),
            brought.label("brought"),
            further.label("further"),
            referrals.label("referrals"),
            func.coalesce(first.c.converted, 0).cast(Integer).label("converted"),
            value,
        )
        .select_from(ids)
        .outerjoin(spend, spend.c.customer_id == ids.c.customer_id)
        .outerjoin(first, first.c.customer_id == ids.c.customer_id)
        .outerjoin(second, second.c.customer_id == ids.c.customer_id)
        .order_by(value.desc(), referrals.desc(), ids.c.customer_id)
        .limit(limit)
    )
    rows = session.execute(q).all()
    out = []
    for rank, (cid, own_, brought_, further_, refs, converted, total) in enumerate(rows, 1):
        try:
            person = customers.get_customer(session, ctx, cid, details=False)
            name, code = person.name, person.member_code
        except NotFound:  # erased: the value stays, the person does not
            name, code = None, None
        out.append(
            {
                "rank": rank,
                "customer_id": cid,
                "name": name,
                "member_code": code,
                "own_spend": int(own_),
                "friends_spend": int(brought_),
                "second_degree_spend": int(further_),
                "referrals": int(refs),
                "converted": int(converted),
                "value": int(total),
            }
        )
    return out


def leaderboard_out(session: Session, ctx: Ctx, limit: int = 20) -> dict[str, Any]:
    return {"currency": ctx.merchant.currency, "data": leaderboard(session, ctx, limit)}


# --- merging customers ---------------------------------------------------------------------


def merge_into(session: Session, ctx: Ctx, survivor_id: uuid.UUID, other_id: uuid.UUID) -> int:
    """Two customers who are one person (customers/merge.py): the other's friends become the
    survivor's, the other's referrer becomes the survivor's if it has none, and the other's codes
    keep working for the survivor where it has no code of that kind. A referral between the two,
    or one that would now go round in a circle, is dropped. Returns the referrals moved."""
    m, pair = ctx.merchant_id, (survivor_id, other_id)
    mine = (Referral.merchant_id == m,)
    session.execute(
        delete(Referral)
        .where(*mine, Referral.referrer_id.in_(pair), Referral.friend_id.in_(pair))
        .execution_options(synchronize_session=False)
    )
    if _brought_by(session, ctx, survivor_id) is not None:
        session.execute(
            delete(Referral)
            .where(*mine, Referral.friend_id == other_id)
            .execution_options(synchronize_session=False)
        )
    moved = list(
        session.execute(
            update(Referral)
            .where(*mine, Referral.friend_id == other_id)
            .values(friend_id=survivor_id)
            .returning(Referral.id)
            .execution_options(synchronize_session=False)
        )
    )
    moved += session.execute(
        update(Referral)
        .where(*mine, Referral.referrer_id == other_id)
        .values(referrer_id=survivor_id)
        .returning(Referral.id)
        .execution_options(synchronize_session=False)
    ).all()
    referrer = _brought_by(session, ctx, survivor_id)
    if referrer is not None and _in_chain(session, ctx, referrer, survivor_id):
        session.execute(
            delete(Referral)
            .where(*mine, Referral.friend_id == survivor_id)
            .execution_options(synchronize_session=False)
        )
    have = select(ReferralCode.kind).where(
        ReferralCode.merchant_id == m, ReferralCode.customer_id == survivor_id
    )
    kinds = set(session.scalars(have))
    for kind in CODE_KINDS:
        q = (ReferralCode.merchant_id == m, ReferralCode.customer_id == other_id)
        if kind in kinds:
            session.execute(delete(ReferralCode).where(*q, ReferralCode.kind == kind))
        else:
            session.execute(
                update(ReferralCode)
                .where(*q, ReferralCode.kind == kind)
                .values(customer_id=survivor_id)
                .execution_options(synchronize_session=False)
            )
    return len(moved)
