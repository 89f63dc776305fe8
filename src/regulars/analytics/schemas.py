from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field

from regulars.kit.schemas import Schema

Segment = Literal[
    "champions", "loyal", "potential_loyalists", "new", "at_risk", "cant_lose", "hibernating",
    "lost",
]  # fmt: skip


class PeriodOut(Schema):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date


class RatioOut(Schema):
    numerator: int
    denominator: int
    basis_points: int | None = Field(description="numerator / denominator x 10,000, halves up")


class FiguresOut(Schema):
    sales: int
    revenue: int = Field(description="Paid in money less refunds, minor units")
    member_sales: int
    member_revenue: int
    non_member_sales: int = Field(description="Anonymous sales")
    non_member_revenue: int
    active_members: int = Field(description="Members with a purchase in the period")
    new_customers: int = Field(description="Active members whose first purchase is in the period")
    new_revenue: int
    returning_customers: int = Field(description="Active members who had bought before")
    returning_revenue: int
    repeat_customers: int = Field(description="Active members with 2 or more purchases so far")
    buyers: int = Field(description="Members with any purchase up to the period's end")
    at_risk: int
    churned: int
    points_issued: int
    points_redeemed: int
    points_outstanding: int = Field(description="Points held at the period's end")
    point_value: int = Field(description="Minor units one point pays")
    repeat_purchase_rate: RatioOut
    purchase_frequency: RatioOut = Field(description="Member purchases per active member")
    redemption_rate: RatioOut = Field(description="Points redeemed / points issued")
    average_spend_new: int | None
    average_spend_returning: int | None
    returning_spend_more_bp: int | None = Field(
        description="How much more a returning customer spends than a new one, basis points"
    )
    average_member_sale: int | None
    average_non_member_sale: int | None
    member_sale_more_bp: int | None
    points_liability: int = Field(description="points_outstanding x point_value, minor units")


class ThresholdsOut(Schema):
    at_risk_days: int
    churn_days: int


class KpisOut(Schema):
    currency: str
    period: PeriodOut
    previous_period: PeriodOut
    thresholds: ThresholdsOut
    current: FiguresOut
    previous: FiguresOut


class DayOut(Schema):
    day: date
    members: int
    non_members: int
    sales: int


class RevenueOut(Schema):
    currency: str
    period: PeriodOut
    data: list[DayOut]


class CohortRowOut(Schema):
    cohort: str = Field(description="YYYY-MM of the first purchase, shop's time zone")
    customers: int
    retained: list[int] = Field(description="Customers buying in month cohort + k, k = 0, 1, ...")


class CohortsOut(Schema):
    computed_at: datetime | None
    months: list[str]
    rows: list[CohortRowOut]


class SegmentOut(Schema):
    segment: Segment
    customers: int
    monetary: int
    purchases: int


class RfmSummaryOut(Schema):
    computed_at: datetime | None
    segments: list[SegmentOut]


class RfmOut(Schema):
    customer_id: uuid.UUID
    last_purchase_at: datetime
    purchases: int
    monetary: int
    r: int
    f: int
    m: int
    segment: Segment
    computed_at: datetime


class RfmPage(Schema):
    data: list[RfmOut]
    next_cursor: str | None


class RefreshOut(Schema):
    customers: int
    computed_at: datetime
