"""Settings read from the environment (see README: Configuration)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    var_dir: Path
    log_level: str = "INFO"
    # `regulars serve` runs the daily jobs itself (regulars/daily.py) unless this is off.
    daily_jobs: bool = True
    # Portal one-time codes: how long they live and how many tries each phone gets.
    otp_ttl_seconds: int = 300
    otp_max_per_hour: int = 5
    # Messaging (docs/messaging.md). The address customers reach this server at, for links in
    # messages (unsubscribe); the key that encrypts channel credentials (None: a key file under
    # var_dir, made on first use); where a message goes when its merchant has not set its
    # channel up ("console" prints it, "none" gives up on it); how many tries before a message
    # is dead; and whether `serve` delivers the outbox itself (on SQLite).
    public_url: str = "http://127.0.0.1:8000"
    messaging_key: str | None = None
    unconfigured_channel: str = "console"
    outbox_max_attempts: int = 8
    outbox_lease_seconds: float = 120.0
    worker_in_process: bool = True
    # GET /metrics: with a token, only `Authorization: Bearer <token>`; without, loopback only.
    metrics_token: str | None = None
    # /readyz: is a background worker expected (auto: once one has beaten), how stale may it be.
    worker: str = "auto"
    worker_max_age: int = 120

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var_dir = Path(env.get("REGULARS_VAR_DIR", "var")).resolve()
        url = env.get("REGULARS_DATABASE_URL") or f"sqlite:///{var_dir / 'regulars.db'}"
        secret = env.get("REGULARS_SECRET_KEY") or _stored_secret(var_dir)
        return cls(
            database_url=url,
            secret_key=secret,
            var_dir=var_dir,
            log_level=env.get("REGULARS_LOG_LEVEL", "INFO").upper(),
            daily_jobs=_on(env.get("REGULARS_DAILY_JOBS", "on")),
            public_url=env.get("REGULARS_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
            messaging_key=env.get("REGULARS_MESSAGING_KEY") or None,
            unconfigured_channel=env.get("REGULARS_UNCONFIGURED_CHANNEL", "console"),
            outbox_max_attempts=int(env.get("REGULARS_OUTBOX_MAX_ATTEMPTS", "8")),
            outbox_lease_seconds=float(env.get("REGULARS_OUTBOX_LEASE_SECONDS", "120")),
            worker_in_process=_on(env.get("REGULARS_WORKER_IN_PROCESS", "on")),
            metrics_token=env.get("REGULARS_METRICS_TOKEN") or None,
            worker=env.get("REGULARS_WORKER", "auto").strip().lower(),
            worker_max_age=int(env.get("REGULARS_WORKER_MAX_AGE", "120")),
        )


def _on(value: str) -> bool:
    return value.strip().lower() not in ("off", "0", "false", "no")


def _stored_secret(var_dir: Path) -> str:
    """A per-installation secret kept under var/, made on first use, so cookies survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
