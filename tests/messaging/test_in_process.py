"""`regulars serve` on SQLite delivers the outbox itself; on PostgreSQL it leaves that to
`regulars worker` processes."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from fastapi.testclient import TestClient

from regulars.app import create_app
from regulars.db import Database
from regulars.messaging import outbox, runtime
from regulars.messaging.channels.console import MemoryChannel
from regulars.settings import Settings
from tests.factories import make_customer, make_merchant


def test_the_server_delivers_the_outbox_in_process_on_sqlite(
    db: Database, settings: Settings
) -> None:
    shop = make_merchant(db)
    customer = make_customer(db, shop, phone="+959781234567")
    app = create_app(settings, db, daily_jobs=True)
    memory = MemoryChannel()
    runtime.set_runtime(replace(runtime.current(), fallback=memory))
    with TestClient(app):
        running = "outbox-worker" in {t.name for t in threading.enumerate()}
        assert running is db.is_sqlite
        if db.is_sqlite:
            db.run(
                lambda s: outbox.enqueue(
                    s,
                    merchant_id=shop.id,
                    kind="signin_code",
                    category="transactional",
                    customer_id=customer.id,
                    body="code 123456",
                )
            )
            deadline = time.monotonic() + 60
            while not memory.sent:
                assert time.monotonic() < deadline, "the in-process worker delivered nothing"
                time.sleep(0.05)
            assert [(m.to, m.body) for m in memory.sent] == [("+959781234567", "code 123456")]
    assert "outbox-worker" not in {t.name for t in threading.enumerate()}  # stopped with it
