"""Plain factory functions for tests: make_merchant(db, ...), make_customer(db, shop, ...)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.customers.schemas import CustomerCreate
from regulars.db import Database
from regulars.kit.context import Actor, Ctx
from regulars.merchants import service as merchants
from regulars.merchants.schemas import ApiKeyCreate, MerchantCreate

PASSWORD = "correct horse battery"


@dataclass
class Shop:
    ctx: Ctx
    api_key: str
    owner_email: str

    @property
    def id(self):  # type: ignore[no-untyped-def]
        return self.ctx.merchant.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def key_for(self, db: Database, role: str) -> dict[str, str]:
        _key, secret = db.run(
            lambda s: merchants.issue_api_key(s, self.ctx, ApiKeyCreate(name=role, role=role))  # type: ignore[arg-type]
        )
        return {"Authorization": f"Bearer {secret}"}


def make_merchant(
    db: Database,
    name: str = "Shwe Bakery",
    country: str = "MM",
    currency: str = "MMK",
    timezone: str = "Asia/Yangon",
    locale: str = "my",
    email: str | None = None,
) -> Shop:
    data = MerchantCreate(
        name=name, country=country, currency=currency, timezone=timezone, locale=locale
    )
    email = email or f"owner-{uuid.uuid4().hex[:12]}@example.com"
    info, owner, key = db.run(lambda s: merchants.create_merchant(s, data, email, PASSWORD))
    ctx = Ctx(info, Actor("staff", owner.id, "owner"))
    return Shop(ctx=ctx, api_key=key, owner_email=owner.email)


def make_customer(db: Database, shop: Shop, **fields: Any) -> Customer:
    data = CustomerCreate(**({"name": "Aung Aung"} | fields))
    return db.run(lambda s: customers.create_customer(s, shop.ctx, data))
