"""Invariant 1 in the schema itself, and migrations that match the models on both databases."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Table, inspect, text
from sqlalchemy.exc import IntegrityError

from regulars.db import Database
from regulars.migrate import upgrade
from regulars.models import metadata
from tests.factories import make_customer, make_merchant

ROOT = "merchants"
NOT_TENANT = {ROOT, "alembic_version"}


def _tenant_tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in NOT_TENANT]


def test_metadata_every_table_has_merchant_id_first_in_its_primary_key() -> None:
    tables = _tenant_tables()
    assert {"customers", "stores", "api_keys", "audit_events"} <= {t.name for t in tables}
    for table in tables:
        pk = [c.name for c in table.primary_key.columns]
        assert "merchant_id" in table.c, table.name
        assert pk[0] == "merchant_id" and len(pk) >= 2, f"{table.name}: primary key {pk}"


def test_metadata_every_foreign_key_between_tenant_tables_carries_merchant_id() -> None:
    checked = 0
    for table in _tenant_tables():
        for fk in table.foreign_key_constraints:
            target = fk.referred_table.name
            local = [c.name for c in fk.columns]
            remote = [e.column.name for e in fk.elements]
            if target == ROOT:
                assert (local, remote) == (["merchant_id"], ["id"]), f"{table.name} -> {target}"
                continue
            pairs = dict(zip(local, remote, strict=True))
            assert pairs.get("merchant_id") == "merchant_id", f"{table.name} -> {target}: {pairs}"
            checked += 1
    assert checked >= 4  # customers->stores, consents/notes/portal codes->customers


def _reflected(db: Database) -> dict[str, dict[str, Any]]:
    insp = inspect(db.engine)
    out = {}
    for name in insp.get_table_names():
        out[name] = {
            "columns": sorted(
                (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(name)
            ),
            "pk": insp.get_pk_constraint(name)["constrained_columns"],
            "fks": sorted(
                (
                    fk["referred_table"],
                    tuple(fk["constrained_columns"]),
                    tuple(fk["referred_columns"]),
                )
                for fk in insp.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(name)
            ),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(name)),
        }
    return out


def test_migrated_database_keeps_tenancy_in_every_key(db: Database) -> None:
    schema = _reflected(db)
    assert set(schema) == {t.name for t in metadata.sorted_tables} | {"alembic_version"}
    for name, table in schema.items():
        if name in NOT_TENANT:
            continue
        assert table["pk"][0] == "merchant_id", f"{name}: {table['pk']}"
        for target, local, remote in table["fks"]:
            if target == ROOT:
                assert (local, remote) == (("merchant_id",), ("id",)), name
            else:
                assert dict(zip(local, remote, strict=True))["merchant_id"] == "merchant_id", name


def test_migrated_database_rejects_a_row_pointing_into_another_merchant(db: Database) -> None:
    """The composite foreign key, not the application, stops a cross-tenant reference."""
    a, b = make_merchant(db, name="A Shop"), make_merchant(db, name="B Shop")
    customer_b = make_customer(db, b, name="Ko Ko")
    insert = text(
        "INSERT INTO customer_notes (merchant_id, id, customer_id, body, author_type, created_at)"
        " VALUES (:m, :i, :c, 'x', 'system', CURRENT_TIMESTAMP)"
    )
    params = {"m": a.id, "i": uuid.uuid4(), "c": customer_b.id}
    if db.is_sqlite:  # SQLite binds Uuid as 32 hex characters
        params = {k: v.hex for k, v in params.items()}
    try:
        with db.engine.begin() as conn:
            conn.execute(insert, params)
    except IntegrityError:
        pass
    else:
        raise AssertionError("a note of merchant A pointing at B's customer was accepted")


def test_upgrade_head_again_changes_nothing(db: Database) -> None:
    before = _reflected(db)
    with db.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    upgrade(db.url)
    upgrade(db.url)
    assert _reflected(db) == before
    with db.engine.connect() as conn:
        again = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert again == version and len(version) == 1


def test_autogenerate_finds_no_difference_between_models_and_migrations(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite pragmas")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_sqlite_writers_begin_immediate(db: Database) -> None:
    """A writing session holds the write lock from its first statement, even a SELECT."""
    if not db.is_sqlite:
        pytest.skip("PostgreSQL takes row locks; BEGIN IMMEDIATE is SQLite's safeguard")
    path = db.url.removeprefix("sqlite:///")
    with db.session(write=True) as session:
        session.execute(text("SELECT 1"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        else:
            other.execute("ROLLBACK")
            raise AssertionError("a second writer got the lock while a writer was open")
        finally:
            other.close()
        session.rollback()
