"""The loyalty program's configuration: one validated document per merchant, versioned on save.

Rates are exact: points per spend amount in minor units, multipliers in whole percent (150 = 1.5x).
Every rounding is a floor, done once per sale on the weighted total (see rules.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from regulars.kit.schemas import Schema

Percent = int  # 100 = 1x
Lang = Literal["en", "my", "ur", "lo", "ms"]
# A shop-entered text in other languages, {lang: text}; the plain field is the shop's language and
# what every reader without a translation sees.
Names = dict[
    Lang, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
]
Perks = dict[
    Lang, Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
]


def plain(names: Mapping[Any, str]) -> dict[str, str]:
    """A `Names` as plain JSON-able text keys."""
    return {str(lang): text for lang, text in names.items()}


def in_language(text: str, names: Mapping[Any, str] | None, lang: str | None) -> str:
    """`text` as `lang` reads it: its translation when the shop gave one, else as entered."""
    if names and lang:
        return names.get(lang) or text
    return text


class EarnRule(Schema):
    points: int = Field(default=1, ge=0, le=1_000_000, description="Points given per `per_amount`")
    per_amount: int = Field(
        default=1000, ge=1, description="Spend in minor units that earns `points` (floor)"
    )
    min_spend: int = Field(default=0, ge=0, description="Sales below this total earn nothing")
    category_multipliers: dict[str, Percent] = Field(default_factory=dict)
    product_multipliers: dict[str, Percent] = Field(
        default_factory=dict, description="By SKU; wins over the category multiplier"
    )

    @model_validator(mode="after")
    def _percents(self) -> Self:
        for name in ("category_multipliers", "product_multipliers"):
            for key, pct in getattr(self, name).items():
                if not 0 <= pct <= 10_000:
                    raise ValueError(f"{name}.{key}: percent must be 0..10000")
        return self


class DoublePoints(Schema):
    name: str = Field(min_length=1, max_length=80)
    start: date
    end: date = Field(description="Inclusive, in the merchant's time zone")
    percent: Percent = Field(default=200, ge=100, le=1000)

    @model_validator(mode="after")
    def _order(self) -> Self:
        if self.end < self.start:
            raise ValueError("end is before start")
        return self


class Bonuses(Schema):
    birthday_month_percent: Percent = Field(default=100, ge=100, le=1000)
    first_purchase_points: int = Field(default=0, ge=0, le=1_000_000)
    signup_points: int = Field(default=0, ge=0, le=1_000_000)
    double_points: list[DoublePoints] = Field(default_factory=list, max_length=50)


class StampCard(Schema):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=80)
    categories: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    stamps_required: int = Field(ge=2, le=50)
    reward_name: str = Field(min_length=1, max_length=120, description="What the free item is")
    reward_sku: str | None = Field(default=None, max_length=64)
    names: Names = Field(default_factory=dict, description="`name` in other languages")
    reward_names: Names = Field(default_factory=dict, description="`reward_name` likewise")

    @model_validator(mode="after")
    def _scope(self) -> Self:
        if not self.categories and not self.skus:
            raise ValueError("a stamp card needs eligible categories or skus")
        return self


class Tier(Schema):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=80)
    min_spend: int = Field(ge=0, description="Qualifying spend (minor units) over the window")
    multiplier: Percent = Field(default=100, ge=100, le=1000)
    perks: str = Field(default="", max_length=500)
    names: Names = Field(default_factory=dict, description="`name` in other languages")
    perks_i18n: Perks = Field(default_factory=dict, description="`perks` in other languages")
    free_inspections_per_year: int = Field(
        default=0, ge=0, le=12, description="Service inspections members of this tier get free"
    )


class Tiers(Schema):
    window_months: int = Field(default=12, ge=1, le=60)
    downgrade_grace_days: int = Field(default=30, ge=0, le=365)
    levels: list[Tier] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _ascending(self) -> Self:
        spends = [t.min_spend for t in self.levels]
        if spends != sorted(spends) or len(set(spends)) != len(spends):
            raise ValueError("levels: min_spend must strictly increase")
        if len({t.code for t in self.levels}) != len(self.levels):
            raise ValueError("levels: codes must be unique")
        if self.levels and self.levels[0].min_spend != 0:
            raise ValueError("levels: the first tier starts at min_spend 0")
        return self


class PointsPayment(Schema):
    enabled: bool = True
    point_value: int = Field(default=1, ge=1, description="Minor units one point pays")
    max_percent: int = Field(default=50, ge=0, le=100, description="Cap: share of the total")


class ReferralRule(Schema):
    """What a referral gives (docs/referrals.md). The friend's welcome points come when they join
    with a code; the referrer's points when the friend's first qualifying purchase commits."""

    referrer_points: int = Field(
        default=200, ge=0, le=1_000_000, description="Points the referrer earns per friend"
    )
    friend_points: int = Field(
        default=100, ge=0, le=1_000_000, description="Welcome points for a friend who joins"
    )
    family_points: int = Field(
        default=300, ge=0, le=1_000_000, description="Welcome points with a friends-and-family code"
    )
    min_spend: int = Field(
        default=0, ge=0, description="A friend's purchase qualifies from this total (minor units)"
    )
    monthly_cap: int = Field(
        default=10, ge=1, le=1000, description="Friends one member may bring per calendar month"
    )
    family_tiers: list[str] = Field(
        default_factory=list, max_length=10, description="Tiers whose members get a family code"
    )


class EngagementRule(Schema):
    """Points for what a customer does besides buying (docs/feedback.md): each is given once per
    survey, review or post approved by staff, and once for a completed profile."""

    survey_points: int = Field(default=10, ge=0, le=1_000_000, description="Per survey answered")
    review_points: int = Field(default=20, ge=0, le=1_000_000, description="Per approved review")
    post_points: int = Field(
        default=20, ge=0, le=1_000_000, description="Per approved social-media post"
    )
    profile_points: int = Field(
        default=10, ge=0, le=1_000_000, description="Once, for name, email and birthday filled in"
    )


class Program(Schema):
    earn: EarnRule = Field(default_factory=EarnRule)
    bonuses: Bonuses = Field(default_factory=Bonuses)
    stamp_cards: list[StampCard] = Field(default_factory=list, max_length=20)
    tiers: Tiers = Field(default_factory=Tiers)
    expiry_months: int = Field(default=0, ge=0, le=120, description="0 = points never expire")
    points_payment: PointsPayment = Field(default_factory=PointsPayment)
    referral: ReferralRule = Field(default_factory=ReferralRule)
    engagement: EngagementRule = Field(default_factory=EngagementRule)
    plan_on_time_points: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Points for each payment-plan installment paid in full by its due date",
    )

    @model_validator(mode="after")
    def _unique_cards(self) -> Self:
        if len({c.code for c in self.stamp_cards}) != len(self.stamp_cards):
            raise ValueError("stamp_cards: codes must be unique")
        return self


def default_program(currency_exponent: int) -> Program:
    """A working program for a new merchant: 1 point per 1,000 in a currency without minor unit
    (MMK, LAK), per 1 major unit otherwise (MYR: per RM1 = 100 sen)."""
    per_amount = 1000 if currency_exponent == 0 else 10**currency_exponent
    value = 10 if currency_exponent == 0 else 1  # 10 MMK or 1 sen per point when paying
    return Program(
        earn=EarnRule(points=1, per_amount=per_amount),
        points_payment=PointsPayment(point_value=value, max_percent=50),
    )
