"""Merchants, stores, staff, API keys, audit. The rules of who may act for which merchant."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.kit import clock, codes
from regulars.kit.context import Actor, Ctx, MerchantInfo
from regulars.kit.errors import Conflict, Forbidden, NotFound, Unauthorized
from regulars.kit.pagination import Page, PageRequest, paginate
from regulars.kit.sql import Prebuilt
from regulars.merchants.models import ApiKey, AuditEvent, Merchant, StaffUser, Store
from regulars.merchants.schemas import ApiKeyCreate, MerchantCreate, StaffCreate, StoreCreate

_hasher = PasswordHasher()
KEY_PREFIX = "rg_"


def info(merchant: Merchant) -> MerchantInfo:
    return MerchantInfo(
        id=merchant.id,
        slug=merchant.slug,
        name=merchant.name,
        country=merchant.country,
        currency=merchant.currency,
        timezone=merchant.timezone,
        locale=merchant.locale,
    )


def record_audit(
    session: Session,
    ctx: Ctx,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Append one audit event in the caller's transaction. `changes` must hold no personal data."""
    session.add(
        AuditEvent(
            merchant_id=ctx.merchant_id,
            actor_type=ctx.actor.kind,
            actor_id=ctx.actor.id,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changes=changes or {},
        )
    )


def require_role(ctx: Ctx, role: str) -> None:
    if not ctx.actor.at_least(role):
        raise Forbidden(f"needs the {role} role")


# --- merchants -----------------------------------------------------------------------------


def _slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return slug if len(slug) >= 2 else "shop"


def create_merchant(
    session: Session, data: MerchantCreate, owner_email: str, owner_password: str
) -> tuple[MerchantInfo, StaffUser, str]:
    """A merchant with its first store, its owner and an owner API key (returned once)."""
    slug = data.slug or f"{_slugify(data.name)}-{codes.random_code(4).lower()}"
    if session.scalar(select(Merchant.id).where(Merchant.slug == slug)):
        raise Conflict(f"slug {slug!r} is taken")
    merchant = Merchant(
        slug=slug,
        name=data.name,
        country=data.country,
        currency=data.currency,
        timezone=data.timezone,
        locale=data.locale,
    )
    session.add(merchant)
    session.flush()
    ctx = Ctx(info(merchant), Actor("system", None, "owner"))
    create_store(session, ctx, StoreCreate(code="MAIN", name=data.name))
    owner = create_staff(
        session,
        ctx,
        StaffCreate(email=owner_email, name="Owner", role="owner", password=owner_password),
    )
    _key, secret = issue_api_key(session, ctx, ApiKeyCreate(name="owner key", role="owner"))
    record_audit(session, ctx, "merchant.created", "merchant", merchant.id)
    return ctx.merchant, owner, secret


def get_merchant(session: Session, merchant_id: uuid.UUID) -> MerchantInfo:
    merchant = session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound("merchant not found")
    return info(merchant)


def get_merchant_row(session: Session, ctx: Ctx) -> Merchant:
    merchant = session.get(Merchant, ctx.merchant_id)
    if merchant is None:
        raise NotFound("merchant not found")
    return merchant


def merchant_by_slug(session: Session, slug: str) -> MerchantInfo:
    merchant = session.scalar(select(Merchant).where(Merchant.slug == slug))
    if merchant is None:
        raise NotFound("shop not found")
    return info(merchant)


def list_merchants(session: Session) -> Sequence[MerchantInfo]:
    return [info(m) for m in session.scalars(select(Merchant).order_by(Merchant.created_at))]


# --- stores ----------------------------------------------------------------------------------


def create_store(session: Session, ctx: Ctx, data: StoreCreate) -> Store:
    require_role(ctx, "manager")
    store = Store(merchant_id=ctx.merchant_id, code=data.code.upper(), name=data.name)
    session.add(store)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"store code {store.code!r} already exists") from None
    record_audit(session, ctx, "store.created", "store", store.id)
    return store


