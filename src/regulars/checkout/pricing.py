"""Basket arithmetic, pure: line totals and how vouchers become per-line discounts.

Free-item vouchers take one unit off a matching line. Order-level discounts (amount or percent
off) are spread over the lines in their scope (every line, or the SKUs and categories a coupon
names) in proportion to what is left on each, by the largest-remainder
method, so the line discounts always add up exactly to the order discount and no line goes below
zero. Percent-off rounds down (the shop never gives more than the stated percent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from regulars.kit.errors import InvalidField


@dataclass
class PricedLine:
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int
    discount: int = 0
    free_units: int = 0

    @property
    def gross(self) -> int:
        return self.quantity * self.unit_price

    @property
    def net(self) -> int:
        return self.gross - self.discount


@dataclass(frozen=True)
class VoucherSpec:
    code: str
    name: str
    kind: str  # free_item | amount_off | percent_off
    amount: int = 0
    percent: int = 0
    sku: str | None = None
    skus: tuple[str, ...] = ()  # scope of an order-level discount; empty with categories: all
    categories: tuple[str, ...] = ()

    def covers(self, line: PricedLine) -> bool:
        if not self.skus and not self.categories:
            return True
        return line.sku in self.skus or line.category in self.categories


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` over `weights` proportionally; parts sum to `amount` exactly."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return [0] * len(weights)
    amount = min(amount, total)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def apply_vouchers(
    lines: list[PricedLine], vouchers: Sequence[VoucherSpec], field: str = "vouchers"
) -> list[int]:
    """Mutates line discounts; returns the discount each voucher gave, in input order. Free
    items first, then amounts off, then percents off what is left; nothing goes below zero."""
    given = [0] * len(vouchers)
    order = sorted(range(len(vouchers)), key=lambda i: _rank(vouchers[i].kind))
    for i in order:
        v = vouchers[i]
        if v.kind == "free_item":
            given[i] = _free_item(lines, v, f"{field}.{i}")
            continue
        scope = [line for line in lines if v.covers(line)]
        remaining = sum(line.net for line in scope)
        off = min(v.amount, remaining) if v.kind == "amount_off" else remaining * v.percent // 100
        for line, share in zip(scope, allocate(off, [line.net for line in scope]), strict=True):
            line.discount += share
        given[i] = off
    return given


def _rank(kind: str) -> int:
    return {"free_item": 0, "amount_off": 1, "percent_off": 2}[kind]


def _free_item(lines: list[PricedLine], v: VoucherSpec, field: str) -> int:
    candidates = [
        line
        for line in lines
        if line.free_units < line.quantity and (v.sku is None or line.sku == v.sku)
    ]
    if not candidates:
        what = f"item {v.sku}" if v.sku else "item"
        raise InvalidField(field, f"the free {what} is not in the basket")
    line = min(candidates, key=lambda line: line.unit_price)
    off = min(line.unit_price, line.net)
    line.free_units += 1
    line.discount += off
    return off
