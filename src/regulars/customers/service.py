"""Customer profiles: create, find, change, erase. Every query is scoped by ctx.merchant_id."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import segno
from sqlalchemy import Select, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from regulars.customers.identity import clean_name, fold, parse_email, parse_phone, try_phone
from regulars.customers.models import Consent, Customer, Note, PortalCode
from regulars.customers.schemas import Channel, CustomerCreate, CustomerUpdate, NoteCreate
from regulars.kit import clock, codes
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField, NotFound
from regulars.kit.pagination import Page, PageRequest, paginate
from regulars.loyalty import signup as loyalty_signup
from regulars.merchants import service as merchants

MEMBER_CODE_LENGTH = 8  # 40 bits; the unique index catches the rare clash and we draw again
PROFILE_FIELDS = (
    "name",
    "phone",
    "email",
    "birthday",
    "anniversary",
    "locale",
    "preferred_channel",
    "timezone",
    "tags",
    "attributes",
)


def _scoped(ctx: Ctx, details: bool = True) -> Select[Customer]:
    """Live customers of this merchant; `details` also loads consent and the points account
    (what the API shows), which a sale does not need."""
    q = select(Customer).where(
        Customer.merchant_id == ctx.merchant_id, Customer.erased_at.is_(None)
    )
    return (
        q.options(selectinload(Customer.consents), joinedload(Customer.account)) if details else q
    )


def get_customer(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, details: bool = True
) -> Customer:
    customer = session.scalar(_scoped(ctx, details).where(Customer.id == customer_id))
    if customer is None:
        raise NotFound("customer not found")
    return customer


def normalize_profile(ctx: Ctx, values: dict[str, Any]) -> dict[str, Any]:
    """Clean what was typed: E.164 phone, lower-case email, Unicode Burmese, folded name."""
    out = dict(values)
    errors: list[dict[str, Any]] = []
    for field in ("phone", "email"):
        if out.get(field) is None:
            continue
        try:
            out[field] = (
                parse_phone(out[field], ctx.merchant.country)
                if field == "phone"
                else parse_email(out[field])
            )
        except InvalidField as exc:
            errors.extend(exc.errors)  # both are named when both are wrong
    if errors:
        raise InvalidField.many(errors)
    if "name" in out:
        out["name"] = clean_name(out["name"]) if out["name"] else None
        out["name_search"] = fold(out["name"]) if out["name"] else ""
    for field in ("tags", "attributes"):
        if field in out and out[field] is None:
            out[field] = [] if field == "tags" else {}
    return out


def _check_unique(
    session: Session, ctx: Ctx, values: dict[str, Any], exclude: uuid.UUID | None = None
) -> None:
    for field in ("phone", "email"):
        value = values.get(field)
        if value is None:
            continue
        q = select(Customer.id).where(
            Customer.merchant_id == ctx.merchant_id, getattr(Customer, field) == value
        )
        if exclude is not None:
            q = q.where(Customer.id != exclude)
        if session.scalar(q) is not None:
            raise Conflict(
                f"another customer has this {field}", [{"field": field, "message": "taken"}]
            )


def _check_store(session: Session, ctx: Ctx, store_id: uuid.UUID | None) -> None:
    if store_id is not None:
        try:
            merchants.get_store(session, ctx, store_id)
        except NotFound:
            raise InvalidField("store_id", "no such store") from None


def _set_consent(
    session: Session, ctx: Ctx, customer: Customer, consent: Mapping[Channel, bool], source: str
) -> None:
    current = customer.consent
    for channel, granted in consent.items():
        row = current.get(channel)
        if row is None:
            customer.consents.append(
                Consent(
                    merchant_id=ctx.merchant_id,
                    channel=channel,
                    granted=granted,
                    source=source,
                    updated_at=clock.now(),
                )
            )
        elif row.granted != granted:
            row.granted, row.source, row.updated_at = granted, source, clock.now()
        else:
            continue
        merchants.record_audit(
            session,
            ctx,
            "customer.consent_changed",
            "customer",
            customer.id,
            {"channel": channel, "granted": granted, "source": source},
        )


def _flush_new(session: Session, ctx: Ctx, customer: Customer, values: dict[str, Any]) -> None:
    """Insert with a fresh member code; a clash on phone/email is a 409, on the code a redraw."""
    for _attempt in range(5):
        customer.member_code = codes.random_code(MEMBER_CODE_LENGTH)
        try:
            with session.begin_nested():
                session.add(customer)
                session.flush()
            return
        except IntegrityError:
            _check_unique(session, ctx, values)  # raises 409 if a concurrent insert took it
    raise Conflict("could not allocate a member code; try again")


def create_customer(
    session: Session, ctx: Ctx, data: CustomerCreate, source: str = "api"
) -> Customer:
    values = normalize_profile(
        ctx, data.model_dump(include=set(PROFILE_FIELDS), exclude_unset=True)
    )
    if not (values.get("name") or values.get("phone") or values.get("email")):
        raise InvalidField("name", "give at least a name, a phone or an email")
    _check_unique(session, ctx, values)
    _check_store(session, ctx, data.store_id)
    customer = Customer(
        merchant_id=ctx.merchant_id, store_id=data.store_id, source=source, consents=[], **values
    )
    _flush_new(session, ctx, customer, values)
    set_committed_value(customer, "account", None)  # a new customer has no points yet
    merchants.record_audit(
        session, ctx, "customer.created", "customer", customer.id, {"fields": sorted(values)}
    )
    if data.consent:
        _set_consent(session, ctx, customer, data.consent, data.consent_source)
    if loyalty_signup.award_signup_bonus(session, ctx, customer.id):
        session.refresh(customer, ["account"])  # the answer shows the bonus balance
    from regulars.automations import triggers  # automations read customers through us

    triggers.customer_created(session, ctx, customer)  # the welcome message, if on
    return customer


def update_customer(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, data: CustomerUpdate
) -> Customer:
    customer = get_customer(session, ctx, customer_id)
    sent = data.model_dump(include=set(PROFILE_FIELDS) | {"store_id"}, exclude_unset=True)
    values = normalize_profile(ctx, sent)
    _check_unique(session, ctx, values, exclude=customer.id)
    if "store_id" in values:
        _check_store(session, ctx, values["store_id"])
    changed = sorted(k for k, v in values.items() if getattr(customer, k) != v)
    for key, value in values.items():
        setattr(customer, key, value)
    if not (customer.name or customer.phone or customer.email):
        raise InvalidField("name", "a customer keeps at least a name, a phone or an email")
    if changed:
        customer.updated_at = clock.now()
        merchants.record_audit(
            session, ctx, "customer.updated", "customer", customer.id, {"fields": changed}
        )
    if data.consent:
        _set_consent(session, ctx, customer, data.consent, data.consent_source)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("another customer has this phone or email") from None
    return customer


def erase_customer(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> None:
    """Blank every personal field; the row stays as a pseudonymous id so past sales still add up."""
    merchants.require_role(ctx, "manager")
    customer = get_customer(session, ctx, customer_id)
    blank(session, ctx, customer)
    merchants.record_audit(session, ctx, "customer.erased", "customer", customer.id)
    session.flush()


def blank(session: Session, ctx: Ctx, customer: Customer) -> None:
    """Erase in place: personal fields, consent, notes and sign-in codes go; the id stays."""
    for field in PROFILE_FIELDS:
        setattr(customer, field, None)
    customer.tags, customer.attributes, customer.name_search = [], {}, ""
    customer.member_code = codes.random_code(MEMBER_CODE_LENGTH)  # the old card stops working
    customer.erased_at = customer.updated_at = clock.now()
    customer.consents.clear()
    scope = (ctx.merchant_id, customer.id)
    for table in (Note, PortalCode):
        session.execute(
            delete(table).where(table.merchant_id == scope[0], table.customer_id == scope[1])
        )
    from regulars.messaging import service as messaging  # messaging reads customers' tables

    messaging.forget_customer(session, *scope)
    session.flush()


def lock_pair(
    session: Session, ctx: Ctx, first: uuid.UUID, second: uuid.UUID
) -> tuple[Customer, Customer]:
    """Both live customers, their rows locked in id order (the same order for every pair, so
    two transactions on one pair queue instead of deadlocking). After waiting for a lock
    PostgreSQL checks `erased_at` again, so a customer just merged away is a 404 here."""
    q = (
        select(Customer.id)
        .where(
            Customer.merchant_id == ctx.merchant_id,
            Customer.erased_at.is_(None),
            Customer.id.in_((first, second)),
        )
        .order_by(Customer.id)
        .with_for_update()
    )
    if len(session.scalars(q).all()) != len({first, second}):
        raise NotFound("customer not found")
    found = session.scalars(
        _scoped(ctx)
        .where(Customer.id.in_((first, second)))
        .execution_options(populate_existing=True)
    ).all()
    by_id = {c.id: c for c in found}
    return by_id[first], by_id[second]


def _search_terms(ctx: Ctx, q: str) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    q = q.replace("\x00", "")  # PostgreSQL text cannot hold NUL; nobody searches for one
    folded = fold(q)
    if folded:
        pattern = "%" + folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        terms.append(Customer.name_search.like(pattern, escape="\\"))
    phone = try_phone(q, ctx.merchant.country)
    if phone:
        terms.append(Customer.phone == phone)
    code = codes.normalize(q)
    if len(code) == MEMBER_CODE_LENGTH:
        terms.append(Customer.member_code == code)
    if "@" in q:
        terms.append(Customer.email == q.strip().lower())
    return terms


def list_customers(
    session: Session, ctx: Ctx, req: PageRequest, q: str | None = None
) -> Page[Customer]:
    query = _scoped(ctx)
    if q and q.strip():
        terms = _search_terms(ctx, q)
        if not terms:
            return Page([], None)
        query = query.where(or_(*terms))
    if req.after:
        query = query.where(Customer.id < req.after)
    rows = session.scalars(query.order_by(Customer.id.desc()).limit(req.limit + 1)).all()
    return paginate(rows, req, key=lambda c: c.id)


def identity_key(ctx: Ctx, phone: str | None = None, code: str | None = None) -> tuple[str, str]:
    """The till's question, normalized: (column, value) that a phone in any local format or a
    member code (as typed or scanned from the QR) is looked up by."""
    if phone:
        return "phone", parse_phone(phone, ctx.merchant.country)
    if code:
        normalized = codes.normalize(code)
        if not normalized:
            raise NotFound("customer not found")
        return "member_code", normalized
    raise InvalidField("phone", "give phone or code")


def lookup(
    session: Session,
    ctx: Ctx,
    phone: str | None = None,
    code: str | None = None,
    details: bool = True,
) -> Customer:
    """The till's question: who is this? By phone in any local format, or by member code/QR."""
    column, value = identity_key(ctx, phone, code)
    return find_by(session, ctx, column, value, details)