def list_stores(session: Session, ctx: Ctx) -> Sequence[Store]:
    q = select(Store).where(Store.merchant_id == ctx.merchant_id).order_by(Store.code)
    return session.scalars(q).all()


def get_store(session: Session, ctx: Ctx, store_id: uuid.UUID) -> Store:
    store = session.get(Store, (ctx.merchant_id, store_id))
    if store is None:
        raise NotFound("store not found")
    return store


_main_store: dict[uuid.UUID, uuid.UUID] = {}
_known_stores: set[tuple[uuid.UUID, uuid.UUID]] = set()


def sale_store(session: Session, ctx: Ctx, store_id: uuid.UUID | None) -> uuid.UUID:
    """The store a sale is recorded at: the one named, or the merchant's main store (code
    MAIN, else the first). Stores are never deleted, so each answer is remembered for the life
    of the process and the till's hot path asks the database only once. NotFound when named
    and not the merchant's."""
    if store_id is not None:
        if (ctx.merchant_id, store_id) not in _known_stores:
            _known_stores.add((ctx.merchant_id, get_store(session, ctx, store_id).id))
        return store_id
    main = _main_store.get(ctx.merchant_id)
    if main is None:
        stores = list_stores(session, ctx)
        found = next((s for s in stores if s.code == "MAIN"), stores[0] if stores else None)
        if found is None:
            raise NotFound("the merchant has no store")
        main = _main_store[ctx.merchant_id] = found.id
    return main


# --- staff -----------------------------------------------------------------------------------


def create_staff(session: Session, ctx: Ctx, data: StaffCreate) -> StaffUser:
    require_role(ctx, "owner")
    email = data.email.strip().lower()
    if session.scalar(select(StaffUser.id).where(StaffUser.email == email)):
        raise Conflict("a staff account with this email exists")
    staff = StaffUser(
        merchant_id=ctx.merchant_id,
        email=email,
        name=data.name,
        role=data.role,
        password_hash=_hasher.hash(data.password),
    )
    session.add(staff)
    session.flush()
    record_audit(session, ctx, "staff.created", "staff", staff.id, {"role": data.role})
    return staff


def list_staff(session: Session, ctx: Ctx) -> Sequence[StaffUser]:
    require_role(ctx, "manager")
    q = select(StaffUser).where(StaffUser.merchant_id == ctx.merchant_id)
    return session.scalars(q.order_by(StaffUser.created_at)).all()


