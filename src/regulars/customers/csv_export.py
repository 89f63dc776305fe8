"""Every non-erased customer of a merchant as CSV, in the columns the importer reads.

So a file exported here imports into another merchant unchanged (member codes excepted: the
importing merchant issues its own). Text that a spreadsheet would run as a formula is written
with a leading apostrophe, which the importer takes off (`import_rows.as_text_cell`). Read in
keyset batches, one short read transaction each, so memory stays flat however many customers
there are.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import Uuid, bindparam, select, text
from sqlalchemy.orm import Session

from regulars.customers.imports.rows import (
    ATTRIBUTE_PREFIX,
    COLUMNS,
    CONSENT_COLUMNS,
    IGNORED_COLUMNS,
    as_text_cell,
)
from regulars.customers.models import Consent, Customer
from regulars.db import Database
from regulars.kit.context import Ctx
from regulars.merchants import service as merchants

BATCH = 1000
_customers = Customer.__table__
_consents = Consent.__table__
_KEYS_SQL = {
    "postgresql": "SELECT DISTINCT k FROM customers, jsonb_object_keys(attributes) AS k "
    "WHERE merchant_id = :m AND erased_at IS NULL AND jsonb_typeof(attributes) = 'object'",
    "sqlite": "SELECT DISTINCT j.key FROM customers, json_each(customers.attributes) AS j "
    "WHERE merchant_id = :m AND erased_at IS NULL",
}


def _attribute_keys(session: Session, ctx: Ctx) -> list[str]:
    sql = text(_KEYS_SQL[session.get_bind().dialect.name]).bindparams(
        bindparam("m", ctx.merchant_id, type_=Uuid())
    )
    return sorted(str(k) for k in session.scalars(sql))


def _column_for(key: str) -> str:
    lowered = key.lower()
    clash = lowered in COLUMNS or lowered in IGNORED_COLUMNS or lowered.startswith(ATTRIBUTE_PREFIX)
    return ATTRIBUTE_PREFIX + key if clash else key


def _batch(session: Session, ctx: Ctx, after: uuid.UUID | None) -> list[dict[str, Any]]:
    c = _customers.c
    query = select(_customers).where(c.merchant_id == ctx.merchant_id, c.erased_at.is_(None))
    if after is not None:
        query = query.where(c.id > after)
    rows = [dict(r._mapping) for r in session.execute(query.order_by(c.id).limit(BATCH))]
    if rows:
        consent = select(_consents.c.customer_id, _consents.c.channel, _consents.c.granted).where(
            _consents.c.merchant_id == ctx.merchant_id,
            _consents.c.customer_id.in_([r["id"] for r in rows]),
        )
        by_customer: dict[uuid.UUID, dict[str, bool]] = {}
        for cid, channel, granted in session.execute(consent):
            by_customer.setdefault(cid, {})[channel] = granted
        for r in rows:
            r["consent"] = by_customer.get(r["id"], {})
    return rows


def _cells(row: dict[str, Any], keys: list[str]) -> list[str]:
    consent = row["consent"]
    cells = [
        row["member_code"],
        as_text_cell(row["name"] or ""),
        row["phone"] or "",  # E.164: "+" and digits, a number to a spreadsheet, never a formula
        as_text_cell(row["email"] or ""),
        row["birthday"].isoformat() if row["birthday"] else "",
        row["anniversary"].isoformat() if row["anniversary"] else "",
        row["locale"] or "",
        as_text_cell("; ".join(row["tags"] or [])),
    ]
    for channel in CONSENT_COLUMNS.values():
        cells.append("" if channel not in consent else "yes" if consent[channel] else "no")
    attributes = row["attributes"] or {}
    for key in keys:
        value = attributes.get(key)
        if value is None:
            cells.append("")
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            cells.append(as_text_cell(text))
    return cells


def iter_export(db: Database, ctx: Ctx) -> Iterator[str]:
    """Checks the role and audits now; the returned iterator yields CSV text batch by batch."""
    return (chunk for chunk, _n in _start(db, ctx))


def _start(db: Database, ctx: Ctx) -> Iterator[tuple[str, int]]:
    merchants.require_role(ctx, "manager")
    keys = db.run(lambda s: _attribute_keys(s, ctx), write=False)
    db.run(
        lambda s: merchants.record_audit(
            s, ctx, "customers.exported", "customer", None, {"format": "csv"}
        )
    )
    header = [*IGNORED_COLUMNS, *COLUMNS, *(as_text_cell(_column_for(k)) for k in keys)]
    return _stream(db, ctx, keys, header)


def _stream(
    db: Database, ctx: Ctx, keys: list[str], header: list[str]
) -> Iterator[tuple[str, int]]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    after: uuid.UUID | None = None
    while True:
        rows = db.run(lambda s: _batch(s, ctx, after), write=False)  # noqa: B023
        writer.writerows(_cells(r, keys) for r in rows)
        yield buffer.getvalue(), len(rows)
        buffer.seek(0)
        buffer.truncate()
        if len(rows) < BATCH:
            return
        after = rows[-1]["id"]


def export_csv(db: Database, ctx: Ctx, out: TextIO) -> int:
    """Writes the CSV to `out`; returns how many customers it holds."""
    count = 0
    for chunk, rows in _start(db, ctx):
        out.write(chunk)
        count += rows
    return count
