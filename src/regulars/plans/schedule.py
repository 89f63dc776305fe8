"""The schedule of a plan, worked out in memory (docs/plans.md, "Schedule").

The amount owed is `principal + fee`. The down payment is `floor(principal * percent / 100)`,
due on `first_due`. What is left is split evenly over the installments in whole minor units; the
remainder `r` of that division goes one minor unit each to the first `r` installments, so the
first ones are never smaller than the later ones and the sum is exact. Installments fall every
`interval_months` months, counted from `first_due` (not from the previous date), with the day
clamped to the month's last day: from 31 January, monthly, come 28 (or 29) February, 31 March,
30 April.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Slot:
    seq: int
    due_on: date
    amount: int
    down_payment: bool = False


def add_months(day: date, months: int) -> date:
    """Same day `months` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def down_payment(principal: int, percent: int) -> int:
    return principal * percent // 100


def split(amount: int, count: int) -> list[int]:
    """`amount` in `count` parts that differ by at most one unit, the larger ones first."""
    base, extra = divmod(amount, count)
    return [base + 1 if i < extra else base for i in range(count)]


def build(
    principal: int, fee: int, installments: int, interval_months: int, percent: int, first_due: date
) -> list[Slot]:
    down = down_payment(principal, percent)
    slots: list[Slot] = []
    if down > 0:
        slots.append(Slot(0, first_due, down, down_payment=True))
    start = 1 if slots else 0
    for i, part in enumerate(split(principal + fee - down, installments)):
        due = add_months(first_due, (i + start) * interval_months)
        slots.append(Slot(len(slots), due, part))
    return slots


def allocate(amounts: list[int], paid: int) -> list[int]:
    """How much of each installment `paid` covers, oldest first."""
    out: list[int] = []
    for amount in amounts:
        take = min(amount, paid)
        out.append(take)
        paid -= take
    return out
