"""The birthday automation over the demo shops, on a fixed day: every customer with a birthday
that day and consent to some channel gets one message with a personal code that works; nobody
without consent gets anything; those already at their frequency cap are skipped by the worker."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from regulars import daily, demo
from regulars.automations import config
from regulars.automations.schemas import AutomationIn
from regulars.customers.models import Customer
from regulars.db import Database
from regulars.demo.shops import BAKERY
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx
from regulars.merchants import service as merchants
from regulars.messaging import runtime
from regulars.messaging.channels.console import MemoryChannel
from regulars.messaging.models import OutboxMessage
from regulars.messaging.outbox import enqueue
from regulars.messaging.worker import deliver_once
from regulars.offers import service as offers
from regulars.offers.schemas import CampaignCreate, ValidateIn

SEEDED_AT = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _light_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merchants, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _busiest_birthday(customers: list[Customer]) -> tuple[int, int]:
    """The (month, day) most demo customers with consent were born on, among the days on which
    someone without consent was born too."""
    said_yes: Counter[tuple[int, int]] = Counter()
    said_no: Counter[tuple[int, int]] = Counter()
    for c in customers:
        if c.birthday and (c.birthday.month, c.birthday.day) != (2, 29):
            yes = any(x.granted for x in c.consents)
            (said_yes if yes else said_no)[(c.birthday.month, c.birthday.day)] += 1
    return min(said_no, key=lambda d: (-said_yes[d], d))


def test_birthday_messages_over_the_demo_data(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.frozen(SEEDED_AT):
        demo.seed_if_empty(db, share=0.1)
    info = db.run(lambda s: merchants.merchant_by_slug(s, BAKERY.slug), write=False)
    ctx = Ctx(info, SYSTEM)
    people = db.run(
        lambda s: list(
            s.scalars(
                select(Customer)
                .where(Customer.merchant_id == info.id, Customer.erased_at.is_(None))
                .options(selectinload(Customer.consents))
            )
        ),
        write=False,
    )
    month, day = _busiest_birthday(people)
    # 10:00 in Yangon on that day the next year: outside quiet hours
    local = datetime.combine(SEEDED_AT.date().replace(year=2027, month=month, day=day), time(10))
    today = local.replace(tzinfo=ZoneInfo(info.timezone)).astimezone(UTC)
    born = [c for c in people if c.birthday and (c.birthday.month, c.birthday.day) == (month, day)]
    consenting = [c for c in born if any(x.granted for x in c.consents)]
    refused = [c for c in born if not any(x.granted for x in c.consents)]
    assert len(consenting) >= 2 and refused, (len(consenting), len(refused))

    with clock.frozen(today - timedelta(days=1)):
        campaign = db.run(
            lambda s: offers.create_campaign(
                s, ctx, CampaignCreate(name="Birthday cake", kind="amount_off", value=3000)
            )
        )
        body = AutomationIn.model_validate({"enabled": True, "campaign_id": str(campaign.id)})
        db.run(lambda s: config.put(s, ctx, "birthday", body))
        # One of them already had this week's two marketing messages (the default cap).
        capped = [consenting[0].id]

        def campaign_messages(s: Session) -> None:
            for cid in capped:
                for n in range(2):
                    enqueue(
                        s,
                        merchant_id=info.id,
                        kind="campaign",
                        category="marketing",
                        customer_id=cid,
                        body=f"News {n}",
                        subject="News",
                    )

        db.run(campaign_messages)
        channel = MemoryChannel()
        monkeypatch.setattr(runtime, "_current", replace(runtime.current(), fallback=channel))
        assert deliver_once(db).sent == 2

    with clock.frozen(today):
        first = daily.run_job(db, ctx, "automations.birthday")
        second = daily.run_job(db, ctx, "automations.birthday")
        counts = deliver_once(db)

    eligible = sorted(c.id for c in consenting)
    print(
        f"\nbirthday {month:02d}-{day:02d}: born {len(born)}, consenting {len(eligible)}, "
        f"refused {len(refused)}, capped {len(capped)}; sent {counts.sent}, "
        f"skipped {counts.skipped}"
    )
    assert first == {"customers": len(eligible), "messages": len(eligible)}
    assert second == {"customers": 0, "messages": 0}
    assert (counts.sent, counts.skipped) == (len(eligible) - len(capped), len(capped))

    rows = db.run(
        lambda s: list(
            s.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.merchant_id == info.id, OutboxMessage.kind == "birthday"
                )
            )
        ),
        write=False,
    )
    assert sorted(m.customer_id for m in rows if m.customer_id) == eligible  # one each
    assert not {c.id for c in refused} & {m.customer_id for m in rows}
    assert sorted(m.customer_id for m in rows if m.status == "skipped" and m.customer_id) == capped
    assert {m.skip_reason for m in rows if m.status == "skipped"} == {"frequency_cap"}

    birthday_mail = [s for s in channel.sent if s.kind == "birthday"]
    assert len(birthday_mail) == len(eligible) - len(capped)
    for m in rows:
        code = m.payload["code"]
        assert m.customer_id is not None
        check = ValidateIn.model_validate({"code": code, "customer": {"id": str(m.customer_id)}})
        with clock.frozen(today):
            verdict = db.run(lambda s: offers.validate(s, ctx, check), write=False)  # noqa: B023
        assert verdict["valid"], verdict
        if m.status == "sent":
            [mail] = [s for s in birthday_mail if code in s.body]
            assert mail.subject  # worded in the customer's language at send time
    # a code is personal: another customer cannot use it
    other = next(c.id for c in people if c.id != rows[0].customer_id)
    check = ValidateIn.model_validate(
        {"code": rows[0].payload["code"], "customer": {"id": str(other)}}
    )
    with clock.frozen(today):
        verdict = db.run(lambda s: offers.validate(s, ctx, check), write=False)
    assert verdict["reason_code"] == "other_customer"
