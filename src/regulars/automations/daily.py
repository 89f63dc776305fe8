"""The daily automations: who is due today (one read each) and the message for one customer, in
a transaction of its own. Every message carries a dedupe key, so a run taken twice (or caught up
after a server was off) writes each message once; what a key is made of is in
docs/automations.md."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from regulars.automations import audience, config
from regulars.checkout import history
from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound
from regulars.loyalty import ledger
from regulars.loyalty import service as loyalty
from regulars.messaging.outbox import enqueue
from regulars.offers import service as offers

CATCH_UP_DAYS = 7  # a win-back is still sent this many days late (a server that was off)


def _today(ctx: Ctx) -> date:
    return clock.today(ctx.merchant.timezone)


def _send(session: Session, ctx: Ctx, kind: str, customer_id: uuid.UUID, key: str,
          payload: dict[str, Any]) -> int:  # fmt: skip
    found = enqueue(
        session, merchant_id=ctx.merchant_id, kind=kind, category="marketing",
        customer_id=customer_id, payload=payload, dedupe_key=key,
    )  # fmt: skip
    return int(found is not None)


class _AlreadySent(Exception):
    pass


# --- birthday and anniversary: a personal code each -----------------------------------------


def _with_code(session: Session, ctx: Ctx, kind: str, customer_id: uuid.UUID,
               payload: dict[str, Any], key: str) -> int:  # fmt: skip
    """The personal code and the message, or neither: a second run finds the key taken and the
    savepoint drops the code it drew."""
    on, settings = config.settings_of(session, ctx, kind)
    if not on or settings["campaign_id"] is None:
        return 0
    campaign_id = uuid.UUID(settings["campaign_id"])
    try:
        with session.begin_nested():
            code = offers.personal_code(
                session, ctx, customer_id, campaign_id, settings["valid_days"]
            )
            campaign = offers.get_campaign(session, ctx, campaign_id)
            assert code.expires_at is not None
            extra = {"code": offers.printed(code.code), "offer": campaign.name,
                     "expires_at": code.expires_at.isoformat()}  # fmt: skip
            if not _send(session, ctx, kind, customer_id, key, payload | extra):
                raise _AlreadySent
    except _AlreadySent:
        return 0
    return 1


def birthdays_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    if not config.settings_of(session, ctx, "birthday")[0]:
        return []
    return audience.on_day(session, ctx, "birthday", _today(ctx))


def _live(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> Any:
    try:
        return customers.get_customer(session, ctx, customer_id, details=False)
    except NotFound:  # erased or merged since the list was read
        return None


def birthday_one(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    today = _today(ctx)
    customer = _live(session, ctx, customer_id)
    if customer is None or not audience.falls_on(customer.birthday, today):
        return 0
    reason = f"birthday on {today.isoformat()}"
    key = f"birthday:{customer_id}:{today.year}"
    return _with_code(session, ctx, "birthday", customer_id, {"reason": reason}, key)


def anniversaries_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    if not config.settings_of(session, ctx, "anniversary")[0]:
        return []
    return audience.on_day(session, ctx, "anniversary", _today(ctx))


def anniversary_one(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    today = _today(ctx)
    customer = _live(session, ctx, customer_id)
    if customer is None or not audience.falls_on(customer.anniversary, today):
        return 0
    years = today.year - customer.anniversary.year
    if years < 1:
        return 0
    payload = {"years": years, "reason": f"anniversary on {today.isoformat()} ({years} years)"}
    key = f"anniversary:{customer_id}:{today.year}"
    return _with_code(session, ctx, "anniversary", customer_id, payload, key)


# --- win-back ---------------------------------------------------------------------------------


def winback_due(session: Session, ctx: Ctx) -> list[tuple[uuid.UUID, datetime]]:
    """Customers whose last purchase is `days` (up to CATCH_UP_DAYS more) days old."""
    on, settings = config.settings_of(session, ctx, "winback")
    if not on:
        return []
    end = clock.now() - timedelta(days=settings["days"])
    quiet = history.quiet_since(session, ctx, end - timedelta(days=CATCH_UP_DAYS), end)
    ok = set(audience.reachable(session, ctx, [cid for cid, _at in quiet]))
    return [(cid, at) for cid, at in quiet if cid in ok]


def winback_one(session: Session, ctx: Ctx, item: tuple[uuid.UUID, datetime]) -> int:
    customer_id, last = item
    if not config.settings_of(session, ctx, "winback")[0]:
        return 0
    days = (clock.now() - last).days
    reason = f"no purchase for {days} days (last {last.date().isoformat()})"
    payload = {"days": days, "last_visit": last.isoformat(), "reason": reason}
    key = f"winback:{customer_id}:{last.isoformat()}"
    return _send(session, ctx, "winback", customer_id, key, payload)


# --- points expiring --------------------------------------------------------------------------


def expiring_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    on, settings = config.settings_of(session, ctx, "points_expiring")
    if not on:
        return []
    now = clock.now()
    ids = ledger.customers_with_points_expiring(
        session, ctx, now, now + timedelta(days=settings["days"])
    )
    return audience.reachable(session, ctx, ids)


def expiring_one(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> int:
    on, settings = config.settings_of(session, ctx, "points_expiring")
    if not on:
        return 0
    now = clock.now()
    points, first = ledger.expiring_soon(
        session, ctx, customer_id, now, now + timedelta(days=settings["days"])
    )
    if points <= 0 or first is None:
        return 0
    account = loyalty.account_of(session, ctx, customer_id)
    balance = account.balance if account is not None else 0
    points = min(points, max(balance, 0))
    if points <= 0:
        return 0
    payload = {"points": points, "expires_at": first.isoformat(), "balance": balance,
               "reason": f"{points} points expire on {first.date().isoformat()}"}  # fmt: skip
    key = f"points_expiring:{customer_id}:{first.isoformat()}"
    return _send(session, ctx, "points_expiring", customer_id, key, payload)
