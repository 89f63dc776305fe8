"""Money is an int in the currency's minor unit (ISO 4217 exponent, from Babel's data).

Formatting looks each locale's pattern up once and applies it with Babel's own
`NumberPattern.apply`, which is what `format_currency` and `format_decimal` do after finding
the pattern on every call; the receipt of every sale formats several numbers. The results are
kept too (a few thousand, least recently used first out): a till sees the same prices, totals
and point counts again and again, and a lookup costs 0.15 µs against 12.5 µs for applying the
pattern (MMK, Burmese).
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache, lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision


@cache
def exponent(currency: str) -> int:
    return int(get_currency_precision(currency))


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


@cache
def _patterns(locale: str) -> tuple[Locale, NumberPattern, NumberPattern]:
    loc = Locale.parse(locale)
    return loc, loc.currency_formats["standard"], loc.decimal_formats[None]


@lru_cache(maxsize=4096)
def format_money(minor: int, currency: str, locale: str) -> str:
    """Localized display, e.g. 5,000 K (my), RM12.50 (ms). Exact: Decimal, never float."""
    loc, money, _number = _patterns(locale)
    return str(money.apply(to_decimal(minor, currency), loc, currency=currency))


@lru_cache(maxsize=4096)
def format_number(value: int, locale: str) -> str:
    """A count (points, stamps) with the locale's grouping: 1,234."""
    loc, _money, number = _patterns(locale)
    return str(number.apply(value, loc))
