"""Every database test runs twice: on SQLite and on PostgreSQL.

The schema is built by the real migrations once per backend per run; each test starts from empty
tables (rows are deleted after it). PostgreSQL is found at REGULARS_TEST_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test); each run creates its own throw-away database
there. Without a reachable server the PostgreSQL leg is skipped with the reason, except when
CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import text

from regulars.app import create_app
from regulars.db import Database
from regulars.merchants import service as merchants_service
from regulars.migrate import upgrade
from regulars.models import metadata
from regulars.settings import Settings

PG_URL = os.environ.get(
    "REGULARS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_admin_url() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://")


def _with_db(url: str, name: str) -> str:
    base, _, _old = url.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at production cost takes ~0.5 s a hash and every test merchant has an owner. Still
    real argon2 (the parameters travel inside each hash), only cheaper."""
    monkeypatch.setattr(
        merchants_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture(scope="session")
def postgres_server() -> str:
    try:
        with psycopg.connect(_pg_admin_url(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {PG_URL}: {exc}".strip()
        if IN_CI:
            pytest.fail(f"CI=true and the PostgreSQL leg cannot run: {reason}")
        pytest.skip(reason)
    return PG_URL


def create_pg_database(prefix: str = "regulars_test") -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{prefix}_{worker}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_db(PG_URL, name)


def drop_pg_database(url: str) -> None:
    name = url.rpartition("/")[2]
    with psycopg.connect(_pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'regulars.db'}"
        upgrade(url)
        yield url
        return
    request.getfixturevalue("postgres_server")
    url = create_pg_database()
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def _session_db(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


def wipe(db: Database) -> None:
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in tables:
                conn.execute(text(f'DELETE FROM "{name}"'))
        else:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " CASCADE"))


@pytest.fixture
def db(_session_db: Database) -> Iterator[Database]:
    yield _session_db
    wipe(_session_db)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, secret_key="test-secret", var_dir=tmp_path)


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c
