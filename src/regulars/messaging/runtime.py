"""What delivery needs from the installation, set once per process by `configure` (the app at
start-up, `regulars worker`): the secret for unsubscribe links, the public address, the key for
channel credentials, the channel for merchants who set none up, and the retry policy."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from regulars.messaging.channels.base import Channel
from regulars.messaging.crypto import Vault
from regulars.settings import Settings


@dataclass
class Runtime:
    secret_key: str = "development-only"
    public_url: str = "http://127.0.0.1:8000"
    vault: Vault = field(default_factory=Vault.ephemeral)
    # Messages for a channel the merchant has not set up go here (development: the console);
    # None: they are dead at once with "channel_not_configured".
    fallback: Channel | None = None
    max_attempts: int = 8
    backoff_base: float = 30.0  # seconds before the first retry; doubled each time, jittered
    backoff_cap: float = 6 * 3600.0
    lease_seconds: float = 120.0  # a claimed row comes back to others after this long
    batch: int = 50


_current = Runtime()


def current() -> Runtime:
    return _current


def configure(settings: Settings, **overrides: object) -> Runtime:
    """Set this process's runtime from the settings; `overrides` for tests (fallback=...)."""
    global _current
    from regulars.messaging.channels.console import ConsoleChannel

    fallback: Channel | None = (
        ConsoleChannel() if settings.unconfigured_channel == "console" else None
    )
    _current = Runtime(
        secret_key=settings.secret_key,
        public_url=settings.public_url.rstrip("/"),
        vault=Vault.for_settings(settings),
        fallback=fallback,
        max_attempts=settings.outbox_max_attempts,
        lease_seconds=settings.outbox_lease_seconds,
    )
    if overrides:
        _current = replace(_current, **overrides)  # type: ignore[arg-type]
    return _current


def set_runtime(runtime: Runtime) -> None:
    global _current
    _current = runtime
