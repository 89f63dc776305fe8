"""What a sale reads before it is worked out: the store, the customer with their points account
(loyalty's `member`, locked for a commit), and the facts: the program version in force (an
expression loyalty gives), a sale already committed with this receipt, the spend over the tier
window, whether the customer bought before.

A commit reads the facts in a statement of their own, after the account lock (loyalty/sale.py):
PostgreSQL evaluates a statement's subqueries in the snapshot it took before waiting for a lock,
so a sale that committed meanwhile would be missing from them. A quote locks nothing and reads
the customer, the account and the facts in one statement, which loyalty builds around the facts
checkout adds (`sale.quote_member_statement`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase
from regulars.checkout.schemas import CheckoutIn, CustomerRef
from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.kit.sql import Prebuilt
from regulars.loyalty import sale
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program
from regulars.merchants import service as merchants

_P = Purchase


def _param(name: str, column: Any) -> Any:
    return bindparam(name, type_=column.type)


_RECEIPT = (
    _P.merchant_id == _param("merchant_id", _P.merchant_id),
    _P.store_id == _param("store_id", _P.store_id),
    _P.receipt_id == _param("receipt_id", _P.receipt_id),
)
_OF_CUSTOMER = (
    _P.merchant_id == _param("merchant_id", _P.merchant_id),
    _P.customer_id == _param("customer_id", _P.customer_id),
)


def _spend_since(of_customer: tuple[Any, ...]) -> Any:
    """The customer's qualifying spend after `since` (the tier window), refunds taken off."""
    return (
        select(func.coalesce(func.sum(_P.total - _P.refunded_total), 0))
        .where(*of_customer, _P.created_at > _param("since", _P.created_at))
        .scalar_subquery()
    )


_FACTS = Prebuilt(
    select(
        sale.CURRENT_VERSION,
        select(_P.request_hash).where(*_RECEIPT).scalar_subquery(),
        select(_P.result).where(*_RECEIPT).scalar_subquery(),
        _spend_since(_OF_CUSTOMER),
        exists().where(*_OF_CUSTOMER),
    )
)


@dataclass(frozen=True)
class Facts:
    version: int  # the program version in force
    receipt_hash: str | None  # of a sale already committed with this receipt
    receipt_result: dict[str, Any] | None
    spend: int  # qualifying spend over the tier window, before this sale
    bought_before: bool


def read_facts(
    session: Session, ctx: Ctx, store_id: uuid.UUID, receipt_id: str, customer_id: Any
) -> tuple[Facts, Program]:
    """The facts and the program they were read under. The window for the spend comes from the
    program this process saw last; if the version read says it has moved on, read again."""
    version, program = loyalty.likely_program(session, ctx)
    for _attempt in range(3):
        since = clock.add_months(clock.now(), -program.tiers.window_months)
        row = _FACTS.first(
            session,
            merchant_id=ctx.merchant_id,
            store_id=store_id,
            receipt_id=receipt_id,
            customer_id=customer_id,
            since=since,
        )
        assert row is not None
        facts = Facts(row[0] or 0, row[1], row[2], int(row[3]), bool(row[4]))
        if facts.version == version:
            break
        version, program = facts.version, loyalty.program_version(session, ctx, facts.version)
    return facts, program


def _customer_facts(merchant_id: Any, customer_id: Any) -> list[Any]:
    """The facts of a quote's one statement, about the customer found by it."""
    of_customer = (_P.merchant_id == merchant_id, _P.customer_id == customer_id)
    return [_spend_since(of_customer), exists().where(*of_customer)]


_QUOTE_READ = {column: sale.quote_member_statement(column, _customer_facts) for column in sale.KEYS}


def _quote_read(
    session: Session, ctx: Ctx, ref: CustomerRef, store_id: uuid.UUID, receipt_id: str
) -> tuple[sale.Member, Facts, Program]:
    version, program = loyalty.likely_program(session, ctx)
    since = clock.add_months(clock.now(), -program.tiers.window_months)
    column, key = _member_key(ctx, ref)
    found = sale.quote_member(_QUOTE_READ[column], session, ctx, key, since=since)
    if found is None:
        raise InvalidField(f"customer.{_ref_field(ref)}", "no such customer")
    member, read_version, (spend, bought) = found
    if read_version != version:  # the program moved on: the facts under the new one
        facts, program = read_facts(session, ctx, store_id, receipt_id, member.customer_id)
        return member, facts, program
    return member, Facts(version, None, None, int(spend), bool(bought)), program


def store(session: Session, ctx: Ctx, store_id: uuid.UUID | None) -> uuid.UUID:
    try:
        return merchants.sale_store(session, ctx, store_id)
    except NotFound as exc:
        raise InvalidField("store_id", "no such store" if store_id else str(exc)) from None


def _ref_field(ref: CustomerRef) -> str:
    return "id" if ref.id else "phone" if ref.phone else "member_code"


def _member_key(ctx: Ctx, ref: CustomerRef) -> tuple[str, Any]:
    """The column and normalized value the customer is found by; the error names the field."""
    try:
        if ref.id is not None:
            return "id", ref.id
        return customers.identity_key(ctx, phone=ref.phone, code=ref.member_code)
    except NotFound:
        raise InvalidField(f"customer.{_ref_field(ref)}", "no such customer") from None
    except InvalidField as exc:
        raise InvalidField(f"customer.{exc.field}", exc.errors[0]["message"]) from None


def _member(session: Session, ctx: Ctx, ref: CustomerRef | None, lock: bool) -> sale.Member | None:
    if ref is None:
        return None
    column, key = _member_key(ctx, ref)
    try:
        return sale.member(session, ctx, column, key, lock)
    except NotFound:
        raise InvalidField(f"customer.{_ref_field(ref)}", "no such customer") from None


@dataclass(frozen=True)
class Read:
    store_id: uuid.UUID
    member: sale.Member | None
    facts: Facts
    program: Program


def read(session: Session, ctx: Ctx, body: CheckoutIn, lock: bool) -> Read:
    store_id = store(session, ctx, body.store_id)
    if not lock and body.customer is not None:
        quoted = _quote_read(session, ctx, body.customer, store_id, body.receipt_id)
        return Read(store_id, *quoted)
    member = _member(session, ctx, body.customer, lock)
    customer_id = member.customer_id if member else None
    facts, program = read_facts(session, ctx, store_id, body.receipt_id, customer_id)
    return Read(store_id, member, facts, program)


_SPEND = Prebuilt(select(_spend_since(_OF_CUSTOMER)))


def qualifying_spend(session: Session, ctx: Ctx, customer_id: uuid.UUID, since: datetime) -> int:
    """What the customer paid in money after `since`, refunds taken off: the tier's qualifying
    spend (loyalty/tiers.py is handed this for refunds and the daily job)."""
    return int(
        _SPEND.scalar(session, merchant_id=ctx.merchant_id, customer_id=customer_id, since=since)
    )
