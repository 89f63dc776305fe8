"""A sale's rows: the purchase, its lines, the account update and the ledger entries.

On PostgreSQL in one statement, data-modifying CTEs with the lines and entries passed as arrays
(`unnest`): every round trip costs here about 150 µs of the client's CPU and as much of the
server's (docs/benchmarks.md), and these four writes were four of a commit's eleven. On SQLite
one statement each, where a statement is a call into the library, not a round trip. Both paths
keep the same rules: nothing is written after the sale's `ON CONFLICT DO NOTHING` found the
receipt taken (the caller then replays the sale that got there first); the account update
matches only when the balance covers the debit, and when it does not nothing more is written
and the caller raises, which rolls the whole transaction back. What the rows hold comes from
the same functions on both paths (`sale.settlement`, checkout's values), and the tests run
every checkout on both databases.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json
from sqlalchemy import Integer, insert, text
from sqlalchemy.orm import Session

from regulars.checkout.models import Purchase, PurchaseLine
from regulars.kit.sql import Prebuilt, insert_or_skip
from regulars.loyalty import sale as loyalty_sale

_LINE_COLUMNS = ("line_no", "sku", "name", "category", "quantity", "unit_price", "discount", "net")
_LINE_TYPES = ("int", "text", "text", "text", "int", "bigint", "bigint", "bigint")
_ENTRY_COLUMNS = ("id", "points", "kind", "reason", "expires_at")
_ENTRY_TYPES = ("uuid", "bigint", "text", "text", "timestamptz")
_SETTLE_KEYS = ("debit", "delta", "earned", "spend", "tier_code", "tier_since", "below_tier_since")


def _unnest(prefix: str, columns: tuple[str, ...], types: tuple[str, ...]) -> str:
    arrays = ", ".join(f"CAST(:{prefix}{c} AS {t}[])" for c, t in zip(columns, types, strict=True))
    return f"unnest({arrays}) AS {prefix.rstrip('_')}({', '.join(columns)})"


_SALE_ROWS = Prebuilt(
    text(
        f"""
WITH sale AS (
    INSERT INTO purchases (merchant_id, id, store_id, receipt_id, customer_id, request_hash,
        program_version, currency, subtotal, discount_total, points_redeemed, points_value, total,
        points_earned, refunded_total, result, created_at)
    VALUES (:merchant_id, :id, :store_id, :receipt_id, :customer_id, :request_hash,
        :program_version, :currency, :subtotal, :discount_total, :points_redeemed, :points_value,
        :total, :points_earned, 0, CAST(:result AS jsonb), :created_at)
    ON CONFLICT DO NOTHING
    RETURNING id
), sale_lines AS (
    INSERT INTO purchase_lines (merchant_id, purchase_id, {", ".join(_LINE_COLUMNS)},
        refunded_quantity)
    SELECT :merchant_id, sale.id, {", ".join(f"line.{c}" for c in _LINE_COLUMNS)}, 0
    FROM sale, {_unnest("line_", _LINE_COLUMNS, _LINE_TYPES)}
), settle AS (
    UPDATE loyalty_accounts
    SET balance = balance + :delta, lifetime_earned = lifetime_earned + :earned,
        qualifying_spend = :spend, tier_code = :tier_code, tier_since = :tier_since,
        below_tier_since = :below_tier_since, updated_at = :created_at
    WHERE :member AND merchant_id = :merchant_id AND customer_id = :customer_id
        AND (:debit = 0 OR balance >= :debit) AND EXISTS (SELECT 1 FROM sale)
    RETURNING 1
), entries AS (
    INSERT INTO points_entries (merchant_id, customer_id, purchase_id, voucher_id, created_at,
        actor_type, actor_id, {", ".join(_ENTRY_COLUMNS)})
    SELECT :merchant_id, :customer_id, :id, NULL, :created_at, :actor_type, :actor_id,
        {", ".join(f"entry.{c}" for c in _ENTRY_COLUMNS)}
    FROM settle, {_unnest("entry_", _ENTRY_COLUMNS, _ENTRY_TYPES)}
)
SELECT (SELECT count(*) FROM sale) AS inserted, (SELECT count(*) FROM settle) AS settled
"""
    ).columns(inserted=Integer, settled=Integer)
)


_INSERT_SALE = insert_or_skip(Purchase.__table__, Purchase.id)  # type: ignore[arg-type]
_INSERT_LINES = Prebuilt(insert(PurchaseLine))


def write(
    session: Session,
    sale: dict[str, Any],
    lines: list[dict[str, Any]],
    settle: dict[str, Any] | None,
    entries: list[dict[str, Any]],
) -> tuple[bool, bool]:
    """(the sale was inserted, the account was settled). `sale` holds the purchase's values,
    `result` and the actor's `actor_type` and `actor_id` among them; `settle` is None for an
    anonymous sale (which then counts as settled)."""
    if session.connection().dialect.name == "postgresql":
        return _in_one_statement(session, sale, lines, settle, entries)
    row = _INSERT_SALE.first(session, **sale, refunded_total=0)
    if row is None:
        return False, False
    fixed = {"merchant_id": sale["merchant_id"], "purchase_id": sale["id"], "refunded_quantity": 0}
    _INSERT_LINES.many(session, [fixed | line for line in lines])
    return True, settle is None or loyalty_sale.settle(session, settle, entries)


def _in_one_statement(
    session: Session,
    sale: dict[str, Any],
    lines: list[dict[str, Any]],
    settle: dict[str, Any] | None,
    entries: list[dict[str, Any]],
) -> tuple[bool, bool]:
    values = sale | {"result": to_json(sale["result"]).decode(), "member": settle is not None}
    for column in _LINE_COLUMNS:
        values["line_" + column] = [line[column] for line in lines]
    for column in _ENTRY_COLUMNS:
        values["entry_" + column] = [entry[column] for entry in entries]
    account = settle or dict.fromkeys(_SETTLE_KEYS)  # anonymous: the update matches no row
    values.update({key: account[key] for key in _SETTLE_KEYS})
    row = _SALE_ROWS.first(session, **values)
    assert row is not None
    return row[0] == 1, settle is None or row[1] == 1
