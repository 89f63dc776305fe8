"""A sale's rows in one statement on PostgreSQL: the sale, its lines, the account update and the
ledger entries, as data-modifying CTEs with the lines and entries passed as arrays (`unnest`).

Every round trip costs here about 150 µs of the client's CPU and as much of the server's
(docs/benchmarks.md), and these four writes were four of a commit's eleven. The statement keeps
the two-step path's rules (`loyalty/sale.py` `record`, still SQLite's): nothing is written after
the sale's `ON CONFLICT DO NOTHING` found the receipt taken (no row comes back, and the caller
replays the sale that got there first); the account update matches only when the balance covers
the debit, and when it does not the caller raises and the whole transaction rolls back. What
the rows hold comes from the same functions on both paths (`sale.settlement`, the sale's
values), and the tests run every checkout on both databases.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, text
from sqlalchemy.orm import Session

from regulars.kit.sql import Prebuilt

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


def write(
    session: Session,
    sale: dict[str, Any],
    lines: list[dict[str, Any]],
    settle: dict[str, Any] | None,
    entries: list[dict[str, Any]],
    actor: tuple[str, Any],
) -> tuple[bool, bool]:
    """(the sale was inserted, the account was settled). `sale` holds the purchase's values with
    `result` as JSON text; `settle` is None for an anonymous sale."""
    values: dict[str, Any] = {**sale, "actor_type": actor[0], "actor_id": actor[1]}
    for column in _LINE_COLUMNS:
        values["line_" + column] = [line[column] for line in lines]
    for column in _ENTRY_COLUMNS:
        values["entry_" + column] = [entry[column] for entry in entries]
    account = settle or {"debit": 0, "delta": 0, "earned": 0, "spend": 0, "tier_code": None,
                         "tier_since": None, "below_tier_since": None}  # fmt: skip
    values.update({k: account[k] for k in _SETTLE_KEYS})
    values["member"] = settle is not None
    row = _SALE_ROWS.first(session, **values)
    assert row is not None
    return row[0] == 1, row[1] == 1
