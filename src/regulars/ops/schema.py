"""Where a database's schema stands against the migrations this version ships."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, inspect, text

from regulars.migrate import alembic_config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


@cache
def head() -> str:
    """The newest revision this version knows."""
    return ",".join(sorted(_script().get_heads()))


def current(conn: Connection) -> str | None:
    """The database's revision; None for a database never migrated."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return ",".join(sorted(rows)) or None


@dataclass(frozen=True)
class Standing:
    revision: str | None
    head: str
    known: bool  # this version's migrations include `revision`

    @property
    def current(self) -> bool:
        return self.revision == self.head

    @property
    def newer(self) -> bool:
        """Made by a newer version: a revision these migrations do not know."""
        return self.revision is not None and not self.known


def standing(revision: str | None) -> Standing:
    script = _script()
    known = True
    if revision is not None:
        try:
            for rev in revision.split(","):
                if script.get_revision(rev) is None:
                    known = False
        except CommandError:
            known = False
    return Standing(revision, head(), known)
