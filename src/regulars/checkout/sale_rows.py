"""A sale's rows: the purchase and its lines, and loyalty's settlement (the account update and the
ledger entries), written from one set of SQLAlchemy Core definitions on both engines.

On PostgreSQL in one statement of data-modifying CTEs, the lines and entries passed as one array
per column (`unnest`): every round trip costs here about 150 µs of the client's CPU and as much of
the server's (docs/benchmarks.md), and these four writes were four of a commit's eleven. The
loyalty CTEs come from loyalty (`ledger.sale_ctes`), built from the same definitions its
two-statement path runs. On SQLite one statement each, where a statement is a call into the
library, not a round trip. Both paths keep the same rules: nothing is written after the sale's
`ON CONFLICT DO NOTHING` found the receipt taken (the caller then replays the sale that got there
first); the account update matches only when the balance covers the debit, and when it does not
nothing more is written and the caller raises, which rolls the whole transaction back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import bindparam, column, func, insert, select, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase, PurchaseLine
from regulars.kit.sql import Prebuilt, insert_or_skip
from regulars.loyalty import ledger
from regulars.loyalty import sale as loyalty_sale


class Figures(TypedDict):
    """A sale's sums, named alike in its answer and in its purchase row."""

    subtotal: int
    discount_total: int
    points_redeemed: int
    points_value: int
    total: int
    points_earned: int


class PurchaseRow(Figures):
    """Every column of a purchase row, as a new sale writes it."""

    merchant_id: uuid.UUID
    id: uuid.UUID
    store_id: uuid.UUID
    receipt_id: str
    customer_id: uuid.UUID | None
    request_hash: str
    program_version: int
    currency: str
    refunded_total: int
    result: Mapping[str, Any]
    created_at: datetime


class LineRow(TypedDict):
    """A line's own columns (the purchase's keys are added on the way in)."""

    line_no: int
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int
    discount: int
    net: int
    refunded_quantity: int


_LINE_OWN = tuple(LineRow.__annotations__)


def _one_statement() -> Any:
    sale = (
        postgresql.insert(Purchase)
        .values({c.name: bindparam(c.name, type_=c.type) for c in Purchase.__table__.columns})
        .on_conflict_do_nothing()
        .returning(Purchase.id)
        .cte("sale")
    )
    own = [PurchaseLine.__table__.c[name] for name in _LINE_OWN]
    arrays = func.unnest(
        *(bindparam(f"line_{c.name}", type_=postgresql.ARRAY(c.type)) for c in own)
    ).table_valued(*(column(c.name, c.type) for c in own))
    line = arrays.render_derived(name="line")
    line_rows = select(
        bindparam("merchant_id", type_=PurchaseLine.merchant_id.type),
        sale.c.id,
        *(line.c[c.name] for c in own),
    ).select_from(sale.join(line, true()))
    lines = (
        insert(PurchaseLine)
        .from_select(["merchant_id", "purchase_id", *_LINE_OWN], line_rows)
        .cte("sale_lines")
    )
    settle, entries = ledger.sale_ctes(sale)
    counts = (
        select(func.count()).select_from(sale).scalar_subquery(),
        select(func.count()).select_from(settle).scalar_subquery(),
    )
    return select(*counts).add_cte(lines, entries)


_SALE_ROWS = Prebuilt(_one_statement())
_INSERT_SALE = insert_or_skip(Purchase.__table__, Purchase.id)  # type: ignore[arg-type]
_INSERT_LINES = Prebuilt(insert(PurchaseLine))


def write(
    session: Session,
    sale: PurchaseRow,
    lines: list[LineRow],
    settle: loyalty_sale.Settlement | None,
) -> tuple[bool, bool]:
    """(the sale was inserted, the account was settled); `settle` is None for an anonymous
    sale (which then counts as settled)."""
    if session.connection().dialect.name == "postgresql":
        return _in_one_statement(session, sale, lines, settle)
    row = _INSERT_SALE.first(session, **sale)
    if row is None:
        return False, False
    keys = {"merchant_id": sale["merchant_id"], "purchase_id": sale["id"]}
    _INSERT_LINES.many(session, [keys | line for line in lines])
    return True, settle is None or loyalty_sale.settle(session, settle)


def _in_one_statement(
    session: Session,
    sale: PurchaseRow,
    lines: list[LineRow],
    settle: loyalty_sale.Settlement | None,
) -> tuple[bool, bool]:
    values: dict[str, Any] = dict(sale)
    for name in _LINE_OWN:
        values["line_" + name] = [line[name] for line in lines]  # type: ignore[literal-required]
    values |= settle.values() if settle is not None else loyalty_sale.ANONYMOUS
    row = _SALE_ROWS.first(session, **values)
    assert row is not None
    return row[0] == 1, settle is None or row[1] == 1
