"""Customer portal sign-in: a one-time code sent to the phone the shop knows.

Only a SHA-256 of each code is stored, salted with the merchant and customer ids. A code lives
`ttl_seconds`, allows `MAX_ATTEMPTS` guesses, and only a customer's newest unused code counts, so
asking again retires the previous one. A phone gets at most `max_per_hour` codes, counted from the
stored rows. An unknown phone looks exactly like a known one to the caller (no enumeration of
customers): same answer, same limit (counted in memory, as it has no rows), nothing sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.customers.identity import parse_phone
from regulars.customers.models import Customer, PortalCode
from regulars.db import after_commit
from regulars.kit import clock
from regulars.kit.context import MerchantInfo
from regulars.kit.errors import InvalidField, TooManyRequests
from regulars.kit.ratelimit import RateLimiter
from regulars.messaging.channels import Channel

CODE_DIGITS = 6
MAX_ATTEMPTS = 5
HOUR = timedelta(hours=1)

# (merchant, code, customer locale or None, minutes valid) -> message body
Compose = Callable[[MerchantInfo, str, str | None, int], str]


@dataclass(frozen=True)
class CodePolicy:
    ttl_seconds: int = 300
    max_per_hour: int = 5


def english_message(merchant: MerchantInfo, code: str, _locale: str | None, minutes: int) -> str:
    return f"{merchant.name}: your sign-in code is {code}. It expires in {minutes} minutes."


_unknown_phones: dict[int, RateLimiter] = {}


def _unknown_phone_allowed(key: str, limit: int) -> bool:
    limiter = _unknown_phones.setdefault(limit, RateLimiter(limit, HOUR.total_seconds()))
    return limiter.hit(key)


def _hash(merchant_id: uuid.UUID, customer_id: uuid.UUID, code: str) -> str:
    return hashlib.sha256(f"{merchant_id}:{customer_id}:{code}".encode()).hexdigest()


def _customer(session: Session, merchant: MerchantInfo, phone: str) -> Customer | None:
    return session.scalar(
        select(Customer).where(
            Customer.merchant_id == merchant.id,
            Customer.phone == phone,
            Customer.erased_at.is_(None),
        )
    )


def request_code(
    session: Session,
    merchant: MerchantInfo,
    phone_text: str,
    channel: Channel,
    *,
    policy: CodePolicy = CodePolicy(),
    compose: Compose = english_message,
) -> None:
    """Store a new code and send it once the transaction commits (a rollback sends nothing).

    Raises InvalidField("phone") for text that is no phone number and TooManyRequests past the
    hourly limit; otherwise returns the same nothing whether or not the phone is a customer's.
    """
    phone = parse_phone(phone_text, merchant.country)
    customer = _customer(session, merchant, phone)
    now = clock.now()
    if customer is None:
        _hash(merchant.id, merchant.id, "000000")  # the same work as for a known phone
        if not _unknown_phone_allowed(f"{merchant.id}:{phone}", policy.max_per_hour):
            raise TooManyRequests("too many codes asked for this phone; try again later")
        return
    recent = session.scalar(
        select(func.count())
        .select_from(PortalCode)
        .where(
            PortalCode.merchant_id == merchant.id,
            PortalCode.customer_id == customer.id,
            PortalCode.created_at > now - HOUR,
        )
    )
    if (recent or 0) >= policy.max_per_hour:
        raise TooManyRequests("too many codes asked for this phone; try again later")
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    session.add(
        PortalCode(
            merchant_id=merchant.id,
            customer_id=customer.id,
            code_hash=_hash(merchant.id, customer.id, code),
            created_at=now,
            expires_at=now + timedelta(seconds=policy.ttl_seconds),
        )
    )
    session.flush()
    body = compose(merchant, code, customer.locale, max(1, policy.ttl_seconds // 60))
    after_commit(session, lambda: channel.send(phone, body))


def verify_code(
    session: Session, merchant: MerchantInfo, phone_text: str, code_text: str
) -> uuid.UUID | None:
    """The customer's id when `code_text` is their newest live code, else None.

    Returns instead of raising on a wrong code so that the caller commits the spent attempt.
    Wrong, expired, used, exhausted and unknown-phone all answer the same None.
    """
    try:
        phone = parse_phone(phone_text, merchant.country)
    except InvalidField:
        return None
    code = "".join(ch for ch in code_text if ch.isdigit())
    customer = _customer(session, merchant, phone)
    if customer is None:
        _hash(merchant.id, merchant.id, code)
        return None
    row = session.scalar(
        select(PortalCode)
        .where(
            PortalCode.merchant_id == merchant.id,
            PortalCode.customer_id == customer.id,
            PortalCode.used_at.is_(None),
        )
        .order_by(PortalCode.created_at.desc(), PortalCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    now = clock.now()
    if row is None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        return None
    row.attempts += 1
    if not hmac.compare_digest(row.code_hash, _hash(merchant.id, customer.id, code)):
        session.flush()
        return None
    row.used_at = now
    session.flush()
    return customer.id
