"""The dashboard: owners' and managers' home. KPIs of a period against the one before, charts,
and every table behind a chart as CSV (docs/analytics.md)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from regulars.analytics import cohorts as cohort_math
from regulars.analytics import service as analytics
from regulars.db import Database
from regulars.kit.errors import InvalidField
from regulars.web.dashboard_view import View
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database

router = APIRouter(route_class=PageRoute, include_in_schema=False)
CHOICES = ("7", "30", "90", "365", "custom")


def _period(
    period: str, first: date | None, last: date | None
) -> tuple[str, date | None, date | None, int | None]:
    if period not in CHOICES:
        raise InvalidField("period", "choose 7, 30, 90, 365 or custom")
    if period == "custom":
        return period, first, last, None
    return period, None, None, int(period)


def _figures(
    session: Session, staff: Staff, first: date | None, last: date | None, days: int | None
) -> dict[str, Any]:
    ctx = staff.ctx
    return {
        "report": analytics.kpi_report(session, ctx, first, last, days),
        "revenue": analytics.revenue_series(session, ctx, first, last, days),
        "cohorts": analytics.cohort_matrix(session, ctx),
        "segments": analytics.rfm_summary(session, ctx),
    }


PERIOD = Query("30", max_length=8)
FIRST = Query(None, alias="from")
LAST = Query(None, alias="to")


@router.get("/dashboard")
def dashboard(
    request: Request,
    period: str = PERIOD,
    first: date | None = FIRST,
    last: date | None = LAST,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    chosen, a, b, days = _period(period, first, last)
    data = db.run(lambda s: _figures(s, staff, a, b, days), write=False)
    view = View(staff.lang, staff.ctx.merchant.currency)
    report, cohorts = data["report"], data["cohorts"]
    shares = cohort_math.percent_rows(cohorts)
    query = str(request.url.query)
    return page(
        request,
        "staff/dashboard.html",
        staff.lang,
        staff=staff,
        section="dashboard",
        period=chosen,
        choices=CHOICES,
        report=report,
        cards=view.cards(report),
        spend_sentence=view.spend_sentence(report),
        member_sentence=view.member_sentence(report),
        revenue=data["revenue"]["data"],
        revenue_chart=view.revenue_chart(data["revenue"]["data"]),
        mix=view.mix_rows(report),
        mix_chart=view.mix_chart(report),
        cohorts=cohorts,
        shares=shares,
        cohort_chart=view.cohort_chart(cohorts, shares),
        segments=view.segment_rows(data["segments"]),
        segments_at=data["segments"]["computed_at"],
        segment_chart=view.segment_chart(data["segments"]),
        view=view,
        query=f"?{query}" if query else "",
    )


# --- the tables behind the charts, as CSV --------------------------------------------------------


def _csv(name: str, header: list[str], rows: list[list[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store",
        },
    )


def kpi_rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for key, value in report["current"].items():
        before = report["previous"][key]
        if isinstance(value, dict):
            rows.append([key, value["basis_points"], before["basis_points"], "basis_points"])
        else:
            rows.append([key, value, before, ""])
    return rows


TABLES = ("kpis", "revenue", "revenue-mix", "cohorts", "segments")


@router.get("/dashboard/{table}.csv")
def table_csv(
    table: str,
    period: str = PERIOD,
    first: date | None = FIRST,
    last: date | None = LAST,
    staff: Staff = Depends(current_staff),
    db: Database = Depends(database),
) -> Response:
    if table not in TABLES:
        raise InvalidField("table", "no such table")
    _chosen, a, b, days = _period(period, first, last)
    data = db.run(lambda s: _figures(s, staff, a, b, days), write=False)
    report = data["report"]
    span = f"{report['period']['from']}_{report['period']['to']}"
    if table == "kpis":
        return _csv(f"kpis-{span}", ["figure", "current", "previous", "unit"], kpi_rows(report))
    if table == "revenue":
        rows = [[d["day"].isoformat(), d["members"], d["non_members"], d["sales"]]
                for d in data["revenue"]["data"]]  # fmt: skip
        return _csv(f"revenue-{span}", ["day", "members", "non_members", "sales"], rows)
    if table == "revenue-mix":
        now = report["current"]
        rows = [["new_customers", now["new_revenue"]],
                ["returning_customers", now["returning_revenue"]],
                ["non_members", now["non_member_revenue"]]]  # fmt: skip
        return _csv(f"revenue-mix-{span}", ["customers", "revenue"], rows)
    if table == "cohorts":
        months = data["cohorts"]["months"]
        header = ["cohort", "customers"] + [f"month_{k}" for k in range(len(months))]
        rows = [[r["cohort"], r["customers"], *r["retained"]] for r in data["cohorts"]["rows"]]
        return _csv("cohorts", header, rows)
    segs = data["segments"]["segments"]
    rows = [[s["segment"], s["customers"], s["monetary"], s["purchases"]] for s in segs]
    return _csv("segments", ["segment", "customers", "monetary", "purchases"], rows)
