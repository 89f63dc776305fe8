"""The outbox: a message is a row written in the transaction of the event that causes it, and
the worker (`messaging/worker.py`) delivers it. Renderers and channel factories are registered
by name, so other domains plug in without this package knowing them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import MerchantInfo
from regulars.kit.ids import new_id
from regulars.messaging.channels.base import Channel
from regulars.messaging.models import OutboxMessage

Category = Literal["transactional", "marketing"]
CATEGORIES = ("transactional", "marketing")


class Rendered(NamedTuple):
    subject: str | None
    body: str
    html: str | None


@dataclass(frozen=True)
class Recipient:
    """Who a message is for, as the renderer needs it."""

    merchant: MerchantInfo
    customer_id: uuid.UUID | None
    name: str | None
    locale: str  # the message's, else the customer's, else the merchant's
    channel: str
    address: str
    timezone: str  # the merchant's (customers have none of their own yet)


Renderer = Callable[[Session, OutboxMessage, Recipient], Rendered]
ChannelFactory = Callable[[Session, uuid.UUID], Channel]

_renderers: dict[str, Renderer] = {}
_channels: dict[str, ChannelFactory] = {}


def register_renderer(kind: str, fn: Renderer) -> None:
    """`fn` renders messages of `kind` enqueued without a body, at send time."""
    _renderers[kind] = fn


def register_channel(name: str, factory: ChannelFactory) -> None:
    """`factory(session, merchant_id)` builds the adapter for a merchant from its settings; it
    raises `PermanentError` when the merchant has not set the channel up."""
    _channels[name] = factory


def renderer_for(kind: str) -> Renderer | None:
    return _renderers.get(kind)


def channel_factory(name: str) -> ChannelFactory | None:
    return _channels.get(name)


def registered_channels() -> tuple[str, ...]:
    return tuple(_channels)


def enqueue(
    session: Session,
    *,
    merchant_id: uuid.UUID,
    kind: str,
    category: Category,
    customer_id: uuid.UUID | None = None,
    channel: str | None = None,
    address: str | None = None,
    locale: str | None = None,
    subject: str | None = None,
    body: str | None = None,
    html: str | None = None,
    payload: dict[str, Any] | None = None,
    campaign_id: uuid.UUID | None = None,
    variant: str | None = None,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> uuid.UUID | None:
    """Write one message in the caller's transaction (flush only). Returns its id, or None when
    `dedupe_key` was already used for this merchant.

    The duplicate check runs in a savepoint against the unique constraint, so two transactions
    enqueueing the same key at once still write one row (the second waits for the first on
    PostgreSQL, then finds its key taken)."""
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES}")
    if customer_id is None and address is None:
        raise ValueError("a message needs a customer_id or an address")
    now = clock.now()
    row = OutboxMessage(
        merchant_id=merchant_id,
        id=new_id(),
        kind=kind,
        category=category,
        customer_id=customer_id,
        channel=channel,
        address=address,
        locale=locale,
        subject=subject,
        body=body,
        html=html,
        payload=dict(payload or {}),
        campaign_id=campaign_id,
        variant=variant,
        dedupe_key=dedupe_key,
        status="pending",
        attempts=0,
        next_attempt_at=not_before if not_before is not None else now,
        created_at=now,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
        return row.id
    taken = select(OutboxMessage.id).where(
        OutboxMessage.merchant_id == merchant_id, OutboxMessage.dedupe_key == dedupe_key
    )
    if session.scalar(taken) is not None:
        return None

    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row.id
