from __future__ import annotations

import uuid
from datetime import date

from fastapi import APIRouter, Depends, Query

from regulars.analytics import service
from regulars.analytics.schemas import (
    CohortsOut,
    KpisOut,
    RefreshOut,
    RevenueOut,
    RfmOut,
    RfmPage,
    RfmSummaryOut,
    Segment,
)
from regulars.kit.pagination import page_request
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["analytics"])
FROM = Query(None, alias="from", description="First day (shop's time zone), YYYY-MM-DD")
TO = Query(None, description="Last day, included; default today")
DAYS = Query(None, ge=1, le=1098, description="The last N days, when from is not given")


@router.get("/analytics/kpis", response_model=KpisOut, response_model_by_alias=True)
def kpis(
    from_: date | None = FROM,
    to: date | None = TO,
    days: int | None = DAYS,
    at_risk_days: int | None = Query(None, ge=1, le=3650),
    churn_days: int | None = Query(None, ge=2, le=3650),
    t: Tx = Depends(tx),
) -> object:
    """The KPIs of a period (default the last 30 days) and of the period before it."""
    limits = service.thresholds(at_risk_days, churn_days)
    return t(service.kpi_report, from_, to, days, limits)


@router.get("/analytics/revenue", response_model=RevenueOut, response_model_by_alias=True)
def revenue(
    from_: date | None = FROM, to: date | None = TO, days: int | None = DAYS, t: Tx = Depends(tx)
) -> object:
    """Revenue per day of the period, members' and anonymous."""
    return t(service.revenue_series, from_, to, days)


@router.get("/analytics/cohorts", response_model=CohortsOut)
def cohorts(t: Tx = Depends(tx)) -> object:
    """Retention by first-purchase month, from the last daily refresh."""
    return t(service.cohort_matrix)


@router.get("/analytics/rfm", response_model=RfmSummaryOut)
def rfm_summary(t: Tx = Depends(tx)) -> object:
    """Customers and spend per RFM segment, from the last daily refresh."""
    return t(service.rfm_summary)


@router.get("/analytics/rfm/customers", response_model=RfmPage)
def rfm_customers(
    segment: Segment | None = None,
    limit: int = Query(50),
    cursor: str | None = Query(None, max_length=64),
    t: Tx = Depends(tx),
) -> object:
    """Each scored customer's R, F, M and segment."""
    return t(service.rfm_list, page_request(limit, cursor), segment)


@router.get("/analytics/rfm/customers/{customer_id}", response_model=RfmOut)
def rfm_customer(customer_id: uuid.UUID, t: Tx = Depends(tx)) -> object:
    return t(service.rfm_of, customer_id)


@router.post("/analytics/refresh", response_model=RefreshOut)
def refresh(t: Tx = Depends(tx)) -> object:
    """Recompute the cached figures (RFM, cohorts) now rather than at the nightly run."""
    return t(service.refresh_now)
