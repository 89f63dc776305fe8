"""Customer portal sign-in: a one-time code sent to the phone the shop knows.

Only a SHA-256 of each code is stored, salted with the merchant and customer ids. A code lives
`ttl_seconds`, allows `MAX_ATTEMPTS` guesses, and only a customer's newest unused code counts, so
asking again retires the previous one. A phone gets at most `max_per_hour` codes, counted from the
stored rows. An unknown phone looks exactly like a known one to the caller (no enumeration of
customers): same answer, same limit (counted in memory, as it has no rows), nothing sent.

Joining (a non-member becomes one): nothing is stored until the phone is proven. The code sent to
an unknown phone lives only as an HMAC (keyed by the server's secret) in a `JoinTicket` that the
caller keeps (the signed session); a member who asks to join gets their ordinary sign-in code
instead, and both answer alike. A ticket allows `MAX_ATTEMPTS` guesses per phone an hour.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.customers.identity import parse_phone
from regulars.customers.models import Customer, PortalCode
from regulars.customers.schemas import CustomerCreate
from regulars.db import after_commit
from regulars.kit import clock
from regulars.kit.context import Actor, Ctx, MerchantInfo
from regulars.kit.errors import Conflict, InvalidField, TooManyRequests
from regulars.kit.ratelimit import RateLimiter
from regulars.messaging.channels.legacy import Channel

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


# --- joining -----------------------------------------------------------------------------------

_join_guesses = RateLimiter(MAX_ATTEMPTS, HOUR.total_seconds())


@dataclass(frozen=True)
class JoinTicket:
    """What the joining customer's session keeps between asking for a code and typing it."""

    phone: str  # E.164
    expires_at: datetime
    mac: str

    def to_dict(self) -> dict[str, Any]:
        return {"phone": self.phone, "expires_at": self.expires_at.isoformat(), "mac": self.mac}

    @classmethod
    def from_dict(cls, data: Any) -> JoinTicket | None:
        try:
            return cls(data["phone"], datetime.fromisoformat(data["expires_at"]), data["mac"])
        except (KeyError, TypeError, ValueError):
            return None


def _join_mac(
    secret: str, merchant_id: uuid.UUID, phone: str, code: str, expires_at: datetime
) -> str:
    message = f"join:{merchant_id}:{phone}:{code}:{expires_at.isoformat()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def request_join_code(
    session: Session,
    merchant: MerchantInfo,
    phone_text: str,
    channel: Channel,
    *,
    secret: str,
    policy: CodePolicy = CodePolicy(),
    compose: Compose = english_message,
) -> JoinTicket:
    """Sends a code that proves the phone: a new one for an unknown phone, the sign-in code for
    a member's (who is then simply signed in). The same answer either way."""
    phone = parse_phone(phone_text, merchant.country)
    expires_at = clock.now() + timedelta(seconds=policy.ttl_seconds)
    if _customer(session, merchant, phone) is not None:
        request_code(session, merchant, phone, channel, policy=policy, compose=compose)
        code = secrets.token_hex(16)  # never sent: only the member's sign-in code will match
    else:
        if not _unknown_phone_allowed(f"{merchant.id}:{phone}", policy.max_per_hour):
            raise TooManyRequests("too many codes asked for this phone; try again later")
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        body = compose(merchant, code, None, max(1, policy.ttl_seconds // 60))
        after_commit(session, lambda: channel.send(phone, body))
    return JoinTicket(phone, expires_at, _join_mac(secret, merchant.id, phone, code, expires_at))


def join(
    session: Session,
    merchant: MerchantInfo,
    ticket: JoinTicket,
    code_text: str,
    *,
    secret: str,
    name: str | None,
    consent: dict[str, bool],
) -> uuid.UUID | None:
    """The new member's id when `code_text` is the ticket's code (created now, with the sign-up
    bonus), the member's when the phone is already one's and the code is their sign-in code;
    None for a wrong, expired or over-guessed code, without telling which."""
    member = verify_code(session, merchant, ticket.phone, code_text)
    if member is not None:
        return member
    code = "".join(ch for ch in code_text if ch.isdigit())
    if ticket.expires_at <= clock.now():
        return None
    if not _join_guesses.hit(f"{merchant.id}:{ticket.phone}"):
        return None
    expected = _join_mac(secret, merchant.id, ticket.phone, code, ticket.expires_at)
    if not hmac.compare_digest(expected, ticket.mac):
        return None
    _join_guesses.reset(f"{merchant.id}:{ticket.phone}")
    ctx = Ctx(merchant, Actor("customer", None, "customer"))
    data = CustomerCreate(
        name=name or None,
        phone=ticket.phone,
        consent=consent or None,
        consent_source="portal",
    )
    try:
        with session.begin_nested():
            return customers.create_customer(session, ctx, data, source="portal").id
    except Conflict:  # joined meanwhile (another tab): the phone is proven, so it is theirs
        found = _customer(session, merchant, ticket.phone)
        return found.id if found is not None else None
