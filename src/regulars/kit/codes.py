"""Human codes (member codes, API key prefixes) in Crockford's base32: no I, L, O or U to misread.

Reading is forgiving the way Crockford specifies: case-insensitive, dashes and spaces ignored,
O read as 0 and I/L as 1.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ = str.maketrans({"O": "0", "I": "1", "L": "1"})


def random_code(length: int) -> str:
    """`length` symbols of 5 random bits each, from `secrets` (one draw of 5 x length bits)."""
    value = int.from_bytes(secrets.token_bytes((5 * length + 7) // 8), "big")
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in range(length))


def normalize(text: str) -> str:
    """Canonical form of a typed code, or "" if it holds a symbol outside the alphabet."""
    cleaned = "".join(text.split()).replace("-", "").upper().translate(_READ)
    return cleaned if cleaned and all(ch in ALPHABET for ch in cleaned) else ""


def group(code: str, size: int = 5) -> str:
    """Display form: XXXXX-XXXXX."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))
