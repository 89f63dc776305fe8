"""Earning rules as pure functions of (program, basket, customer facts): no I/O, easy to pin.

Rounding, in one place: points = floor(sum(line_net x multiplier%) x paid_share x points /
(per_amount x 100)), computed exactly in integers and floored once per sale. Bonus multipliers
(tier, birthday month, double-points days) each add floor(base x (percent - 100) / 100): they add
up rather than compound, so a VIP birthday on a double-points day is base x (1 + 0.5 + 1 + 1),
not base x 1.5 x 2 x 2. A club's multiplier (handed in by the sale as `extra`, e.g.
("club:Coffee Club", 150)) adds the same way. The first-purchase bonus is a flat number of points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from regulars.loyalty.program import Program, StampCard, Tier


@dataclass(frozen=True)
class Line:
    sku: str
    category: str
    quantity: int
    net: int  # minor units after line discounts


@dataclass(frozen=True)
class Facts:
    """What the rules need to know about the customer and the day (merchant's time zone)."""

    today: date
    birthday: date | None = None
    first_purchase: bool = False
    tier: Tier | None = None


@dataclass
class Earned:
    base: int = 0
    breakdown: list[tuple[str, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(points for _rule, points in self.breakdown)


def line_multiplier(program: Program, line: Line) -> int:
    earn = program.earn
    if line.sku in earn.product_multipliers:
        return earn.product_multipliers[line.sku]
    return earn.category_multipliers.get(line.category, 100)


def earn_points(
    program: Program,
    lines: Sequence[Line],
    facts: Facts,
    paid: int | None = None,
    extra: Sequence[tuple[str, int]] = (),
) -> Earned:
    """Points for a sale. `paid` is what the customer paid in money (points used as payment earn
    nothing); by default the whole net total. `extra`: more (rule, percent) multipliers, such as
    the customer's clubs; each above 100 adds to the base like a tier's."""
    goods = sum(line.net for line in lines)
    paid = goods if paid is None else paid
    result = Earned()
    if goods <= 0 or paid <= 0 or goods < program.earn.min_spend:
        return result
    # floor(weighted x paid share x points / (per_amount x 100)) in integers: every term is
    # whole and not negative, so one floor division at the end is exact.
    weighted = sum(line.net * line_multiplier(program, line) for line in lines)
    earn = program.earn
    base = weighted * min(paid, goods) * earn.points // (goods * earn.per_amount * 100)
    result.base = base
    if base:
        result.breakdown.append(("base", base))
    multipliers = _multipliers(program, facts) + [(r, p) for r, p in extra if p > 100]
    for rule, percent in multipliers:
        added = base * (percent - 100) // 100
        if added:
            result.breakdown.append((rule, added))
    if facts.first_purchase and program.bonuses.first_purchase_points:
        result.breakdown.append(("first_purchase", program.bonuses.first_purchase_points))
    return result


def _multipliers(program: Program, facts: Facts) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if facts.tier is not None and facts.tier.multiplier > 100:
        found.append((f"tier:{facts.tier.code}", facts.tier.multiplier))
    birthday_pct = program.bonuses.birthday_month_percent
    if facts.birthday and facts.birthday.month == facts.today.month and birthday_pct > 100:
        found.append(("birthday_month", birthday_pct))
    running = [d for d in program.bonuses.double_points if d.start <= facts.today <= d.end]
    if running:
        best = max(running, key=lambda d: d.percent)
        found.append((f"double_points:{best.name}", best.percent))
    return found


def stamp_quantity(card: StampCard, lines: Sequence[Line]) -> int:
    """Eligible items in the basket: one stamp per unit."""
    return sum(
        line.quantity
        for line in lines
        if line.quantity > 0 and (line.sku in card.skus or line.category in card.categories)
    )


def points_payment_cap(program: Program, total: int) -> int:
    """The most points a sale of `total` may take as payment (floor)."""
    pay = program.points_payment
    if not pay.enabled or total <= 0:
        return 0
    return total * pay.max_percent // 100 // pay.point_value
