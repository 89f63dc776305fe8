"""Data migrations: what an older database holds is carried forward, not lost."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, text

from regulars.migrate import alembic_config


def test_0003_turns_english_ledger_reasons_into_codes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0002")
    engine = create_engine(url)
    m, c = uuid.uuid4().hex, uuid.uuid4().hex
    old = [
        ("earn", "base"),
        ("payment", "points paid a sale"),
        ("refund", "points paid, refunded"),
        ("refund", "points of refunded items"),
        ("expire", "points expired"),
        ("redeem", "reward: Shwe cake"),
        ("adjust", "points expired"),  # a manager's words, kept as typed
    ]
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO merchants (id, slug, name, country, currency, timezone, locale,"
                " created_at) VALUES (:m, 'old', 'Old', 'MM', 'MMK', 'Asia/Yangon', 'my',"
                " '2026-01-01 00:00:00')"
            ),
            {"m": m},
        )
        conn.execute(
            text(
                "INSERT INTO customers (merchant_id, id, member_code, name_search, tags,"
                " attributes, source, created_at, updated_at) VALUES (:m, :c, 'CODE1', '',"
                " '[]', '{}', 'api', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
            {"m": m, "c": c},
        )
        for i, (kind, reason) in enumerate(old):
            conn.execute(
                text(
                    "INSERT INTO points_entries (merchant_id, id, customer_id, points, kind,"
                    " reason, created_at, actor_type) VALUES (:m, :id, :c, :p, :k, :r,"
                    " '2026-01-01 00:00:00', 'system')"
                ),
                {"m": m, "id": uuid.uuid4().hex, "c": c, "p": i + 1, "k": kind, "r": reason},
            )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, reason FROM points_entries ORDER BY points")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("earn", "base"),
        ("payment", "sale_payment"),
        ("refund", "refund_payment"),
        ("refund", "refund_earned"),
        ("expire", "expiry"),
        ("redeem", "reward:Shwe cake"),
        ("adjust", "points expired"),
    ]
