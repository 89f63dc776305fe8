"""The demo shops' coupon campaigns: a shared code each, and a flyer of single-use codes."""

from __future__ import annotations

from dataclasses import dataclass

from regulars.offers.schemas import CampaignCreate


@dataclass(frozen=True)
class DemoCoupon:
    campaign: CampaignCreate
    codes: int = 0  # single-use codes made for it (a printed flyer)


BAKERY_COUPONS = (
    DemoCoupon(
        CampaignCreate(
            name="မိတ်ဆွေများအတွက် ၁၀% လျှော့ဈေး",
            kind="percent_off",
            value=10,
            min_spend=10000,
            per_customer_limit=1,
            code="SHWE10",
        )
    ),
    DemoCoupon(
        CampaignCreate(
            name="ကိတ်မုန့် ၂,၀၀၀ ကျပ် လျှော့ (လက်ကမ်းစာစောင်)",
            kind="amount_off",
            value=2000,
            categories=["cake"],
            stackable=True,
        ),
        codes=50,
    ),
)
CAFE_COUPONS = (
    DemoCoupon(
        CampaignCreate(
            name="Kawan 20% (weekday)",
            kind="percent_off",
            value=20,
            total_limit=500,
            code="KAWAN20",
        )
    ),
    DemoCoupon(
        CampaignCreate(name="Kopi percuma (flyer)", kind="free_item", sku="KOPI", stackable=True),
        codes=100,
    ),
)
