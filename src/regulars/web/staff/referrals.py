"""Staff page: ambassadors, ranked by the value they bring (their own spend and their friends')."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from regulars.db import Database
from regulars.referrals import service as referrals
from regulars.web.render import page
from regulars.web.routing import PageRoute, Staff, current_staff, database

router = APIRouter(route_class=PageRoute, include_in_schema=False)
SHOWN = 20
PARTS = ("own_spend", "friends_spend", "second_degree_spend")


def bars(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's three parts as stacked bar segments (x and width, 0..1000 of the widest)."""
    widest = max((r["value"] for r in rows), default=0) or 1
    out = []
    for row in rows:
        x, segments = 0, []
        for part in PARTS:
            width = row[part] * 1000 // widest
            segments.append({"part": part, "x": x, "width": width})
            x += width
        out.append(row | {"segments": segments})
    return out


@router.get("/referrals")
def leaderboard(
    request: Request, staff: Staff = Depends(current_staff), db: Database = Depends(database)
) -> Response:
    rows = db.run(lambda s: referrals.leaderboard(s, staff.ctx, SHOWN), write=False)
    return page(
        request,
        "staff/referrals.html",
        staff.lang,
        staff=staff,
        section="referrals",
        rows=bars(rows),
        currency=staff.ctx.merchant.currency,
    )
