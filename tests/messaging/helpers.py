"""Test helpers: a memory channel that delivers the outbox through itself when read."""

from __future__ import annotations

from dataclasses import replace

from regulars.db import Database
from regulars.messaging import runtime
from regulars.messaging.channels.console import MemoryChannel, Sent
from regulars.messaging.worker import deliver_once


class DeliveringChannel(MemoryChannel):
    """The installation's fallback channel (what a shop without channels set up gets): reading
    `sent` first runs the worker once, as `regulars worker --once` would."""

    def __init__(self, db: Database):
        super().__init__()
        self.db = db
        self.install()

    def install(self) -> None:
        runtime.set_runtime(replace(runtime.current(), fallback=self))

    def deliver(self) -> None:
        self.install()
        deliver_once(self.db)

    @property
    def sent(self) -> list[Sent]:
        self.deliver()
        return self.delivered

    @property
    def delivered(self) -> list[Sent]:
        with self._lock:
            return list(self._sent)