def staff_login(session: Session, email: str, password: str) -> Ctx:
    """Checks a password. Unknown email and wrong password look the same to the caller."""
    staff = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if staff is None or not staff.active:
        _hasher.hash(password)  # same work either way, so timing does not reveal accounts
        raise Unauthorized("email or password is wrong")
    try:
        _hasher.verify(staff.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        raise Unauthorized("email or password is wrong") from None
    staff.last_login_at = clock.now()
    merchant = get_merchant(session, staff.merchant_id)
    return Ctx(merchant, Actor("staff", staff.id, staff.role))


def staff_ctx(session: Session, merchant_id: uuid.UUID, staff_id: uuid.UUID) -> Ctx:
    staff = session.get(StaffUser, (merchant_id, staff_id))
    if staff is None or not staff.active:
        raise Unauthorized("session expired")
    return Ctx(get_merchant(session, merchant_id), Actor("staff", staff.id, staff.role))


def staff_name(session: Session, ctx: Ctx) -> str:
    staff = session.get(StaffUser, (ctx.merchant_id, ctx.actor.id)) if ctx.actor.id else None
    return staff.name if staff else ""


# --- API keys --------------------------------------------------------------------------------


def _hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_api_key(session: Session, ctx: Ctx, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A new key `rg_<prefix>_<secret>`; the caller shows the secret once."""
    require_role(ctx, "owner")
    prefix = KEY_PREFIX + codes.random_code(8).lower()
    secret = f"{prefix}_{secrets.token_hex(20)}"
    key = ApiKey(
        merchant_id=ctx.merchant_id,
        name=data.name,
        prefix=prefix,
        key_hash=_hash_key(secret),
        role=data.role,
    )
    session.add(key)
    session.flush()
    record_audit(session, ctx, "api_key.created", "api_key", key.id, {"role": data.role})
    return key, secret


def list_api_keys(session: Session, ctx: Ctx, req: PageRequest) -> Page[ApiKey]:
    require_role(ctx, "owner")
    q = select(ApiKey).where(ApiKey.merchant_id == ctx.merchant_id)
    if req.after:
        q = q.where(ApiKey.id < req.after)
    rows = session.scalars(q.order_by(ApiKey.id.desc()).limit(req.limit + 1)).all()
    return paginate(rows, req, key=lambda k: k.id)


def revoke_api_key(session: Session, ctx: Ctx, key_id: uuid.UUID) -> ApiKey:
    require_role(ctx, "owner")
    key = session.get(ApiKey, (ctx.merchant_id, key_id))
    if key is None:
        raise NotFound("API key not found")
    _revoke(session, ctx, key)
    return key


def revoke_keys_named(session: Session, ctx: Ctx, name: str) -> None:
    """Every live key of this name (the demo's key, renewed on each start), each audited."""
    live = select(ApiKey).where(
        ApiKey.merchant_id == ctx.merchant_id, ApiKey.name == name, ApiKey.revoked_at.is_(None)
    )
    for key in session.scalars(live.order_by(ApiKey.id)).all():
        _revoke(session, ctx, key)


def _revoke(session: Session, ctx: Ctx, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        record_audit(session, ctx, "api_key.revoked", "api_key", key.id)


_KEY_BY_PREFIX = Prebuilt(
    select(
        ApiKey.id,
        ApiKey.role,
        ApiKey.key_hash,
        ApiKey.revoked_at,
        Merchant.id,
        Merchant.slug,
        Merchant.name,
        Merchant.country,
        Merchant.currency,
        Merchant.timezone,
        Merchant.locale,
    )
    .join(Merchant, Merchant.id == ApiKey.merchant_id)
    .where(ApiKey.prefix == bindparam("prefix"))
)


def authenticate_key(session: Session, secret: str) -> Ctx:
    """Every API request's first statement (prebuilt: it runs on every request)."""
    prefix, _, _rest = secret.strip().rpartition("_")
    row = _KEY_BY_PREFIX.first(session, prefix=prefix) if prefix else None
    if row is None or row[3] is not None or not hmac.compare_digest(row[2], _hash_key(secret)):
        raise Unauthorized("API key is missing, wrong or revoked")
    key_id, role, _hash, _revoked, *merchant = row
    return Ctx(MerchantInfo(*merchant), Actor("api_key", key_id, role))


# --- audit -----------------------------------------------------------------------------------


def list_audit(session: Session, ctx: Ctx, req: PageRequest) -> Page[AuditEvent]:
    require_role(ctx, "manager")
    q = select(AuditEvent).where(AuditEvent.merchant_id == ctx.merchant_id)
    if req.after:
        q = q.where(AuditEvent.id < req.after)
    rows = session.scalars(q.order_by(AuditEvent.id.desc()).limit(req.limit + 1)).all()
    return paginate(rows, req, key=lambda e: e.id)


def audit_for_entity(
    session: Session, ctx: Ctx, entity_type: str, entity_id: uuid.UUID
) -> list[dict[str, Any]]:
    q = select(AuditEvent).where(
        AuditEvent.merchant_id == ctx.merchant_id,
        AuditEvent.entity_type == entity_type,
        AuditEvent.entity_id == entity_id,
    )
    return [
        {"at": e.at, "action": e.action, "actor_type": e.actor_type, "changes": e.changes}
        for e in session.scalars(q.order_by(AuditEvent.id))
    ]
