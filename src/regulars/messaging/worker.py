"""The outbox worker: claim due messages, send each outside any transaction, record the result.

Claiming: one transaction picks up to `batch` due rows (pending or failed and due, or `sending`
with an expired lease), on PostgreSQL with FOR UPDATE SKIP LOCKED so that several workers take
different rows, and marks them `sending` with a lease (`claimed_until`) and one more attempt.
A worker killed while holding rows loses them when the lease runs out; another worker (or the
same one restarted) claims them again.

Delivering one message is three steps: a short transaction that decides (consent, address,
quiet hours, frequency cap, rendering) and may skip or defer it; the provider call, with no
transaction open; and a transaction that marks it sent together with the provider's message
id, only while our lease still holds. A crash between the provider's answer and that commit is
the one window in which a message can go twice (at least once); channels pass the row's id as
the provider's idempotency key where the provider has one (LINE's X-Line-Retry-Key), which
closes it there (docs/messaging.md).
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from regulars.db import Database, JobsStopped
from regulars.kit import clock
from regulars.kit.errors import NotFound
from regulars.merchants import service as merchants
from regulars.messaging import config, policy, runtime, service
from regulars.messaging.channels.base import (
    Channel,
    ChannelError,
    Outgoing,
    PermanentError,
    SendResult,
)
from regulars.messaging.models import OutboxMessage
from regulars.messaging.outbox import Recipient, channel_factory, renderer_for

log = logging.getLogger(__name__)
o: Table = OutboxMessage.__table__  # type: ignore[assignment]
# Kinds whose text is a secret for a few minutes: blanked once sent.
SCRUB_WHEN_SENT = {"signin_code", "join_code"}
SEND_MARGIN = timedelta(seconds=40)  # a send must finish this long before the lease ends


def _margin() -> timedelta:
    return min(SEND_MARGIN, timedelta(seconds=runtime.current().lease_seconds / 4))


@dataclass(frozen=True)
class Claim:
    merchant_id: uuid.UUID
    id: uuid.UUID
    until: datetime


@dataclass(frozen=True)
class Plan:
    channel: str
    adapter: Channel
    outgoing: Outgoing


@dataclass
class Counts:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    deferred: int = 0
    lost: int = 0  # our lease ran out before we could record the result

    def add(self, other: Counts) -> None:
        for name in vars(self):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _due(now: datetime) -> Any:
    return or_(
        and_(o.c.status.in_(("pending", "failed")), o.c.next_attempt_at <= now),
        and_(o.c.status == "sending", o.c.claimed_until < now),
    )


def claim(db: Database, limit: int, *, job: bool = False) -> list[Claim]:
    rt = runtime.current()

    def fn(session: Session) -> list[Claim]:
        now = clock.now()
        q = select(o.c.merchant_id, o.c.id).where(_due(now)).order_by(o.c.next_attempt_at)
        q = q.limit(limit)
        if not db.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        rows = session.execute(q).all()
        if not rows:
            return []
        until = now + timedelta(seconds=rt.lease_seconds)
        session.connection().execute(
            update(o)
            .where(o.c.merchant_id == bindparam("m"), o.c.id == bindparam("i"))
            .values(status="sending", claimed_until=until, attempts=o.c.attempts + 1),
            [{"m": r.merchant_id, "i": r.id} for r in rows],
        )
        return [Claim(r.merchant_id, r.id, until) for r in rows]

    return db.run(fn, job=job)


def _mine(c: Claim) -> Any:
    return and_(
        o.c.merchant_id == c.merchant_id,
        o.c.id == c.id,
        o.c.status == "sending",
        o.c.claimed_until == c.until,
    )


def _set(session: Session, c: Claim, **values: Any) -> bool:
    result = session.connection().execute(update(o).where(_mine(c)).values(**values))
    return bool(result.rowcount)


def _backoff(attempts: int) -> timedelta:
    rt = runtime.current()
    ceiling = min(rt.backoff_cap, rt.backoff_base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # "equal jitter"


def _failed(session: Session, c: Claim, attempts: int, error: str, permanent: bool) -> str:
    if permanent or attempts >= runtime.current().max_attempts:
        _set(session, c, status="dead", claimed_until=None, last_error=error[:1000])
        return "dead"
    _set(
        session,
        c,
        status="failed",
        claimed_until=None,
        last_error=error[:1000],
        next_attempt_at=clock.now() + _backoff(attempts),
    )
    return "failed"


def _adapter(session: Session, merchant_id: uuid.UUID, channel: str, set_up: set[str]) -> Channel:
    """The merchant's adapter for `channel`; the installation's fallback (the console in
    development) when the merchant has not set the channel up."""
    fallback = runtime.current().fallback
    if channel not in set_up and fallback is not None and channel in service.ORDER:
        return fallback
    factory = channel_factory(channel)
    if factory is None:
        raise PermanentError(f"no channel named {channel}")
    return factory(session, merchant_id)


def _plan(session: Session, c: Claim) -> Plan | str:
    """Decide what to do with a claimed message: a Plan to send, or the outcome written."""
    row = session.get(OutboxMessage, (c.merchant_id, c.id))
    if row is None or row.status != "sending" or row.claimed_until != c.until:
        return "lost"
    now = clock.now()
    merchant = merchants.get_merchant(session, c.merchant_id)
    try:
        customer = (
            service.load_customer(session, c.merchant_id, row.customer_id)
            if row.customer_id
            else None
        )
    except NotFound:
        _set(session, c, status="skipped", skip_reason="no_customer", claimed_until=None)
        return "skipped"
    if customer is not None and customer.erased_at is not None:
        _set(session, c, status="skipped", skip_reason="erased", claimed_until=None)
        return "skipped"
    set_up = config.configured(session, c.merchant_id)
    usable = set_up | set(service.ORDER) if runtime.current().fallback is not None else set_up
    way = service.route(session, row, customer, usable)
    if way.skip_reason is not None or way.channel is None or way.address is None:
        reason = way.skip_reason or "no_address"
        _set(session, c, status="skipped", skip_reason=reason, claimed_until=None)
        return "skipped"
    if row.category == "marketing":
        p = policy.policy(session, c.merchant_id)
        zone = (customer.timezone if customer else None) or merchant.timezone
        until = policy.quiet_until(p, zone, now)
        if until is not None:
            _set(
                session,
                c,
                status="pending",
                claimed_until=None,
                next_attempt_at=until,
                attempts=row.attempts - 1,
            )
            return "deferred"
        if policy.over_cap(session, p, row, now):
            _set(session, c, status="skipped", skip_reason="frequency_cap", claimed_until=None)
            return "skipped"
    if row.attempts > runtime.current().max_attempts:
        return _failed(session, c, row.attempts, "lease expired too often", permanent=True)
    locale = row.locale or (customer.locale if customer else None) or merchant.locale
    subject, body, html = row.subject, row.body, row.html
    if body is None:
        renderer = renderer_for(row.kind)
        if renderer is None:
            return _failed(session, c, row.attempts, f"no renderer for {row.kind}", True)
        recipient = Recipient(
            merchant=merchant,
            customer_id=row.customer_id,
            name=customer.name if customer else None,
            locale=locale,
            channel=way.channel,
            address=way.address,
            timezone=(customer.timezone if customer else None) or merchant.timezone,
        )
        try:
            with session.begin_nested():
                subject, body, html = renderer(session, row, recipient)
        except Exception as exc:  # a template's fault: retried (it may be fixed), then dead
            log.warning("rendering %s failed", row.kind, exc_info=True)
            return _failed(session, c, row.attempts, f"rendering failed: {exc}"[:500], False)
    headers: dict[str, str] = {}
    if way.channel == "email" and row.category == "marketing" and row.customer_id:
        url = service.unsubscribe_url(c.merchant_id, row.customer_id, "email")
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    try:
        adapter = _adapter(session, c.merchant_id, way.channel, set_up)
    except PermanentError as exc:
        return _failed(session, c, row.attempts, str(exc), permanent=True)
    outgoing = Outgoing(
        to=way.address,
        body=body,
        subject=subject,
        html=html,
        headers=headers,
        message_id=row.id,
        kind=row.kind,
        merchant_id=c.merchant_id,
        category=row.category,
        locale=locale,
    )
    return Plan(way.channel, adapter, outgoing)


def _record(
    db: Database, c: Claim, plan: Plan, result: SendResult | ChannelError, job: bool
) -> str:
    def fn(session: Session) -> str:
        if isinstance(result, ChannelError):
            attempts = session.scalar(
                select(o.c.attempts).where(o.c.merchant_id == c.merchant_id, o.c.id == c.id)
            )
            permanent = isinstance(result, PermanentError)
            return _failed(
                session, c, attempts or 0, str(result) or type(result).__name__, permanent
            )
        values: dict[str, Any] = {
            "status": "sent",
            "sent_at": clock.now(),
            "provider_message_id": (result.provider_message_id or "")[:200] or None,
            "channel": plan.channel,
            "claimed_until": None,
            "last_error": None,
        }
        if plan.outgoing.kind in SCRUB_WHEN_SENT:
            values.update(body="", html=None, payload={})
        return "sent" if _set(session, c, **values) else "lost"

    return db.run(fn, job=job)


def deliver(db: Database, c: Claim, *, job: bool = False) -> str:
    """One claimed message: 'sent', 'failed', 'dead', 'skipped', 'deferred' or 'lost'."""
    plan = db.run(lambda s: _plan(s, c), job=job)
    if isinstance(plan, str):
        return plan
    try:
        outcome: SendResult | ChannelError = plan.adapter.send(plan.outgoing)
    except ChannelError as exc:
        outcome = exc
    except Exception as exc:  # an adapter's bug must not stop the worker: retried, then dead
        log.warning("channel %s failed", plan.channel, exc_info=True)
        outcome = ChannelError(f"{type(exc).__name__}")
    result = _record(db, c, plan, outcome, job)
    if result == "lost":
        log.warning("outbox lease ran out before a result was recorded", extra={"id": str(c.id)})
    return result


def _release(db: Database, claims: list[Claim], job: bool) -> None:
    """Hand back rows we will not get to before our lease ends."""
    if not claims:
        return

    def fn(session: Session) -> None:
        for c in claims:
            _set(session, c, status="pending", claimed_until=None, attempts=o.c.attempts - 1)

    db.run(fn, job=job)


def deliver_once(db: Database, *, limit: int | None = None, job: bool = False) -> Counts:
    """Deliver what is due now, batch after batch, until nothing is due (or `limit` messages
    have been claimed). What `regulars worker --once` and tests run."""
    rt = runtime.current()
    counts = Counts()
    while limit is None or counts.claimed < limit:
        size = rt.batch if limit is None else min(rt.batch, limit - counts.claimed)
        claims = claim(db, size, job=job)
        if not claims:
            break
        counts.claimed += len(claims)
        for i, c in enumerate(claims):
            if clock.now() + _margin() > c.until:
                _release(db, claims[i:], job)
                break
            outcome = deliver(db, c, job=job)
            setattr(counts, outcome, getattr(counts, outcome) + 1)
    return counts


class Worker(threading.Thread):
    """`deliver_once` every `every` seconds until stopped: `regulars worker` runs it in the
    foreground, `regulars serve` on SQLite as a background thread."""

    def __init__(self, db: Database, every: float = 2.0, *, job: bool = False):
        super().__init__(name="outbox-worker", daemon=True)
        self.db, self.every, self.job = db, every, job
        self.stopping = threading.Event()
        self.totals = Counts()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.totals.add(deliver_once(self.db, job=self.job))
            except JobsStopped:
                return
            except Exception:  # the next tick tries again; claimed rows come back by lease
                log.warning("outbox delivery failed", exc_info=True)
            self.stopping.wait(self.every)

    def stop(self, timeout: float = 30) -> None:
        self.stopping.set()
        self.join(timeout)
