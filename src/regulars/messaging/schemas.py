"""API shapes for channel settings, anti-annoyance settings and customer channel addresses."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from email.utils import parseaddr
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from regulars.kit.schemas import Schema

HttpChannel = Literal["sms", "whatsapp", "viber", "line", "telegram"]
AddressChannel = Literal["viber", "line", "telegram"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http(s) URL, e.g. https://api.example.com")
    return value.rstrip("/")


class _Http(Schema):
    base_url: str = Field(max_length=300)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        return _base_url(v)


class EmailSettings(Schema):
    host: str = Field(min_length=1, max_length=253, examples=["smtp.example.com"])
    port: int = Field(ge=1, le=65535, examples=[587])
    security: Literal["none", "starttls", "tls"]
    sender: str = Field(max_length=254, examples=["Shwe Bakery <hello@shwe.example>"])
    username: str | None = Field(default=None, max_length=254)
    password: str | None = Field(default=None, max_length=500)

    @field_validator("sender")
    @classmethod
    def _sender(cls, v: str) -> str:
        address = parseaddr(v)[1]
        if "@" not in address or any(c in v for c in "\r\n"):
            raise ValueError("an email address, optionally with a name: Shop <a@b.example>")
        return v


class SmsSettings(_Http):
    """A Twilio-compatible Messages API (docs/messaging.md)."""

    account_sid: str = Field(min_length=1, max_length=64)
    auth_token: str = Field(min_length=1, max_length=200)
    sender: str = Field(min_length=1, max_length=20, description="From: a number or sender id")
    base_url: str = Field(default="https://api.twilio.com", max_length=300)


class WhatsAppSettings(_Http):
    phone_number_id: str = Field(min_length=1, max_length=64)
    access_token: str = Field(min_length=1, max_length=1000)
    api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    base_url: str = Field(default="https://graph.facebook.com", max_length=300)


class ViberSettings(_Http):
    auth_token: str = Field(min_length=1, max_length=200)
    sender_name: str = Field(min_length=1, max_length=28)
    base_url: str = Field(default="https://chatapi.viber.com", max_length=300)


class LineSettings(_Http):
    channel_access_token: str = Field(min_length=1, max_length=1000)
    base_url: str = Field(default="https://api.line.me", max_length=300)


class TelegramSettings(_Http):
    bot_token: str = Field(min_length=1, max_length=200, pattern=r"^[0-9]+:[A-Za-z0-9_-]+$")
    base_url: str = Field(default="https://api.telegram.org", max_length=300)


SETTINGS: dict[str, type[Schema]] = {
    "email": EmailSettings,
    "sms": SmsSettings,
    "whatsapp": WhatsAppSettings,
    "viber": ViberSettings,
    "line": LineSettings,
    "telegram": TelegramSettings,
}
# Stored encrypted, never shown again.
SECRET_FIELDS = {
    "email": ("password",),
    "sms": ("auth_token",),
    "whatsapp": ("access_token",),
    "viber": ("auth_token",),
    "line": ("channel_access_token",),
    "telegram": ("bot_token",),
}


class ChannelOut(Schema):
    channel: str
    enabled: bool
    config: dict[str, Any] = Field(description="The settings without the secrets")
    secrets_set: list[str] = Field(description="Secret fields stored (encrypted)")
    updated_at: datetime


class ChannelList(Schema):
    data: list[ChannelOut]


class MessagingSettingsIn(Schema):
    cap_messages: int = Field(
        default=2, ge=0, le=100, description="Marketing messages per customer per window"
    )
    cap_days: int = Field(default=7, ge=1, le=90, description="The window, in days")
    quiet_start: str = Field(default="21:00", description="HH:MM in the customer's time zone")
    quiet_end: str = Field(default="08:00", description="HH:MM; equal to start = no quiet hours")

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError("a time of day as HH:MM, 00:00 to 23:59")
        return v


class MessagingSettingsOut(MessagingSettingsIn):
    pass


class AddressIn(Schema):
    address: str = Field(min_length=1, max_length=254, description="Chat id / user id")

    @field_validator("address")
    @classmethod
    def _plain(cls, v: str) -> str:
        v = v.strip()
        if not v or any(c.isspace() for c in v):
            raise ValueError("an id without spaces")
        return v


class AddressOut(Schema):
    customer_id: uuid.UUID
    channel: str
    address: str
    updated_at: datetime


class OutboxOut(Schema):
    id: uuid.UUID
    kind: str
    category: str
    customer_id: uuid.UUID | None
    channel: str | None
    status: str
    attempts: int
    skip_reason: str | None
    last_error: str | None
    provider_message_id: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
