"""`regulars copy-to URL`: the demo shops move from SQLite to PostgreSQL with every customer,
sale and ledger entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner

from regulars import demo
from regulars.checkout.models import Purchase, PurchaseLine
from regulars.cli import app as cli
from regulars.customers.models import Customer
from regulars.db import Database
from regulars.kit import clock
from regulars.loyalty.models import LoyaltyAccount, PointsEntry
from regulars.merchants import service as merchants
from regulars.migrate import upgrade
from regulars.ops.copy import CopyError, copy_to
from tests.conftest import create_pg_database, drop_pg_database


@pytest.fixture
def empty_pg(postgres_server: str) -> Iterator[str]:
    url = create_pg_database("regulars_copy")
    try:
        yield url
    finally:
        drop_pg_database(url)


def _figures(db: Database) -> dict[str, int]:
    """What a shop owner would count: people, sales, lines, ledger entries and their sums."""
    queries = {
        "customers": select(func.count()).select_from(Customer),
        "sales": select(func.count()).select_from(Purchase),
        "sales_total": select(func.sum(Purchase.total)),
        "lines": select(func.count()).select_from(PurchaseLine),
        "ledger_entries": select(func.count()).select_from(PointsEntry),
        "ledger_sum": select(func.sum(PointsEntry.points)),
        "balances": select(func.sum(LoyaltyAccount.balance)),
        "lifetime_earned": select(func.sum(LoyaltyAccount.lifetime_earned)),
    }

    def read(s):  # type: ignore[no-untyped-def]
        return {name: int(s.scalar(q) or 0) for name, q in queries.items()}

    return db.run(read, write=False)


def test_the_demo_moves_to_postgresql_whole(
    tmp_path: Path, empty_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(merchants, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    source_url = f"sqlite:///{tmp_path / 'regulars.db'}"
    upgrade(source_url)
    source = Database(source_url)
    with clock.frozen(datetime(2026, 5, 20, 9, 30, tzinfo=UTC)):
        demo.seed_if_empty(source, share=0.03)
    before = _figures(source)
    assert before["sales"] > 50 and before["ledger_entries"] > 50
    assert before["ledger_sum"] == before["balances"] > 0

    monkeypatch.setenv("REGULARS_DATABASE_URL", source_url)
    monkeypatch.setenv("REGULARS_VAR_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["copy-to", empty_pg])

    assert result.exit_code == 0, result.output
    said = json.loads(result.stdout.splitlines()[-1])
    assert said["verified"] is True
    assert said["rows"]["customers"] == before["customers"]
    assert said["rows"]["points_entries"] == before["ledger_entries"]
    target = Database(empty_pg)
    try:
        assert _figures(target) == before
        print(json.dumps(before))
    finally:
        target.dispose()
        source.dispose()

    again = CliRunner().invoke(cli, ["copy-to", empty_pg])
    assert again.exit_code == 1
    assert "already holds data" in again.output


def test_a_source_behind_the_schema_is_refused(tmp_path: Path, empty_pg: str) -> None:
    from alembic import command

    from regulars.migrate import alembic_config

    old = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(old), "0008")
    with pytest.raises(CopyError, match="run `regulars migrate` first"):
        copy_to(old, empty_pg)
