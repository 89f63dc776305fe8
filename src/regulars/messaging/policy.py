"""Anti-annoyance for marketing messages (transactional ones are exempt): a frequency cap per
customer and quiet hours in the customer's time zone (the shop's when the customer has none).
Both are checked by the worker when it is about to send, not when a message is enqueued."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.merchants import service as merchants
from regulars.messaging.models import MessagingSettings, OutboxMessage
from regulars.messaging.schemas import MessagingSettingsIn


@dataclass(frozen=True)
class Policy:
    cap_messages: int = 2
    cap_days: int = 7
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"


def policy(session: Session, merchant_id: uuid.UUID) -> Policy:
    row = session.get(MessagingSettings, (merchant_id, "marketing"))
    if row is None:
        return Policy()
    return Policy(row.cap_messages, row.cap_days, row.quiet_start, row.quiet_end)


def put_settings(session: Session, ctx: Ctx, body: MessagingSettingsIn) -> Policy:
    merchants.require_role(ctx, "manager")
    row = session.get(MessagingSettings, (ctx.merchant_id, "marketing"))
    if row is None:
        row = MessagingSettings(merchant_id=ctx.merchant_id, category="marketing")
        session.add(row)
    row.cap_messages, row.cap_days = body.cap_messages, body.cap_days
    row.quiet_start, row.quiet_end = body.quiet_start, body.quiet_end
    row.updated_at = clock.now()
    merchants.record_audit(
        session, ctx, "messaging.settings_changed", "messaging", None, body.model_dump()
    )
    session.flush()
    return policy(session, ctx.merchant_id)


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def quiet_until(p: Policy, zone: str, now: datetime) -> datetime | None:
    """When quiet hours end (UTC) if `now` falls in them in `zone`, else None. Quiet hours may
    run past midnight (21:00-08:00); start == end means none."""
    start, end = _hhmm(p.quiet_start), _hhmm(p.quiet_end)
    if start == end:
        return None
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    t = local.time().replace(second=0, microsecond=0, tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:
        inside = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    # fold=0 and a round trip through UTC: a wall-clock time skipped by a DST change lands
    # just after it, one repeated by it at its first occurrence
    end_local = datetime.combine(end_day, end, tzinfo=tz)
    return end_local.astimezone(ZoneInfo("UTC"))


def over_cap(session: Session, p: Policy, message: OutboxMessage, now: datetime) -> bool:
    """True when the customer already had `cap_messages` marketing messages in the last
    `cap_days` days. Counted: those sent in the window, and those being sent right now by any
    worker that come before this one (by id), so that concurrent workers, whose claims are
    committed before they check, agree on which message of a burst is over the cap."""
    if message.customer_id is None:
        return False
    if p.cap_messages == 0:
        return True
    since = now - timedelta(days=p.cap_days)
    o = OutboxMessage
    count = session.scalar(
        select(func.count())
        .select_from(o)
        .where(
            o.merchant_id == message.merchant_id,
            o.customer_id == message.customer_id,
            o.category == "marketing",
            o.id != message.id,
            or_(
                (o.status == "sent") & (o.sent_at > since),
                (o.status == "sending") & (o.claimed_until > now) & (o.id < message.id),
            ),
        )
    )
    return (count or 0) >= p.cap_messages