def find_by(session: Session, ctx: Ctx, column: str, value: Any, details: bool = False) -> Customer:
    """The live customer whose `column` (id, phone, member_code) is `value`, already normalized."""
    if column not in ("id", "phone", "member_code"):
        raise ValueError(f"customers are not found by {column}")
    customer = session.scalar(_scoped(ctx, details).where(getattr(Customer, column) == value))
    if customer is None:
        raise NotFound("customer not found")
    return customer


def add_note(session: Session, ctx: Ctx, customer_id: uuid.UUID, data: NoteCreate) -> Note:
    customer = get_customer(session, ctx, customer_id)
    note = Note(
        merchant_id=ctx.merchant_id,
        customer_id=customer.id,
        body=data.body,
        author_type=ctx.actor.kind,
        author_id=ctx.actor.id,
    )
    session.add(note)
    session.flush()
    merchants.record_audit(session, ctx, "customer.note_added", "customer", customer.id)
    return note


def list_notes(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> Sequence[Note]:
    customer = get_customer(session, ctx, customer_id)
    q = select(Note).where(Note.merchant_id == ctx.merchant_id, Note.customer_id == customer.id)
    return session.scalars(q.order_by(Note.created_at.desc(), Note.id.desc())).all()


def timeline(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """Everything that happened with this customer, newest first (notes; more kinds join later)."""
    entries = [
        {
            "kind": "note",
            "at": n.created_at,
            "id": n.id,
            "summary": n.body,
            "author_id": n.author_id,
        }
        for n in list_notes(session, ctx, customer_id)
    ]
    return sorted(entries, key=lambda e: e["at"], reverse=True)


def export_customer(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> dict[str, Any]:
    """Every stored field about the person; the read itself is audited."""
    merchants.require_role(ctx, "manager")
    customer = get_customer(session, ctx, customer_id)
    notes = list_notes(session, ctx, customer_id)
    audit = merchants.audit_for_entity(session, ctx, "customer", customer.id)
    from regulars.referrals import service as referrals  # it builds on this module

    found = referrals.export_for(session, ctx, customer.id)
    merchants.record_audit(session, ctx, "customer.exported", "customer", customer.id)
    return {
        "customer": customer,
        "notes": notes,
        "referrals": found,
        "audit": audit,
        "exported_at": clock.now(),
    }


def qr_svg(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> str:
    customer = get_customer(session, ctx, customer_id)
    return member_qr(customer.member_code)


def member_qr(member_code: str) -> str:
    """The member card's QR: the bare member code, which any scanner types into the till."""
    return str(segno.make(member_code, error="m").svg_inline(scale=6, border=2))


def names_of(session: Session, ctx: Ctx, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each customer's name (else their phone, else their member code) for a list of rows."""
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.name, Customer.phone, Customer.member_code).where(
            Customer.merchant_id == ctx.merchant_id, Customer.id.in_(ids)
        )
    ).all()
    return {i: name or phone or code for i, name, phone, code in rows}
