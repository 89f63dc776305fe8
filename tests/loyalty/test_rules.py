"""Each earning rule pinned with worked numbers: MMK has no minor unit, MYR has two decimals."""

from __future__ import annotations

import math
from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regulars.loyalty import rules, tiers
from regulars.loyalty.program import (
    Bonuses,
    DoublePoints,
    EarnRule,
    Program,
    StampCard,
    Tier,
    Tiers,
    default_program,
)

TODAY = date(2026, 11, 23)
MMK = Program(earn=EarnRule(points=1, per_amount=1000, category_multipliers={"cakes": 200}))
CAKES = [rules.Line("CAKE-1", "cakes", 2, 10_000), rules.Line("TEA", "drinks", 1, 1_500)]


def test_mmk_base_is_floored_once_on_the_weighted_total() -> None:
    # 10,000 x 2.00 + 1,500 x 1.00 = 21,500 weighted kyat -> 21.5 points -> 21
    earned = rules.earn_points(MMK, CAKES, rules.Facts(today=TODAY))
    assert earned.base == 21
    assert earned.breakdown == [("base", 21)]


def test_myr_two_decimals_product_multiplier_wins_over_category() -> None:
    program = Program(
        earn=EarnRule(
            points=1,
            per_amount=100,
            category_multipliers={"coffee": 200},
            product_multipliers={"LATTE": 300},
        )
    )
    lines = [rules.Line("LATTE", "coffee", 1, 1250), rules.Line("KUIH", "snacks", 2, 780)]
    # RM12.50 x 3 + RM7.80 x 1 = 45.30 -> 45 points
    assert rules.earn_points(program, lines, rules.Facts(today=TODAY)).total == 45


def test_myr_minimum_spend_blocks_earning() -> None:
    program = Program(earn=EarnRule(points=1, per_amount=100, min_spend=2500))
    lines = [rules.Line("KOPI", "coffee", 1, 2499)]
    assert rules.earn_points(program, lines, rules.Facts(today=TODAY)).total == 0
    lines = [rules.Line("KOPI", "coffee", 1, 2500)]
    assert rules.earn_points(program, lines, rules.Facts(today=TODAY)).total == 25


def test_points_paid_with_points_earn_nothing() -> None:
    program = Program(earn=EarnRule(points=1, per_amount=100))
    lines = [rules.Line("NASI", "food", 1, 2030)]
    # RM20.30 of goods, RM5.00 paid with points: RM15.30 earns 15
    assert rules.earn_points(program, lines, rules.Facts(today=TODAY), paid=1530).total == 15


def test_bonus_multipliers_add_up_and_do_not_compound() -> None:
    gold = Tier(code="gold", name="Gold", min_spend=0, multiplier=150)
    program = MMK.model_copy(
        update={
            "bonuses": Bonuses(
                birthday_month_percent=200,
                first_purchase_points=50,
                double_points=[
                    DoublePoints(name="Thingyan", start=date(2026, 11, 20), end=date(2026, 11, 25)),
                    DoublePoints(
                        name="Triple", start=date(2026, 11, 23), end=date(2026, 11, 23), percent=300
                    ),
                ],
            )
        }
    )
    facts = rules.Facts(today=TODAY, birthday=date(1990, 11, 2), first_purchase=True, tier=gold)
    earned = rules.earn_points(program, CAKES, facts)
    # base 21; gold +50% = 10; birthday +100% = 21; best running promotion (300%) +200% = 42
    assert earned.breakdown == [
        ("base", 21),
        ("tier:gold", 10),
        ("birthday_month", 21),
        ("double_points:Triple", 42),
        ("first_purchase", 50),
    ]
    assert earned.total == 144


def test_birthday_bonus_only_in_the_birthday_month() -> None:
    program = MMK.model_copy(update={"bonuses": Bonuses(birthday_month_percent=200)})
    facts = rules.Facts(today=TODAY, birthday=date(1990, 10, 31))
    assert rules.earn_points(program, CAKES, facts).total == 21


