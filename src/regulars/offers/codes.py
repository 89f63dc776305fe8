"""Coupon codes: 13 symbols from 30 that cannot be mistaken for one another, from `secrets`.

The alphabet is Crockford's base32 without 0 and 1 (no O/0 or I/L/1 to confuse, and no U), so
every symbol reads one way on paper and on a screen: 30**13, about 2**63.8, codes. A till types
them in any case, with or without the dashes and spaces of the printed form (ABCD-EFGH-JKMNP).
Shared campaign codes ("SUMMER10") are chosen by the shop: letters and digits, in any case.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 13
SPACE = len(ALPHABET) ** LENGTH
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}


# A random byte below 240 picks symbol byte % 30 (uniform); a byte from 240 up is dropped.
_KEEP = 240
_SYMBOL = bytes(ord(ALPHABET[b % len(ALPHABET)]) for b in range(256))
_DROP = bytes(range(_KEEP, 256))


def _symbols(count: int) -> str:
    """`count` uniform random symbols, from `secrets.token_bytes` (mapped in C, not per code)."""
    out = b""
    while len(out) < count:
        want = count - len(out)
        out += secrets.token_bytes(want + want // 8 + 16).translate(_SYMBOL, _DROP)
    return out[:count].decode("ascii")


def new_codes(count: int) -> list[str]:
    """`count` distinct codes of LENGTH uniform symbols each."""
    made: set[str] = set()
    while len(made) < count:
        need = count - len(made)
        text = _symbols(need * LENGTH)
        made.update(text[i : i + LENGTH] for i in range(0, need * LENGTH, LENGTH))
    return list(made)


def normalize(text: str) -> str:
    """The stored form of a typed code: upper case, no spaces or dashes; "" when it cannot be a
    code (anything but ASCII letters and digits, or longer than 32)."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    if not cleaned or len(cleaned) > 32 or not (cleaned.isascii() and cleaned.isalnum()):
        return ""
    return cleaned


def normalize_shared(text: str) -> str:
    cleaned = normalize(text)
    return cleaned if len(cleaned) >= 3 else ""


def printed(code: str) -> str:
    """ABCD-EFGH-JKMNP for a generated code; a shared code as it is."""
    if len(code) != LENGTH or any(ch not in _INDEX for ch in code):
        return code
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
