"""Merchants, staff and API keys: validation, secrets kept only as hashes, and an audit trail."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError
from sqlalchemy import select

from regulars.db import Database
from regulars.kit.context import Actor, Ctx
from regulars.kit.errors import Conflict, Forbidden, Unauthorized
from regulars.merchants import service
from regulars.merchants.models import ApiKey, AuditEvent, StaffUser
from regulars.merchants.schemas import ApiKeyCreate, MerchantCreate, StaffCreate, StoreCreate
from regulars.models import metadata
from tests.factories import PASSWORD, Shop, make_merchant

VALID = {
    "name": "Lahore Mobiles",
    "country": "PK",
    "currency": "PKR",
    "timezone": "Asia/Karachi",
    "locale": "ur",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("country", "ZZ"),  # CLDR's "unknown region"
        ("country", "EU"),  # a grouping, not a country
        ("country", "PAK"),
        ("currency", "ABC"),
        ("currency", "XXX"),  # "no currency"
        ("currency", "XTS"),  # reserved for tests
        ("currency", "BUK"),  # Burmese kyat, retired in 1952
        ("timezone", "Asia/Lahore"),
        ("timezone", "asia/karachi"),
        ("timezone", "localtime"),  # the server's own zone, not the shop's
        ("locale", "zz"),
        ("name", ""),
    ],
)
def test_merchant_create_rejects_bad_values_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(ValidationError) as exc:
        MerchantCreate(**(VALID | {field: value}))
    assert [e["loc"] for e in exc.value.errors()] == [(field,)]


def test_merchant_create_normalizes_case() -> None:
    data = MerchantCreate(**(VALID | {"country": "pk", "currency": "pkr"}))
    assert (data.country, data.currency) == ("PK", "PKR")


@pytest.mark.parametrize(
    ("country", "currency", "timezone"),
    [
        ("MM", "MMK", "Asia/Yangon"),
        ("MY", "MYR", "Asia/Kuala_Lumpur"),
        ("LA", "LAK", "Asia/Vientiane"),
        ("PK", "PKR", "Asia/Karachi"),
        ("SN", "XOF", "Africa/Dakar"),
    ],
)
def test_merchant_create_accepts_real_shops(country: str, currency: str, timezone: str) -> None:
    MerchantCreate(name="Shop", country=country, currency=currency, timezone=timezone)


def _rows(db: Database, model: Any, shop: Shop) -> list[Any]:
    with db.session(write=False) as s:
        return list(s.scalars(select(model).where(model.merchant_id == shop.id).order_by(model.id)))


def test_new_merchant_has_a_store_an_owner_a_key_and_an_audit_trail(db: Database) -> None:
    shop = make_merchant(db)
    actions = [(e.action, e.entity_type) for e in _rows(db, AuditEvent, shop)]
    assert actions == [
        ("store.created", "store"),
        ("staff.created", "staff"),
        ("api_key.created", "api_key"),
        ("merchant.created", "merchant"),
    ]
    assert all(e.actor_type == "system" for e in _rows(db, AuditEvent, shop))
    with db.session(write=False) as s:
        assert [st.code for st in service.list_stores(s, shop.ctx)] == ["MAIN"]
    assert [(u.email, u.role) for u in _rows(db, StaffUser, shop)] == [(shop.owner_email, "owner")]


def test_api_key_is_stored_only_as_its_sha256(db: Database) -> None:
    shop = make_merchant(db)
    [key] = _rows(db, ApiKey, shop)
    assert shop.api_key.startswith(f"{key.prefix}_")
    assert key.key_hash == hashlib.sha256(shop.api_key.encode()).hexdigest()
    secret_part = shop.api_key.rpartition("_")[2]
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                text = json.dumps([str(v) for v in row])
                assert secret_part not in text, f"the key's secret is stored in {table.name}"


def test_api_key_authenticates_with_its_role_until_revoked(db: Database) -> None:
    shop = make_merchant(db)
    key, secret = db.run(
        lambda s: service.issue_api_key(s, shop.ctx, ApiKeyCreate(name="till 1", role="cashier"))
    )
    ctx = db.run(lambda s: service.authenticate_key(s, secret), write=False)
    assert (ctx.merchant_id, ctx.actor.kind, ctx.actor.id, ctx.actor.role) == (
        shop.id,
        "api_key",
        key.id,
        "cashier",
    )
    db.run(lambda s: service.revoke_api_key(s, shop.ctx, key.id))
    db.run(lambda s: service.revoke_api_key(s, shop.ctx, key.id))  # twice changes nothing more
    with pytest.raises(Unauthorized):
        db.run(lambda s: service.authenticate_key(s, secret), write=False)
    revoked = [e for e in _rows(db, AuditEvent, shop) if e.action == "api_key.revoked"]
    assert [(e.entity_id, e.changes) for e in revoked] == [(key.id, {})]
    owner = db.run(lambda s: service.authenticate_key(s, shop.api_key), write=False)
    assert owner.actor.role == "owner"


@pytest.mark.parametrize(
    "secret", ["", "rg_", "_", "rg_x_y", "no-underscore", "rg_abc_" + "f" * 40]
)
def test_garbage_keys_are_unauthorized(db: Database, secret: str) -> None:
    make_merchant(db)
    with pytest.raises(Unauthorized):
        db.run(lambda s: service.authenticate_key(s, secret), write=False)


def test_only_an_owner_issues_keys_and_adds_staff(db: Database) -> None:
    shop = make_merchant(db)
    manager = Ctx(shop.ctx.merchant, Actor("staff", None, "manager"))
    with pytest.raises(Forbidden):
        db.run(lambda s: service.issue_api_key(s, manager, ApiKeyCreate(name="k", role="cashier")))
    with pytest.raises(Forbidden):
        db.run(
            lambda s: service.create_staff(
                s,
                manager,
                StaffCreate(email="x@example.com", name="X", role="cashier", password=PASSWORD),
            )
        )
    store = db.run(lambda s: service.create_store(s, manager, StoreCreate(code="b2", name="B2")))
    assert store.code == "B2"


def test_staff_password_is_stored_as_argon2id(db: Database) -> None:
    shop = make_merchant(db)
    staff = db.run(
        lambda s: service.create_staff(
            s,
            shop.ctx,
            StaffCreate(
                email=" Ko.Ko@Example.com ",
                name="Ko Ko",
                role="cashier",
                password="another long one",
            ),
        )
    )
    assert staff.email == "ko.ko@example.com"
    assert staff.password_hash.startswith("$argon2id$")
    assert "another long one" not in staff.password_hash
    assert PasswordHasher().verify(staff.password_hash, "another long one")
    events = [(e.action, e.entity_id, e.changes) for e in _rows(db, AuditEvent, shop)]
    assert events[-1] == ("staff.created", staff.id, {"role": "cashier"})


def test_staff_login_checks_the_password(db: Database) -> None:
    shop = make_merchant(db)
    ctx = db.run(lambda s: service.staff_login(s, shop.owner_email.upper(), PASSWORD))
    assert (ctx.merchant_id, ctx.actor.role) == (shop.id, "owner")
    with pytest.raises(Unauthorized) as wrong:
        db.run(lambda s: service.staff_login(s, shop.owner_email, PASSWORD + "x"))
    with pytest.raises(Unauthorized) as unknown:
        db.run(lambda s: service.staff_login(s, "nobody@example.com", PASSWORD))
    assert wrong.value.detail == unknown.value.detail


def test_staff_email_is_unique_across_merchants(db: Database) -> None:
    make_merchant(db, name="First", email="same@example.com")
    with pytest.raises(Conflict):
        make_merchant(db, name="Second", email="SAME@example.com")
    with db.session(write=False) as s:
        assert len(service.list_merchants(s)) == 1  # the whole creation rolled back


def test_store_codes_are_unique_per_merchant(db: Database) -> None:
    a, b = make_merchant(db, name="A"), make_merchant(db, name="B")
    db.run(lambda s: service.create_store(s, a.ctx, StoreCreate(code="north", name="North")))
    with pytest.raises(Conflict):
        db.run(lambda s: service.create_store(s, a.ctx, StoreCreate(code="NORTH", name="Again")))
    db.run(lambda s: service.create_store(s, b.ctx, StoreCreate(code="NORTH", name="Theirs")))
    stored = [e.action for e in _rows(db, AuditEvent, a) if e.action == "store.created"]
    assert len(stored) == 2  # MAIN and NORTH; the refused one left nothing


def test_slug_is_unique(db: Database) -> None:
    data = MerchantCreate(**(VALID | {"slug": "lahore-mobiles"}))
    db.run(lambda s: service.create_merchant(s, data, "a@example.com", PASSWORD))
    with pytest.raises(Conflict):
        db.run(lambda s: service.create_merchant(s, data, "b@example.com", PASSWORD))
    with db.session(write=False) as s:
        assert service.merchant_by_slug(s, "lahore-mobiles").name == "Lahore Mobiles"
