"""`regulars backup` / `regulars restore`: a copy taken while the till sells holds every sale
acknowledged before it started, and restores with balances equal to ledger sums."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from typer.testing import CliRunner

from regulars.cli import app as cli
from regulars.db import Database
from regulars.migrate import alembic_config, upgrade
from regulars.ops import backup as backups
from regulars.ops import schema
from tests.conftest import create_pg_database, drop_pg_database
from tests.factories import make_customer, make_merchant
from tests.ops.load import Till, balances_hold, receipts


@pytest.fixture
def fresh_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same engine, somewhere else: a new machine."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'new-machine' / 'regulars.db'}"
        return
    url = create_pg_database("regulars_restore")
    try:
        yield url
    finally:
        drop_pg_database(url)


def test_a_backup_under_load_restores_every_acknowledged_sale(
    db: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    shop = make_merchant(db)
    customers = [make_customer(db, shop, name=f"Member {i}").id for i in range(5)]
    till = Till(db, shop, customers)
    till.start()
    try:
        till.until(40)
        acknowledged = list(till.acked)  # every sale committed before the backup starts
        path, manifest = backups.backup(database_url, tmp_path / "backups" / "x.backup")
        till.until(len(till.acked) + 20)  # the till went on selling during and after it
    finally:
        till.stop()

    assert (manifest.engine, manifest.revision) == (backups.engine_of(database_url), schema.head())
    done = backups.restore(fresh_url, path)
    assert done["migrated"] is False

    restored = Database(fresh_url)
    try:
        found = receipts(restored, shop.id)
        assert set(acknowledged) <= set(found)
        assert Counter(found).most_common(1)[0][1] == 1  # none twice
        assert set(found) <= set(till.acked)
        assert balances_hold(restored, shop, customers) > 0
        print(f"acked before: {len(acknowledged)}, in backup: {len(found)}, "
              f"acked in all: {len(till.acked)}")  # fmt: skip
    finally:
        restored.dispose()


def test_a_restore_refuses_a_newer_schema_and_a_database_with_shops(
    db: Database, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    make_merchant(db)
    path, _manifest = backups.backup(database_url, tmp_path)
    assert backups.NAME.fullmatch(path.name)
    with path.open("rb") as fh:
        manifest = backups.read_manifest(fh)
        rest = fh.read()
    future = tmp_path / "future.backup"
    newer = backups.Manifest(**(manifest.__dict__ | {"revision": "9999", "version": "9.0"}))
    future.write_bytes(backups.MAGIC + newer.dump() + rest)

    with pytest.raises(backups.BackupError, match=r"newer than this version's \(\w+\).*9\.0"):
        backups.restore(fresh_url, future)
    with pytest.raises(backups.BackupError, match=r"already holds shops.*--force"):
        backups.restore(database_url, path)
    with pytest.raises(backups.BackupError, match="not a Regulars backup"):
        (tmp_path / "junk").write_bytes(b"hello\n")
        backups.restore(fresh_url, tmp_path / "junk")


def test_a_backup_from_an_older_schema_is_migrated_after_the_restore(tmp_path: Path) -> None:
    old = f"sqlite:///{tmp_path / 'old' / 'regulars.db'}"
    (tmp_path / "old").mkdir()
    command.upgrade(alembic_config(old), "0008")
    path, manifest = backups.backup(old, tmp_path / "old.backup")
    assert manifest.revision == "0008"
    with path.open("rb") as fh:
        backups.read_manifest(fh)
        assert gzip.GzipFile(fileobj=fh).read(16) == b"SQLite format 3\x00"

    new = f"sqlite:///{tmp_path / 'new' / 'regulars.db'}"
    done = backups.restore(new, path)

    assert (done["backup_revision"], done["revision"], done["migrated"]) == (
        "0008",
        schema.head(),
        True,
    )
    restored = Database(new)
    with restored.engine.connect() as conn:
        assert schema.current(conn) == schema.head()
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 0  # 0009's table
    restored.dispose()


def test_a_sqlite_backup_cannot_go_into_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'regulars.db'}"
    upgrade(url)
    path, _ = backups.backup(url, tmp_path / "b.backup")
    with pytest.raises(backups.BackupError, match=r"sqlite backup.*copy-to"):
        backups.restore("postgresql+psycopg://postgres@127.0.0.1:5432/nowhere", path)


def test_the_cli_keeps_the_newest_n_backups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGULARS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("REGULARS_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    folder = tmp_path / "var" / "backups"
    folder.mkdir()
    for stamp in ("20260101T020000Z", "20260102T020000Z", "20260103T020000Z"):
        (folder / f"regulars-{stamp}.backup").write_bytes(b"old")
    (folder / "keep-me.txt").write_text("not a backup")

    result = runner.invoke(cli, ["backup", "--keep", "2"])

    assert result.exit_code == 0, result.output
    made = json.loads(result.stdout.splitlines()[-1])
    assert (made["engine"], made["revision"]) == ("sqlite", schema.head())
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(
        ["keep-me.txt", "regulars-20260103T020000Z.backup", Path(made["file"]).name]
    )

    shop = ["merchant", "create", "--name", "Lao Cars", "--currency", "LAK"]
    shop += ["--timezone", "Asia/Vientiane", "--country", "LA"]
    assert runner.invoke(cli, shop).exit_code == 0
    restored = runner.invoke(cli, ["restore", made["file"]])
    assert restored.exit_code == 1
    assert "--force" in restored.output
    forced = runner.invoke(cli, ["restore", made["file"], "--force"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout.splitlines()[-1])["migrated"] is False
