"""Chat and SMS providers over HTTP (httpx), each shaped as its public documentation shows.
Base URLs are per merchant, so a test (or a regional endpoint) points them elsewhere.

How an answer is read: 2xx sent; 429, 5xx and network errors try again later; any other 4xx
cannot succeed on a retry and goes dead (docs/messaging.md)."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from regulars.messaging.channels.base import Outgoing, PermanentError, SendResult, TransientError

TIMEOUT = httpx.Timeout(15.0, connect=5.0)
_client: httpx.Client | None = None
_lock = threading.Lock()


def client() -> httpx.Client:
    """One connection pool for the process (httpx.Client is thread-safe)."""
    global _client
    with _lock:
        if _client is None:
            _client = httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        return _client


def _post(url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client().post(url, **kwargs)
    except httpx.HTTPError as exc:
        raise TransientError(f"{type(exc).__name__} calling the provider") from None
    return response


def _check(response: httpx.Response) -> dict[str, Any]:
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientError(f"provider answered {status}")
    if status >= 400:
        raise PermanentError(f"provider answered {status}: {response.text[:200]}")
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class SmsChannel:
    """Twilio's Programmable Messaging: POST /2010-04-01/Accounts/{sid}/Messages.json, form
    fields To, From, Body, HTTP Basic auth with the account SID and auth token."""

    name = "sms"

    def __init__(self, *, account_sid: str, auth_token: str, sender: str, base_url: str):
        self.account_sid, self.auth_token, self.sender = account_sid, auth_token, sender
        self.base_url = base_url.rstrip("/")

    def send(self, message: Outgoing) -> SendResult:
        url = f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        body = _check(
            _post(
                url,
                data={"To": message.to, "From": self.sender, "Body": message.body},
                auth=(self.account_sid, self.auth_token),
            )
        )
        return SendResult(body.get("sid"))


class WhatsAppChannel:
    """WhatsApp Cloud API: POST /{version}/{phone_number_id}/messages with a Bearer token; a
    text message is {"messaging_product": "whatsapp", "to", "type": "text", "text": {"body"}}."""

    name = "whatsapp"

    def __init__(self, *, phone_number_id: str, access_token: str, base_url: str, api_version: str):
        self.phone_number_id, self.access_token = phone_number_id, access_token
        self.base_url, self.api_version = base_url.rstrip("/"), api_version

    def send(self, message: Outgoing) -> SendResult:
        url = f"{self.base_url}/{self.api_version}/{self.phone_number_id}/messages"
        payload = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": message.to.lstrip("+"),
            "type": "text",
            "text": {"preview_url": False, "body": message.body},
        }
        body = _check(
            _post(url, json=payload, headers={"Authorization": f"Bearer {self.access_token}"})
        )
        sent = body.get("messages") or [{}]
        return SendResult(sent[0].get("id"))


# Viber answers 200 with a status in the body; these mean the receiver or the data is wrong,
# which a retry cannot mend. Others (e.g. 12, too many requests) are tried again.
VIBER_PERMANENT = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13}


class ViberChannel:
    """Viber REST Bot API: POST /pa/send_message with the header X-Viber-Auth-Token; the
    receiver is the Viber user id the bot got when the customer subscribed."""

    name = "viber"

    def __init__(self, *, auth_token: str, sender_name: str, base_url: str):
        self.auth_token, self.sender_name = auth_token, sender_name
        self.base_url = base_url.rstrip("/")

    def send(self, message: Outgoing) -> SendResult:
        payload = {
            "receiver": message.to,
            "min_api_version": 1,
            "sender": {"name": self.sender_name[:28]},
            "tracking_data": str(message.message_id or ""),
            "type": "text",
            "text": message.body,
        }
        body = _check(
            _post(
                f"{self.base_url}/pa/send_message",
                json=payload,
                headers={"X-Viber-Auth-Token": self.auth_token},
            )
        )
        status = body.get("status", 0)
        if status != 0:
            error = PermanentError if status in VIBER_PERMANENT else TransientError
            raise error(f"Viber status {status}: {body.get('status_message', '')}")
        token = body.get("message_token")
        return SendResult(str(token) if token is not None else None)


class LineChannel:
    """LINE Messaging API push: POST /v2/bot/message/push with a Bearer channel access token.
    The outbox row's id goes as `X-Line-Retry-Key`, so LINE runs a repeated request once and
    answers the repeat 409 with the accepted request's id: a retry after a crash between the
    call and our commit is then no second message."""

    name = "line"

    def __init__(self, *, channel_access_token: str, base_url: str):
        self.token, self.base_url = channel_access_token, base_url.rstrip("/")

    def send(self, message: Outgoing) -> SendResult:
        headers = {"Authorization": f"Bearer {self.token}"}
        if message.message_id is not None:
            headers["X-Line-Retry-Key"] = str(message.message_id)
        response = _post(
            f"{self.base_url}/v2/bot/message/push",
            json={"to": message.to, "messages": [{"type": "text", "text": message.body}]},
            headers=headers,
        )
        if response.status_code == 409 and "X-Line-Retry-Key" in headers:
            return SendResult(response.headers.get("x-line-accepted-request-id"))
        body = _check(response)
        sent = body.get("sentMessages") or [{}]
        return SendResult(sent[0].get("id") or response.headers.get("x-line-request-id"))


class TelegramChannel:
    """Telegram Bot API: POST /bot{token}/sendMessage with chat_id and text."""

    name = "telegram"

    def __init__(self, *, bot_token: str, base_url: str):
        self.bot_token, self.base_url = bot_token, base_url.rstrip("/")

    def send(self, message: Outgoing) -> SendResult:
        response = _post(
            f"{self.base_url}/bot{self.bot_token}/sendMessage",
            json={"chat_id": message.to, "text": message.body},
        )
        body = _check(response)
        if not body.get("ok", False):
            raise PermanentError(f"Telegram: {body.get('description', 'not ok')}")
        result = body.get("result") or {}
        found = result.get("message_id")
        return SendResult(f"{message.to}:{found}" if found is not None else None)
