"""Small portable statement helpers for the two engines we run on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row (told by
    RETURNING, which is exact on both engines, unlike rowcount)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    stmt = module.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(stmt).first() is not None
