"""Messaging rules other domains call: where a message goes (channel and address, by the
customer's preference and consent), per-customer channel addresses, unsubscribe tokens, and
forgetting an erased customer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, selectinload

from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.customers.schemas import CustomerUpdate
from regulars.kit import clock
from regulars.kit.context import Actor, Ctx
from regulars.kit.errors import NotFound
from regulars.merchants import service as merchants
from regulars.messaging import runtime
from regulars.messaging.models import CustomerAddress, OutboxMessage

# Tried in this order after the customer's preferred channel.
ORDER = ("sms", "whatsapp", "viber", "line", "telegram", "email")
STORED_ADDRESS = ("viber", "line", "telegram")  # ids kept in customer_channel_addresses
UNSUBSCRIBE_SALT = "regulars.unsubscribe"


@dataclass(frozen=True)
class Route:
    channel: str | None
    address: str | None
    skip_reason: str | None = None


def addresses(session: Session, customer: Customer) -> dict[str, str]:
    found: dict[str, str] = {}
    if customer.phone:
        found["sms"] = found["whatsapp"] = customer.phone
    if customer.email:
        found["email"] = customer.email
    rows = session.scalars(
        select(CustomerAddress).where(
            CustomerAddress.merchant_id == customer.merchant_id,
            CustomerAddress.customer_id == customer.id,
        )
    )
    for row in rows:
        found[row.channel] = row.address
    return found


def route(
    session: Session,
    message: OutboxMessage,
    customer: Customer | None,
    usable: set[str],
) -> Route:
    """The channel and address for `message` now. `usable`: channels that can deliver for
    this merchant (set up, or any when the installation has a fallback channel).

    An explicit channel is kept (skipped when it lacks consent or an address); otherwise the
    customer's preferred channel, then ORDER, first one usable with an address and, for
    marketing, consent. Transactional messages need no marketing consent."""
    marketing = message.category == "marketing"
    if customer is None:
        if message.channel and message.address:
            return Route(message.channel, message.address)
        return Route(None, None, "no_address")
    known = addresses(session, customer)
    consent = {c.channel: c.granted for c in customer.consents}
    if message.channel:
        address = message.address or known.get(message.channel)
        if marketing and not consent.get(message.channel, False):
            return Route(message.channel, address, "no_consent")
        if address is None:
            return Route(message.channel, None, "no_address")
        return Route(message.channel, address)
    order = [customer.preferred_channel] if customer.preferred_channel else []
    order += [c for c in ORDER if c not in order]
    reason = "no_address"
    for channel in order:
        address = known.get(channel)
        if address is None or channel not in usable:
            continue
        if marketing and not consent.get(channel, False):
            reason = "no_consent"
            continue
        return Route(channel, address)
    return Route(None, None, reason)


def phone_channel(session: Session, merchant_id: uuid.UUID) -> str:
    """The channel for a code sent to a bare phone number: SMS, or WhatsApp when only that is
    set up."""
    from regulars.messaging.config import configured

    set_up = configured(session, merchant_id)
    return "whatsapp" if "whatsapp" in set_up and "sms" not in set_up else "sms"


def load_customer(session: Session, merchant_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    found = session.scalar(
        select(Customer)
        .where(Customer.merchant_id == merchant_id, Customer.id == customer_id)
        .options(selectinload(Customer.consents))
    )
    if found is None:
        raise NotFound("customer not found")
    return found


# --- per-customer addresses ---------------------------------------------------------------


def set_address(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, channel: str, address: str
) -> CustomerAddress:
    customers.get_customer(session, ctx, customer_id, details=False)  # 404 for others'
    row = session.get(CustomerAddress, (ctx.merchant_id, customer_id, channel))
    if row is None:
        row = CustomerAddress(merchant_id=ctx.merchant_id, customer_id=customer_id, channel=channel)
        session.add(row)
    row.address, row.updated_at = address, clock.now()
    session.flush()
    return row


def list_addresses(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> list[CustomerAddress]:
    customers.get_customer(session, ctx, customer_id, details=False)
    return list(
        session.scalars(
            select(CustomerAddress)
            .where(
                CustomerAddress.merchant_id == ctx.merchant_id,
                CustomerAddress.customer_id == customer_id,
            )
            .order_by(CustomerAddress.channel)
        )
    )


def forget_customer(session: Session, merchant_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    """Erasure: the customer's stored chat ids go, their messages lose address and text, and
    those not yet sent are skipped."""
    session.execute(
        delete(CustomerAddress).where(
            CustomerAddress.merchant_id == merchant_id, CustomerAddress.customer_id == customer_id
        )
    )
    o = OutboxMessage
    mine = (o.merchant_id == merchant_id) & (o.customer_id == customer_id)
    session.execute(
        update(o)
        .where(mine, o.status.in_(("pending", "failed", "sending")))
        .values(status="skipped", skip_reason="erased", claimed_until=None)
    )
    session.execute(
        update(o).where(mine).values(address=None, subject=None, body="", html=None, payload={})
    )


# --- unsubscribe ----------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(runtime.current().secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(merchant_id: uuid.UUID, customer_id: uuid.UUID, channel: str) -> str:
    return str(_serializer().dumps([merchant_id.hex, customer_id.hex, channel]))


def unsubscribe_url(merchant_id: uuid.UUID, customer_id: uuid.UUID, channel: str) -> str:
    token = unsubscribe_token(merchant_id, customer_id, channel)
    return f"{runtime.current().public_url}/u/{token}"


def read_token(token: str) -> tuple[uuid.UUID, uuid.UUID, str] | None:
    try:
        value: Any = _serializer().loads(token)
        merchant, customer, channel = value
        return uuid.UUID(merchant), uuid.UUID(customer), str(channel)
    except (BadSignature, ValueError, TypeError):
        return None


def unsubscribe(session: Session, token: str) -> tuple[str, str] | None:
    """Withdraws the channel's marketing consent the token names (RFC 8058 one-click). Returns
    (shop name, channel), or None for a token that is not ours. Safe to repeat."""
    found = read_token(token)
    if found is None:
        return None
    merchant_id, customer_id, channel = found
    try:
        merchant = merchants.get_merchant(session, merchant_id)
        ctx = Ctx(merchant, Actor("customer", customer_id, "customer"))
        customers.update_customer(
            session,
            ctx,
            customer_id,
            CustomerUpdate(consent={channel: False}, consent_source="unsubscribe"),
        )
    except NotFound:
        return None
    return merchant.name, channel


def recent_for_customer(
    session: Session, ctx: Ctx, customer_id: uuid.UUID, limit: int
) -> list[OutboxMessage]:
    """A customer's newest messages, for their timeline."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.merchant_id == ctx.merchant_id,
                OutboxMessage.customer_id == customer_id,
            )
            .order_by(OutboxMessage.created_at.desc())
            .limit(limit)
        )
    )
