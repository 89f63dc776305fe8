"""The channel adapter protocol: one `send` per message, and two errors that tell the worker
whether to try again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Outgoing:
    """One rendered message, ready to leave."""

    to: str  # E.164 phone, email address, chat id, LINE user id, webhook endpoint id
    body: str
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    message_id: uuid.UUID | None = None  # the outbox row's id: providers that take one dedupe
    kind: str = ""
    merchant_id: uuid.UUID | None = None
    category: str = "transactional"
    locale: str | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None = None


class ChannelError(Exception):
    """A send that did not happen; `detail` is kept in the outbox row's `last_error`."""


class TransientError(ChannelError):
    """Try again later (network down, 429, 5xx)."""


class PermanentError(ChannelError):
    """Trying again cannot help (bad credentials, rejected address): the message goes dead."""


@runtime_checkable
class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> SendResult: ...
