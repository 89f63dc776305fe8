"""Channel settings, anti-annoyance settings, customers' chat ids and a message's status."""

from __future__ import annotations

import uuid
from typing import Any, get_args

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound
from regulars.merchants.auth import Tx, tx
from regulars.messaging import config, policy, service
from regulars.messaging.models import OutboxMessage
from regulars.messaging.schemas import (
    AddressChannel,
    AddressIn,
    AddressOut,
    ChannelList,
    ChannelOut,
    EmailSettings,
    LineSettings,
    MessagingSettingsIn,
    MessagingSettingsOut,
    OutboxOut,
    SmsSettings,
    TelegramSettings,
    ViberSettings,
    WhatsAppSettings,
)

router = APIRouter(tags=["messaging"])


def _one(session: Session, ctx: Ctx, channel: str) -> dict[str, Any]:
    return next(c for c in config.list_channels(session, ctx) if c["channel"] == channel)


def _put(channel: str, body: Any, t: Tx) -> Any:
    return t(lambda s, ctx: (config.put_channel(s, ctx, channel, body), _one(s, ctx, channel))[1])


@router.get("/channels", response_model=ChannelList)
def list_channels(t: Tx = Depends(tx)) -> object:
    return {"data": t(config.list_channels)}


@router.put("/channels/email", response_model=ChannelOut)
def put_email(body: EmailSettings, t: Tx = Depends(tx)) -> object:
    return _put("email", body, t)


@router.put("/channels/sms", response_model=ChannelOut)
def put_sms(body: SmsSettings, t: Tx = Depends(tx)) -> object:
    return _put("sms", body, t)


@router.put("/channels/whatsapp", response_model=ChannelOut)
def put_whatsapp(body: WhatsAppSettings, t: Tx = Depends(tx)) -> object:
    return _put("whatsapp", body, t)


@router.put("/channels/viber", response_model=ChannelOut)
def put_viber(body: ViberSettings, t: Tx = Depends(tx)) -> object:
    return _put("viber", body, t)


@router.put("/channels/line", response_model=ChannelOut)
def put_line(body: LineSettings, t: Tx = Depends(tx)) -> object:
    return _put("line", body, t)


@router.put("/channels/telegram", response_model=ChannelOut)
def put_telegram(body: TelegramSettings, t: Tx = Depends(tx)) -> object:
    return _put("telegram", body, t)


@router.get("/messaging/settings", response_model=MessagingSettingsOut)
def get_settings(t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: vars(policy.policy(s, ctx.merchant_id)))


@router.put("/messaging/settings", response_model=MessagingSettingsOut)
def put_settings(body: MessagingSettingsIn, t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: vars(policy.put_settings(s, ctx, body)))


def _address_route(channel: str) -> None:
    """PUT /customers/{id}/channel-addresses/{viber|line|telegram}: one route per channel."""

    @router.put(
        f"/customers/{{customer_id}}/channel-addresses/{channel}",
        response_model=AddressOut,
        name=f"put_{channel}_address",
        summary=f"Set the customer's {channel} id",
    )
    def put_address(customer_id: uuid.UUID, body: AddressIn, t: Tx = Depends(tx)) -> object:
        return t(lambda s, ctx: service.set_address(s, ctx, customer_id, channel, body.address))


for _channel in get_args(AddressChannel):
    _address_route(_channel)


@router.get("/customers/{customer_id}/channel-addresses", response_model=list[AddressOut])
def list_addresses(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(lambda s, ctx: service.list_addresses(s, ctx, customer_id))


@router.get("/outbox/{message_id}", response_model=OutboxOut)
def get_message(message_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    def fn(session: Session, ctx: Ctx) -> OutboxMessage:
        row = session.get(OutboxMessage, (ctx.merchant_id, message_id))
        if row is None:
            raise NotFound("message not found")
        return row

    return t(fn)
