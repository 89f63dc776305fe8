"""SIGKILL a `regulars worker` in the middle of 1,000 messages, start it again: every message
is delivered once. The loopback server plays LINE's push API, which runs a request once per
X-Line-Retry-Key and answers a repeat 409 (LINE's documented behaviour); it also counts every
request it got, so the test reports how many the worker sent again after the crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from regulars.db import Database
from regulars.messaging import config, outbox, runtime
from regulars.messaging.models import OutboxMessage
from regulars.messaging.schemas import LineSettings
from regulars.migrate import upgrade
from regulars.settings import Settings
from tests.conftest import create_pg_database, drop_pg_database
from tests.factories import make_merchant
from tests.messaging.servers import Request, http_server

MESSAGES = 1000


@pytest.fixture(params=["postgresql", "sqlite"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crash.db'}"
        upgrade(url)
        yield url
        return
    request.getfixturevalue("postgres_server")
    url = create_pg_database("regulars_crash")
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


class Line:
    """LINE's push endpoint as its documentation describes the retry key."""

    def __init__(self) -> None:
        self.accepted: dict[str, str] = {}
        self.lock = threading.Lock()

    def __call__(self, request: Request, n: int) -> tuple[int, Any, dict[str, str]]:
        key = request.headers["x-line-retry-key"]
        time.sleep(0.002)  # a provider takes a moment: the kill lands inside a batch
        with self.lock:
            if key in self.accepted:
                return (
                    409,
                    {"message": "The retry key is already accepted"},
                    {"x-line-accepted-request-id": self.accepted[key]},
                )
            self.accepted[key] = f"req-{n}"
        return 200, {"sentMessages": [{"id": f"msg-{n}"}]}, {}


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "regulars", "worker", "--every", "0.2"],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_mid_batch_then_restart_delivers_every_message_once(
    fresh_url: str, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    settings = Settings(
        database_url=fresh_url, secret_key="crash", var_dir=tmp_path, messaging_key=key
    )
    runtime.configure(settings)
    db = Database(fresh_url)
    line = Line()
    try:
        with http_server(line) as srv:
            shop = make_merchant(db)
            body = LineSettings(channel_access_token="tok", base_url=srv.url)
            db.run(lambda s: config.put_channel(s, shop.ctx, "line", body))

            def many(session) -> None:  # type: ignore[no-untyped-def]
                for i in range(MESSAGES):
                    outbox.enqueue(
                        session,
                        merchant_id=shop.id,
                        kind="note",
                        category="transactional",
                        channel="line",
                        address=f"U{i:032x}",
                        body=f"message {i}",
                    )

            db.run(many)
            env = os.environ | {
                "REGULARS_DATABASE_URL": fresh_url,
                "REGULARS_SECRET_KEY": "crash",
                "REGULARS_MESSAGING_KEY": key,
                "REGULARS_VAR_DIR": str(tmp_path),
                "REGULARS_OUTBOX_LEASE_SECONDS": "4",
            }
            log = tmp_path / "worker.log"
            first = _worker(env, log)
            _wait(lambda: srv.count >= 300, 120, "300 requests")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
            at_kill = srv.count

            def sent() -> int:
                with db.session() as s:
                    return (
                        s.scalar(
                            select(func.count())
                            .select_from(OutboxMessage)
                            .where(OutboxMessage.status == "sent")
                        )
                        or 0
                    )

            sent_at_kill = sent()
            second = _worker(env, log)
            try:
                _wait(lambda: sent() == MESSAGES, 180, "every message sent")
            finally:
                second.send_signal(signal.SIGTERM)
                second.wait(30)
            requests = list(srv.requests)
    finally:
        db.dispose()

    keys = [r.headers["x-line-retry-key"] for r in requests]
    repeats = len(keys) - len(set(keys))
    print(
        f"\n{db.engine.dialect.name}: killed after {at_kill} requests ({sent_at_kill} marked"
        f" sent); {len(requests)} requests in all, {len(line.accepted)} messages delivered,"
        f" {repeats} sent again after the crash (answered 409 by the retry key)"
    )
    assert first.returncode == -signal.SIGKILL
    assert 300 <= at_kill < MESSAGES  # the kill landed mid-run
    assert len(line.accepted) == MESSAGES  # each message delivered exactly once
    assert sorted(line.accepted) == sorted(set(keys))
    # a worker sends one message at a time: a kill can leave at most that one unrecorded
    assert repeats <= 1
    with Database(fresh_url).session() as s:
        rows = s.execute(select(OutboxMessage.id, OutboxMessage.status)).all()
    assert {str(r.id) for r in rows} == set(line.accepted)
    assert {r.status for r in rows} == {"sent"}
