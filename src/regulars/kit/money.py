"""Money is an int in the currency's minor unit (ISO 4217 exponent, from Babel's data)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision


def exponent(currency: str) -> int:
    return int(get_currency_precision(currency))


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(minor: int, currency: str, locale: str) -> str:
    """Localized display, e.g. 5,000 K (my), RM12.50 (ms). Exact: Decimal, never float."""
    return str(format_currency(to_decimal(minor, currency), currency, locale=locale))