def test_stamp_card_counts_units_of_eligible_items() -> None:
    card = StampCard(
        code="coffee",
        name="Coffee card",
        categories=["coffee"],
        skus=["COLD-BREW"],
        stamps_required=8,
        reward_name="Free coffee",
    )
    lines = [
        rules.Line("KOPI", "coffee", 3, 900),
        rules.Line("COLD-BREW", "cold", 2, 1400),
        rules.Line("KUIH", "snacks", 5, 300),
    ]
    assert rules.stamp_quantity(card, lines) == 5


def test_tier_for_spend_and_next_tier() -> None:
    program = Program(
        tiers=Tiers(
            levels=[
                Tier(code="member", name="Member", min_spend=0),
                Tier(code="silver", name="Silver", min_spend=500_000, multiplier=125),
                Tier(code="gold", name="Gold", min_spend=2_000_000, multiplier=150),
            ]
        )
    )
    assert tiers.for_spend(program, 499_999).code == "member"  # type: ignore[union-attr]
    silver = tiers.for_spend(program, 500_000)
    assert silver is not None and silver.code == "silver"
    assert tiers.next_tier(program, silver).code == "gold"  # type: ignore[union-attr]
    assert tiers.next_tier(program, tiers.for_spend(program, 3_000_000)) is None


def test_points_payment_cap_is_a_share_of_the_total() -> None:
    program = default_program(0)  # MMK: a point pays 10 kyat, at most half the total
    assert rules.points_payment_cap(program, 25_000) == 1250
    myr = default_program(2)  # MYR: a point pays 1 sen
    assert rules.points_payment_cap(myr, 2030) == 1015


def test_default_program_earns_one_point_per_1000_kyat_or_per_ringgit() -> None:
    assert default_program(0).earn.per_amount == 1000
    assert default_program(2).earn.per_amount == 100


@pytest.mark.parametrize(
    ("field", "config"),
    [
        ("tiers", {"tiers": {"levels": [{"code": "a", "name": "A", "min_spend": 10}]}}),
        ("earn", {"earn": {"per_amount": 0}}),
        (
            "stamp_cards",
            {"stamp_cards": [{"code": "c", "name": "C", "stamps_required": 5, "reward_name": "x"}]},
        ),
    ],
)
def test_bad_configuration_is_rejected_naming_the_field(field: str, config: dict) -> None:  # type: ignore[type-arg]
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        Program.model_validate(config)
    assert info.value.errors()[0]["loc"][0] == field


@given(
    nets=st.lists(st.integers(0, 10**9), min_size=1, max_size=5),
    multiplier=st.sampled_from([100, 125, 150, 200, 300]),
    paid_permille=st.integers(1, 1500),
    points=st.integers(0, 1000),
    per_amount=st.integers(1, 100_000),
)
def test_the_base_is_the_exact_rational_amount_floored_once(
    nets: list[int], multiplier: int, paid_permille: int, points: int, per_amount: int
) -> None:
    """The module's rounding rule, as a definition in exact fractions: computed in integers,
    the base is the same for any basket."""
    program = Program(
        earn=EarnRule(points=points, per_amount=per_amount, category_multipliers={"c": multiplier})
    )
    lines = [rules.Line(f"S{i}", "c" if i % 2 else "d", 1, n) for i, n in enumerate(nets)]
    goods = sum(nets)
    paid = max(1, goods * paid_permille // 1000)
    weighted = sum(Fraction(ln.net * rules.line_multiplier(program, ln)) for ln in lines)
    exact = weighted * Fraction(min(paid, goods), max(goods, 1)) * points / (per_amount * 100)
    expected = math.floor(exact) if goods > 0 else 0
    assert rules.earn_points(program, lines, rules.Facts(today=TODAY), paid=paid).base == expected
