"""How a message leaves: one small protocol, so SMS, WhatsApp, Viber... plug in later.

`ConsoleChannel` is the development channel: it prints, on purpose not through logging, because
logs must never hold phone numbers or codes while a developer at the console needs to read both.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class Channel(Protocol):
    def send(self, to: str, body: str) -> None:
        """Deliver `body` to `to` (E.164 phone or email address)."""
        ...


class ConsoleChannel:
    def send(self, to: str, body: str) -> None:
        print(f"[message to {to}] {body}", flush=True)


@dataclass(frozen=True)
class Sent:
    to: str
    body: str


class MemoryChannel:
    """Keeps what was sent, for tests; safe to share between server threads."""

    def __init__(self) -> None:
        self._sent: list[Sent] = []
        self._lock = threading.Lock()

    def send(self, to: str, body: str) -> None:
        with self._lock:
            self._sent.append(Sent(to, body))

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)

    def last_to(self, to: str) -> Sent | None:
        matching = [m for m in self.sent if m.to == to]
        return matching[-1] if matching else None
