"""What each kind's template may use, with a sample value (the check on save renders with these;
the docs list them, docs/automations.md)."""

from __future__ import annotations

from typing import Any

# Every kind: the customer's `name` (or a greeting word when unknown), the `shop`'s name and the
# customer's `member_code`; `locale`, `currency` and `timezone` drive the filters.
COMMON: dict[str, Any] = {"name": "Aung Aung", "shop": "Shwe Bakery", "member_code": "A1B2C3D4"}

VARIABLES: dict[str, dict[str, Any]] = {
    "welcome": {"points": 50},
    "birthday": {"code": "K7M2-Q9XD", "expires_at": "2026-12-31T17:29:00+00:00", "offer": "Cake"},
    "anniversary": {
        "code": "K7M2-Q9XD",
        "expires_at": "2026-12-31T17:29:00+00:00",
        "offer": "Cake",
        "years": 2,
    },
    "restock": {"item": "Shwe cake", "sku": "CAKE-1"},
    "winback": {"days": 60, "last_visit": "2026-09-01T03:30:00+00:00"},
    "points_expiring": {"points": 120, "expires_at": "2026-12-31T17:29:00+00:00", "balance": 300},
    "tier_up": {"tier": "Gold", "from_tier": "Silver"},
    "reward_unlocked": {"reward": "Free coffee", "balance": 500},
    "thank_you": {"total": 12500, "points_earned": 12, "balance": 340},
}

# A name for a customer the shop knows only by phone: "Hi there" reads better than a blank.
NO_NAME = {"en": "there", "my": "မိတ်ဆွေ", "ur": "دوست", "lo": "ທ່ານ", "ms": "pelanggan"}


def sample(kind: str, locale: str, currency: str, timezone: str, shop: str) -> dict[str, Any]:
    return {
        **COMMON,
        "shop": shop,
        **VARIABLES[kind],
        "locale": locale,
        "currency": currency,
        "timezone": timezone,
    }
