"""Channel settings per merchant: stored with their secrets sealed (crypto.py), listed without
them, and turned into adapters for the worker (registered with the outbox by name)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.schemas import Schema
from regulars.merchants import service as merchants
from regulars.messaging import runtime
from regulars.messaging.channels import http
from regulars.messaging.channels.base import Channel, PermanentError
from regulars.messaging.channels.console import ConsoleChannel
from regulars.messaging.channels.email import EmailChannel
from regulars.messaging.models import ChannelConfig
from regulars.messaging.outbox import register_channel
from regulars.messaging.schemas import SECRET_FIELDS


def put_channel(session: Session, ctx: Ctx, channel: str, body: Schema) -> ChannelConfig:
    merchants.require_role(ctx, "manager")
    values = body.model_dump()
    secret_names = SECRET_FIELDS[channel]
    secrets = {k: values.pop(k) for k in secret_names if values.get(k) is not None}
    for k in secret_names:
        values.pop(k, None)
    row = session.get(ChannelConfig, (ctx.merchant_id, channel))
    if row is None:
        row = ChannelConfig(merchant_id=ctx.merchant_id, channel=channel)
        session.add(row)
    row.config = values
    row.secret = runtime.current().vault.seal(secrets)
    row.enabled = True
    row.updated_at = clock.now()
    merchants.record_audit(
        session, ctx, "messaging.channel_set", "channel", None, {"channel": channel}
    )
    session.flush()
    return row


def list_channels(session: Session, ctx: Ctx) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(ChannelConfig)
        .where(ChannelConfig.merchant_id == ctx.merchant_id)
        .order_by(ChannelConfig.channel)
    )
    vault = runtime.current().vault
    out = []
    for row in rows:
        try:
            stored = sorted(vault.open(row.secret))
        except ValueError:
            stored = []
        out.append(
            {
                "channel": row.channel,
                "enabled": row.enabled,
                "config": dict(row.config),
                "secrets_set": stored,
                "updated_at": row.updated_at,
            }
        )
    return out


def configured(session: Session, merchant_id: uuid.UUID) -> set[str]:
    return set(
        session.scalars(
            select(ChannelConfig.channel).where(
                ChannelConfig.merchant_id == merchant_id, ChannelConfig.enabled.is_(True)
            )
        )
    )


def _settings(session: Session, merchant_id: uuid.UUID, channel: str) -> dict[str, Any]:
    row = session.get(ChannelConfig, (merchant_id, channel))
    if row is None or not row.enabled:
        raise PermanentError(f"{channel} is not set up for this shop")
    try:
        secrets = runtime.current().vault.open(row.secret)
    except ValueError as exc:
        raise PermanentError(str(exc)) from None
    return {**row.config, **secrets}


def _email(session: Session, merchant_id: uuid.UUID) -> Channel:
    s = _settings(session, merchant_id, "email")
    return EmailChannel(
        host=s["host"],
        port=int(s["port"]),
        security=s["security"],
        sender=s["sender"],
        username=s.get("username"),
        password=s.get("password"),
    )


def _sms(session: Session, merchant_id: uuid.UUID) -> Channel:
    s = _settings(session, merchant_id, "sms")
    return http.SmsChannel(
        account_sid=s["account_sid"],
        auth_token=s["auth_token"],
        sender=s["sender"],
        base_url=s["base_url"],
    )


def _whatsapp(session: Session, merchant_id: uuid.UUID) -> Channel:
    s = _settings(session, merchant_id, "whatsapp")
    return http.WhatsAppChannel(
        phone_number_id=s["phone_number_id"],
        access_token=s["access_token"],
        base_url=s["base_url"],
        api_version=s["api_version"],
    )


def _viber(session: Session, merchant_id: uuid.UUID) -> Channel:
    s = _settings(session, merchant_id, "viber")
    return http.ViberChannel(
        auth_token=s["auth_token"], sender_name=s["sender_name"], base_url=s["base_url"]
    )


def _line(session: Session, merchant_id: uuid.UUID) -> Channel:
    s = _settings(session, merchant_id, "line")
    return http.LineChannel(channel_access_token=s["channel_access_token"], base_url=s["base_url"])


def _telegram(session: Session, merchant_id: uuid.UUID) -> Channel:
    s = _settings(session, merchant_id, "telegram")
    return http.TelegramChannel(bot_token=s["bot_token"], base_url=s["base_url"])


FACTORIES = {
    "email": _email,
    "sms": _sms,
    "whatsapp": _whatsapp,
    "viber": _viber,
    "line": _line,
    "telegram": _telegram,
}
for _name, _factory in FACTORIES.items():
    register_channel(_name, _factory)
register_channel("console", lambda _s, _m: ConsoleChannel())
