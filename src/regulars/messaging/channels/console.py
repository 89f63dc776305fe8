"""`ConsoleChannel` is the development channel: it prints, on purpose not through logging,
because logs must never hold phone numbers or codes while a developer at the console needs to
read both. `MemoryChannel` keeps what was sent, for tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from regulars.messaging.channels.base import Outgoing, SendResult


class ConsoleChannel:
    name = "console"

    def send(self, message: Outgoing) -> SendResult:
        subject = f" {message.subject}:" if message.subject else ""
        print(f"[message to {message.to}]{subject} {message.body}", flush=True)
        return SendResult(None)


@dataclass(frozen=True)
class Sent:
    to: str
    body: str
    subject: str | None = None
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    kind: str = ""


class MemoryChannel:
    """Keeps what was sent; safe to share between threads."""

    name = "memory"

    def __init__(self) -> None:
        self._sent: list[Sent] = []
        self._lock = threading.Lock()

    def send(self, message: Outgoing) -> SendResult:
        with self._lock:
            self._sent.append(
                Sent(
                    message.to,
                    message.body,
                    message.subject,
                    message.html,
                    dict(message.headers),
                    message.kind,
                )
            )
            return SendResult(f"memory-{len(self._sent)}")

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)

    def last_to(self, to: str) -> Sent | None:
        matching = [m for m in self.sent if m.to == to]
        return matching[-1] if matching else None
