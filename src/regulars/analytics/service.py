"""What the API, the dashboard and the daily job call. KPIs are read live (grouped SQL over one
period); cohorts and RFM are computed by the daily `analytics.refresh` job and read from its
cache, so no figure is ever worked out on a sale's path."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.orm import Session

from regulars.analytics import cohorts, kpis, periods, rfm
from regulars.analytics.kpis import Thresholds
from regulars.analytics.models import RfmScore, Snapshot
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.kit.pagination import Page, PageRequest
from regulars.merchants import service as merchants

COHORTS = "cohorts"


def _allowed(ctx: Ctx) -> None:
    merchants.require_role(ctx, "manager")


def thresholds(at_risk_days: int | None, churn_days: int | None) -> Thresholds:
    limits = Thresholds(at_risk_days or kpis.AT_RISK_DAYS, churn_days or kpis.CHURN_DAYS)
    if limits.churn_days <= limits.at_risk_days:
        raise InvalidField("churn_days", "must be more than at_risk_days")
    return limits


def kpi_report(
    session: Session, ctx: Ctx, first: date | None, last: date | None,
    days: int | None = None, limits: Thresholds | None = None,
) -> dict[str, Any]:  # fmt: skip
    _allowed(ctx)
    period = periods.parse(first, last, ctx.merchant.timezone, days)
    return kpis.kpis(session, ctx, period, limits or Thresholds())


def revenue_series(
    session: Session, ctx: Ctx, first: date | None, last: date | None, days: int | None = None
) -> dict[str, Any]:
    _allowed(ctx)
    period = periods.parse(first, last, ctx.merchant.timezone, days)
    rows = kpis.daily_revenue(session, ctx, period)
    return {"currency": ctx.merchant.currency, "period": {"from": period.first, "to": period.last},
            "data": rows}  # fmt: skip


# --- the cached figures -------------------------------------------------------------------------


def refresh(session: Session, ctx: Ctx) -> int:
    """The daily job's work for one merchant: RFM scores and the cohort matrix, replaced in one
    transaction. Safe to run twice. Returns the customers scored."""
    scored = rfm.refresh(session, ctx)
    data = cohorts.matrix(session, ctx, cohorts.DEFAULT_MONTHS)
    session.execute(
        delete(Snapshot).where(Snapshot.merchant_id == ctx.merchant_id, Snapshot.kind == COHORTS)
    )
    session.execute(
        insert(Snapshot).values(
            merchant_id=ctx.merchant_id, kind=COHORTS, data=data, computed_at=clock.now()
        )
    )
    return scored


def refresh_now(session: Session, ctx: Ctx) -> dict[str, Any]:
    """A manager's "refresh now": what the daily job does, at once."""
    _allowed(ctx)
    return {"customers": refresh(session, ctx), "computed_at": clock.now()}


def cohort_matrix(session: Session, ctx: Ctx) -> dict[str, Any]:
    """The last daily run's matrix (computed_at says when); empty rows before the first run."""
    _allowed(ctx)
    snap = session.get(Snapshot, (ctx.merchant_id, COHORTS))
    if snap is None:
        keys = cohorts.months_back(clock.today(ctx.merchant.timezone), cohorts.DEFAULT_MONTHS)
        rows = [{"cohort": k, "customers": 0, "retained": [0] * (len(keys) - i)}
                for i, k in enumerate(keys)]  # fmt: skip
        return {"computed_at": None, "months": keys, "rows": rows}
    return {"computed_at": snap.computed_at, **snap.data}


def rfm_summary(session: Session, ctx: Ctx) -> dict[str, Any]:
    _allowed(ctx)
    return rfm.summary(session, ctx)


def rfm_list(session: Session, ctx: Ctx, req: PageRequest, segment: str | None) -> Page[RfmScore]:
    _allowed(ctx)
    return rfm.list_scores(session, ctx, req, segment)


def rfm_of(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> RfmScore:
    _allowed(ctx)
    score = rfm.rfm_segment_of(session, ctx, customer_id)
    if score is None:
        raise NotFound("no RFM score for this customer (no purchase, or not scored yet)")
    return score


def merchants_due(session: Session, ctx: Ctx) -> list[uuid.UUID]:
    return [ctx.merchant_id]


def refresh_job(session: Session, ctx: Ctx, merchant_id: uuid.UUID) -> int:
    return refresh(session, ctx)
