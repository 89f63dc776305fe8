"""RFM: recency, frequency and monetary scores 1-5 by quintile, and the named segment, per
customer who has bought; stored in `analytics_rfm` by the daily job (docs/analytics.md)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, delete, func, insert, literal, select
from sqlalchemy.orm import Session

from regulars.analytics.models import SEGMENTS, RfmScore
from regulars.checkout.models import Purchase
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.models import UTCDateTime
from regulars.kit.pagination import Page, PageRequest, paginate

P = Purchase
NET = P.total - P.refunded_total

# The R x F grid (rows R 5..1, columns F 1..5): the ten-cell map widely published for RFM,
# folded into the eight named segments. M is scored and stored but does not pick the segment.
GRID = {
    5: ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    4: ("new", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),
    3: ("hibernating", "hibernating", "potential_loyalists", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
}


def segment_for(r: int, f: int) -> str:
    return GRID[r][f - 1]


def _score(column: Any) -> Any:
    """1 + floor(5 (rank - 1) / n): quintiles by rank, ties share the lower score, so every
    customer with one purchase gets the same F."""
    return 1 + (5 * (func.rank().over(order_by=column) - 1)) // func.count().over()


def _segment(r: Any, f: Any) -> Any:
    """A simple CASE on 10 R + F: the window expressions behind r and f are evaluated once a
    row (SQLite inlines them into every WHEN of a searched CASE)."""
    cells = {10 * rs + fs: GRID[rs][fs - 1] for rs in GRID for fs in range(1, 6)}
    return case(cells, value=10 * r + f, else_="lost")


def scores_query(merchant_id: uuid.UUID) -> Any:
    """customer_id, last_purchase_at, purchases, monetary, r, f, m, segment: one statement."""
    per = (
        select(
            P.customer_id.label("customer_id"),
            func.max(P.created_at).label("last_at"),
            func.count().label("n"),
            func.sum(NET).label("money"),
        )
        .where(P.merchant_id == merchant_id, P.customer_id.is_not(None))
        .group_by(P.customer_id)
        .subquery()
    )
    scored = select(
        per.c.customer_id,
        per.c.last_at,
        per.c.n,
        per.c.money,
        _score(per.c.last_at).label("r"),
        _score(per.c.n).label("f"),
        _score(per.c.money).label("m"),
    ).subquery()
    return select(
        scored.c.customer_id, scored.c.last_at, scored.c.n, scored.c.money,
        scored.c.r, scored.c.f, scored.c.m, _segment(scored.c.r, scored.c.f),
    )  # fmt: skip


def refresh(session: Session, ctx: Ctx) -> int:
    """Replaces the merchant's scores in one transaction (readers see the old set or the new)."""
    session.execute(delete(RfmScore).where(RfmScore.merchant_id == ctx.merchant_id))
    q = scores_query(ctx.merchant_id).add_columns(
        literal(ctx.merchant_id, RfmScore.merchant_id.type),
        literal(clock.now(), UTCDateTime()),
    )
    cols = ["customer_id", "last_purchase_at", "purchases", "monetary", "r", "f", "m", "segment",
            "merchant_id", "computed_at"]  # fmt: skip
    session.execute(insert(RfmScore).from_select(cols, q))
    scored = select(func.count()).where(RfmScore.merchant_id == ctx.merchant_id)
    return int(session.scalar(scored) or 0)


def rfm_segment_of(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> RfmScore | None:
    """The customer's stored scores and segment (None: no purchase yet, or not scored yet)."""
    return session.get(RfmScore, (ctx.merchant_id, customer_id))


def customers_in(session: Session, ctx: Ctx, segment: str) -> Any:
    """A select of customer ids in a segment, for a segment rule to use as a subquery."""
    return select(RfmScore.customer_id).where(
        RfmScore.merchant_id == ctx.merchant_id, RfmScore.segment == segment
    )


def summary(session: Session, ctx: Ctx) -> dict[str, Any]:
    """Customers, spend and purchases per segment, every segment listed (0 when empty)."""
    q = (
        select(
            RfmScore.segment,
            func.count(),
            func.sum(RfmScore.monetary),
            func.sum(RfmScore.purchases),
            func.max(RfmScore.computed_at),
        )
        .where(RfmScore.merchant_id == ctx.merchant_id)
        .group_by(RfmScore.segment)
    )
    found = {s: (int(n), int(m), int(p), at) for s, n, m, p, at in session.execute(q)}
    computed = max((v[3] for v in found.values()), default=None)
    rows = [
        {"segment": s, "customers": found.get(s, (0, 0, 0))[0],
         "monetary": found.get(s, (0, 0, 0))[1], "purchases": found.get(s, (0, 0, 0))[2]}
        for s in SEGMENTS
    ]  # fmt: skip
    return {"computed_at": computed, "segments": rows}


def list_scores(
    session: Session, ctx: Ctx, req: PageRequest, segment: str | None = None
) -> Page[RfmScore]:
    q = select(RfmScore).where(RfmScore.merchant_id == ctx.merchant_id)
    if segment is not None:
        q = q.where(RfmScore.segment == segment)
    if req.after is not None:
        q = q.where(RfmScore.customer_id > req.after)
    rows = session.scalars(q.order_by(RfmScore.customer_id).limit(req.limit + 1)).all()
    return paginate(rows, req, key=lambda r: r.customer_id)
