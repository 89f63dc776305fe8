"""A code job cut off by a server stop does not stay "running" for ever: the next start marks it
failed, saying how many codes were made (kept) and how many to start a new job for."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.app import create_app
from regulars.db import Database
from regulars.offers import jobs
from regulars.offers.models import CodeJob
from regulars.settings import Settings
from tests.factories import make_merchant
from tests.offers.helpers import API, campaign


def _job(db: Database, merchant_id: Any, campaign_id: Any, **values: Any) -> CodeJob:
    def add(s: Any) -> CodeJob:
        job = CodeJob(merchant_id=merchant_id, campaign_id=uuid.UUID(campaign_id), **values)
        s.add(job)
        s.flush()
        return job

    return db.run(add)


def test_a_job_left_running_by_a_stopped_server_is_failed_at_start_up(
    db: Database, settings: Settings
) -> None:
    shop = make_merchant(db)
    with TestClient(create_app(settings, db)) as client:
        made = campaign(client, shop)
    before = jobs.PROCESS_STARTED - timedelta(minutes=5)
    cut = _job(db, shop.id, made["id"], count=50_000, done=20_000, created_at=before)
    mine = _job(db, shop.id, made["id"], count=40_000, done=10_000)  # this process's own

    with TestClient(create_app(settings, db)) as restarted:
        polled = restarted.get(
            f"{API}/coupon-campaigns/{made['id']}/code-jobs/{cut.id}", headers=shop.headers
        ).json()

    assert {k: polled[k] for k in ("count", "done", "status")} == {
        "count": 50_000,
        "done": 20_000,
        "status": "failed",
    }
    assert polled["error"] == (
        "the server stopped while this job ran: 20000 of 50000 codes were made and kept; "
        "start a job for the other 30000"
    )
    status = db.run(
        lambda s: s.scalar(select(CodeJob.status).where(CodeJob.id == mine.id)), write=False
    )
    assert status == "running"
    assert jobs.interrupted(db) == 0  # once
