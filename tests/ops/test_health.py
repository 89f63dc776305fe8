"""`/healthz` (the process answers) and `/readyz` (the database answers at the schema this
version needs, and the worker beats when one is expected), JSON with 503 when not ready."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from regulars.app import create_app
from regulars.db import Database
from regulars.kit import clock
from regulars.migrate import alembic_config
from regulars.ops import health, schema
from regulars.settings import Settings


def _settings(tmp_path: Path, url: str, **extra: object) -> Settings:
    return Settings(database_url=url, secret_key="x", var_dir=tmp_path, **extra)  # type: ignore[arg-type]


def test_a_migrated_database_is_ready(client: TestClient, db: Database) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "version": "0.1.0"}
    answer = client.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready"
    checks = body["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["database"]["engine"] == ("sqlite" if db.is_sqlite else "postgresql")
    assert checks["migrations"] == {"status": "ok", "revision": schema.head()}
    assert checks["worker"] == {"status": "not expected"}


def test_a_database_behind_the_schema_is_not_ready(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0008")
    db = Database(url)
    with TestClient(create_app(_settings(tmp_path, url), db)) as client:
        answer = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # up, but not ready
    db.dispose()
    assert answer.status_code == 503
    assert answer.json()["status"] == "not ready"
    assert answer.json()["checks"]["migrations"] == {
        "status": "failing",
        "revision": "0008",
        "needed": schema.head(),
        "detail": "run `regulars migrate`",
    }


def test_an_unreachable_database_is_not_ready(tmp_path: Path) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=2"
    db = Database(url)
    with TestClient(create_app(_settings(tmp_path, url), db)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {
        "database": {"status": "failing", "detail": "OperationalError"}
    }


def test_an_expected_worker_must_have_beaten_lately(settings: Settings, db: Database) -> None:
    expected = Settings(**(settings.__dict__ | {"worker": "yes", "worker_max_age": 60}))
    with TestClient(create_app(expected, db)) as client:
        silent = client.get("/readyz")
        assert silent.status_code == 503
        assert silent.json()["checks"]["worker"]["status"] == "failing"

        beats = {"outbox": clock.now() - timedelta(seconds=30)}

        def read(_session: Session) -> dict[str, object]:
            return beats

        health.heartbeats(read)  # type: ignore[arg-type]
        try:
            fresh = client.get("/readyz")
            assert fresh.status_code == 200
            assert fresh.json()["checks"]["worker"]["worker"] == "outbox"
            beats["outbox"] = clock.now() - timedelta(seconds=300)
            stale = client.get("/readyz")
            assert stale.status_code == 503
            assert "300 s old" in stale.json()["checks"]["worker"]["detail"]
        finally:
            health._SOURCES.remove(read)  # type: ignore[arg-type]
