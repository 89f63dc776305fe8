"""Alembic, driven from code: `regulars migrate` and the test suite both call `upgrade()`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import regulars


def script_location() -> Path:
    packaged = Path(regulars.__file__).parent / "migrations"
    return packaged if packaged.exists() else Path(regulars.__file__).parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the schema to head; running it again changes nothing."""
    command.upgrade(alembic_config(url), "head")
