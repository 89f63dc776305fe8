"""Every points writer builds its rows from one definition: `ledger.entry_rows` holds every
column of `points_entries`, so a new column cannot be forgotten by one engine's statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from regulars.kit.context import SYSTEM, Ctx, MerchantInfo
from regulars.loyalty import ledger
from regulars.loyalty.models import PointsEntry


def test_entry_rows_fill_every_column_of_the_table() -> None:
    merchant = MerchantInfo(uuid.uuid4(), "shop", "Shop", "MM", "MMK", "Asia/Yangon", "my")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = ledger.entry_rows(
        Ctx(merchant, SYSTEM),
        uuid.uuid4(),
        [ledger.Entry(10, "earn", "base"), ledger.Entry(-3, "payment", "x" * 300)],
        now,
        purchase_id=uuid.uuid4(),
    )
    columns = {c.name for c in PointsEntry.__table__.columns}
    assert [set(row) for row in rows] == [columns, columns]
    assert set(ledger.ENTRY_COLUMNS) == columns
    assert [row["points"] for row in rows] == [10, -3]
    assert len(rows[1]["reason"]) == ledger.REASON_LENGTH
    assert set(ledger.entry_arrays(rows)) == {f"entry_{c}" for c in columns}
