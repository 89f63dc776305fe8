"""Small portable statement helpers for the two engines we run on.

`Prebuilt` is for the hot path (customer lookup, quote, commit). A Core statement is compiled
once per dialect; each call then runs the SQL text straight on the DBAPI connection of the
session's own transaction. SQLAlchemy's per-execution work (cache key, compiled-cache lookup,
execution context, result object) costs several times more than a primary-key lookup itself,
on SQLite about 10x (docs/benchmarks.md). Values still pass through the column types' own bind
and result processors, so what is stored is exactly what the ORM would store, and driver
errors come out as SQLAlchemy's `DBAPIError` subclasses, so the retry edge in `db.py` and
`IntegrityError` handlers see them as usual.

What a prebuilt statement does not do: flush pending ORM objects, apply Python-side column
defaults, or fire engine events. Hot-path code passes every value and flushes first if it mixed
in ORM writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

Row = tuple[Any, ...]
Processor = Callable[[Any], Any] | None
_MISSING = object()
_CURSOR = "regulars.prebuilt_cursor"


def insert_ignore(session: Session, table: Table, values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row (told by
    RETURNING, which is exact on both engines, unlike rowcount)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    key = next(iter(table.primary_key.columns))
    stmt = module.insert(table).values(**values).on_conflict_do_nothing().returning(key)
    return session.execute(stmt).first() is not None


def insert_or_skip(table: Table, *returning: Any) -> Prebuilt:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returning`, prebuilt: no row back means the
    row was already there (or a concurrent transaction just committed it)."""

    def build(dialect: str) -> ClauseElement:
        module = postgresql if dialect == "postgresql" else sqlite
        stmt: ClauseElement = module.insert(table).on_conflict_do_nothing().returning(*returning)
        return stmt

    return Prebuilt(build)


@dataclass(frozen=True)
class _Plan:
    dialect: Dialect
    sql: str
    positional: bool
    # (name in the SQL, parameter name, constant value or _MISSING, bind processor)
    binds: tuple[tuple[str, str, Any, Processor], ...]
    results: tuple[Processor, ...]

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        out = []
        for _sql_name, name, constant, proc in self.binds:
            value = values[name] if constant is _MISSING else constant
            out.append(proc(value) if proc is not None and value is not None else value)
        if self.positional:
            return out
        return {b[0]: v for b, v in zip(self.binds, out, strict=True)}

    def params_over(self, fixed: Sequence[Any] | dict[str, Any], values: Mapping[str, Any]) -> Any:
        """`params` for `values` over the already converted `fixed` ones."""
        if self.positional:
            out = list(fixed)
            for i, (_sql_name, name, _constant, proc) in enumerate(self.binds):
                if name in values:
                    value = values[name]
                    out[i] = proc(value) if proc is not None and value is not None else value
            return out
        named = dict(fixed)
        for sql_name, name, _constant, proc in self.binds:
            if name in values:
                value = values[name]
                named[sql_name] = proc(value) if proc is not None and value is not None else value
        return named

    def rows(self, raw: Iterable[Row]) -> list[Row]:
        procs = self.results
        if not any(procs):
            return list(raw)
        return [
            tuple(v if p is None or v is None else p(v) for p, v in zip(procs, row, strict=True))
            for row in raw
        ]


class Prebuilt:
    """A Core statement compiled once per dialect and run on the session's DBAPI connection.

    `statement` is the statement, or a function of the dialect's name that builds it (for the
    constructs each dialect spells its own way, such as ON CONFLICT). Parameters are the
    statement's `bindparam` names (for a bare `insert(table)`, the column names); every one must
    be given, constants written into the statement excepted."""

    def __init__(self, statement: ClauseElement | Callable[[str], ClauseElement]):
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = self._compile(dialect)
        return plan

    def _compile(self, dialect: Dialect) -> _Plan:
        build = self.statement
        stmt = build if isinstance(build, ClauseElement) else build(dialect.name)
        compiled: Any = stmt.compile(dialect=dialect)
        order = compiled.positiontup if compiled.positional else list(compiled.binds)
        binds = []
        for key in order:
            param = compiled.binds[key]
            if param.expanding or param.callable is not None:
                raise ValueError("Prebuilt takes plain binds, not expanding or callable ones")
            constant = _MISSING if param.required else param.value
            proc = param.type.dialect_impl(dialect).bind_processor(dialect)
            binds.append((compiled.bind_names.get(param, key), param.key, constant, proc))
        columns = getattr(stmt, "exported_columns", ())
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
        return _Plan(dialect, compiled.string, compiled.positional, tuple(binds), results)

    def _cursor(self, session: Session) -> tuple[_Plan, Any]:
        """The plan for this dialect and the connection's cursor. One cursor per DBAPI connection,
        kept in the pool record's `info` (cleared when the connection is replaced): making a
        psycopg cursor copies its adapters, which costs as much as a short statement."""
        connection = session.connection()
        plan = self._plan(connection.dialect)
        pooled = connection.connection
        cursor = pooled.info.get(_CURSOR)
        if cursor is None:
            cursor = pooled.info[_CURSOR] = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
        return plan, cursor

    def _fail(self, plan: _Plan, params: Any, exc: Exception) -> DBAPIError:
        """The driver's error as SQLAlchemy's; its message never shows the values (a phone
        number in a log line is personal data)."""
        wrapped = DBAPIError.instance(
            plan.sql,
            params,
            exc,
            plan.dialect.loaded_dbapi.Error,
            hide_parameters=True,
            dialect=plan.dialect,
        )
        if isinstance(wrapped, DBAPIError):
            return wrapped
        return DBAPIError(plan.sql, params, exc, hide_parameters=True)

    def all(self, session: Session, **values: Any) -> list[Row]:
        plan, cursor = self._cursor(session)
        params = plan.params(values)
        try:
            cursor.execute(plan.sql, params)
            # The plan knows whether rows come back; psycopg builds `description` anew on each
            # read, column by column.
            raw = cursor.fetchall() if plan.results else []
        except plan.dialect.loaded_dbapi.Error as exc:
            raise self._fail(plan, params, exc) from exc
        return plan.rows(raw)

    def first(self, session: Session, **values: Any) -> Row | None:
        rows = self.all(session, **values)
        return rows[0] if rows else None

    def scalar(self, session: Session, **values: Any) -> Any:
        row = self.first(session, **values)
        return row[0] if row else None

    def run(self, session: Session, **values: Any) -> int:
        """Executes; the number of rows the statement changed."""
        plan, cursor = self._cursor(session)
        params = plan.params(values)
        try:
            cursor.execute(plan.sql, params)
            return int(cursor.rowcount)
        except plan.dialect.loaded_dbapi.Error as exc:
            raise self._fail(plan, params, exc) from exc

    def many(
        self,
        session: Session,
        rows: Sequence[Mapping[str, Any]],
        same: Mapping[str, Any] | None = None,
    ) -> None:
        """One statement for many parameter sets (executemany): a sale's lines, its entries.
        `same`: values every row shares, converted once (a bulk insert of many small rows)."""
        if not rows:
            return
        plan, cursor = self._cursor(session)
        if same:
            fixed = plan.params(dict.fromkeys((b[1] for b in plan.binds), None) | dict(same))
            params = [plan.params_over(fixed, row) for row in rows]
        else:
            params = [plan.params(row) for row in rows]
        try:
            cursor.executemany(plan.sql, params)
        except plan.dialect.loaded_dbapi.Error as exc:
            raise self._fail(plan, params, exc) from exc
