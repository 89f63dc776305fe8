"""The renderer the outbox worker calls for every automation kind enqueued without a body: the
message is worded at send time, in the recipient's language, with the template in force then."""

from __future__ import annotations

from sqlalchemy.orm import Session

from regulars.customers.models import Customer
from regulars.message_templates import render as r
from regulars.message_templates.service import render_for
from regulars.messaging.models import OutboxMessage
from regulars.messaging.outbox import Recipient, Rendered, register_renderer


def render_message(session: Session, message: OutboxMessage, recipient: Recipient) -> Rendered:
    customer = (
        session.get(Customer, (message.merchant_id, message.customer_id))
        if message.customer_id is not None
        else None
    )
    _lang, out = render_for(
        session, recipient.merchant, message.kind, customer, message.payload, recipient.locale
    )
    return Rendered(out.subject or None, out.body, None)


def install() -> None:
    for kind in r.KINDS:
        register_renderer(kind, render_message)


install()
