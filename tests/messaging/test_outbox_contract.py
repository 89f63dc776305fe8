"""The outbox's Python API: enqueue in the caller's transaction, dedupe keys, registries."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.messaging import outbox
from regulars.messaging.channels.base import Outgoing, SendResult
from regulars.messaging.models import OutboxMessage
from tests.factories import make_customer, make_merchant


def test_enqueue_writes_one_pending_row_and_a_dedupe_key_only_once(db: Database) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone="09 7812 34567")

    def write(session: Session) -> list[uuid.UUID | None]:
        return [
            outbox.enqueue(
                session,
                merchant_id=shop.id,
                kind="birthday",
                category="marketing",
                customer_id=customer.id,
                payload={"code": "BDAY-1"},
                dedupe_key=f"birthday:{customer.id}:2026",
            )
            for _ in range(2)
        ]

    first, second = db.run(write)
    assert first is not None and second is None
    assert db.run(write) == [None, None]
    with db.session() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert (row.id, row.kind, row.category, row.status, row.attempts) == (
            first,
            "birthday",
            "marketing",
            "pending",
            0,
        )
        assert (row.customer_id, row.channel, row.body, row.payload) == (
            customer.id,
            None,
            None,
            {"code": "BDAY-1"},
        )


def test_a_rolled_back_transaction_leaves_no_message(db: Database) -> None:
    shop = make_merchant(db)

    def write_then_fail(session: Session) -> None:
        outbox.enqueue(
            session,
            merchant_id=shop.id,
            kind="signin_code",
            category="transactional",
            channel="sms",
            address="+959781234567",
            body="code 123456",
        )
        raise RuntimeError("the sale failed")

    with pytest.raises(RuntimeError):
        db.run(write_then_fail)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_registries_keep_renderers_and_channel_factories_by_name() -> None:
    class Fake:
        name = "fake"

        def send(self, message: Outgoing) -> SendResult:
            return SendResult("p-1")

    outbox.register_channel("fake", lambda _s, _m: Fake())
    outbox.register_renderer("fake_kind", lambda _s, _m, _r: outbox.Rendered(None, "hi", None))
    factory = outbox.channel_factory("fake")
    assert factory is not None
    assert factory(None, uuid.uuid4()).send(Outgoing(to="x", body="b")) == SendResult("p-1")  # type: ignore[arg-type]
    renderer = outbox.renderer_for("fake_kind")
    assert renderer is not None
    assert renderer(None, None, None) == (None, "hi", None)  # type: ignore[arg-type]
