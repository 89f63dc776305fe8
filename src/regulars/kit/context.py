"""Who is acting, for which merchant. Every service call receives one; every query is scoped
by it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

ROLE_RANK = {"cashier": 1, "manager": 2, "owner": 3}


@dataclass(frozen=True)
class MerchantInfo:
    id: uuid.UUID
    slug: str
    name: str
    country: str
    currency: str
    timezone: str
    locale: str


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff" | "api_key" | "system" | "customer"
    id: uuid.UUID | None
    role: str  # "owner" | "manager" | "cashier" ("owner" for system, "customer" for the portal)

    def at_least(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]


@dataclass(frozen=True)
class Ctx:
    merchant: MerchantInfo
    actor: Actor

    @property
    def merchant_id(self) -> uuid.UUID:
        return self.merchant.id


SYSTEM = Actor(kind="system", id=None, role="owner")
