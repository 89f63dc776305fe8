"""schemathesis over the OpenAPI document, in process: the API keeps the contract it publishes.

Each operation gets a bounded number of generated requests, authenticated as the owner of a shop
that already has customers (so ids and lookups sometimes hit real rows), on both databases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from regulars.app import create_app
from regulars.db import Database
from regulars.settings import Settings
from tests.factories import make_customer, make_merchant

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def owner_headers(db: Database) -> dict[str, str]:
    shop = make_merchant(db)
    make_customer(db, shop, name="ဒေါ်မြမြ", phone="09 7812 34567", email="mya@example.com")
    make_customer(db, shop, name="José Ramos", tags=["vip"], attributes={"plate": "YGN 2B-1"})
    return shop.headers


def _contract_app() -> FastAPI:
    """The document does not depend on a database; requests go to the per-leg `app` fixture.
    (schemathesis' lazy `from_fixture` loader does not run under this pytest version.)"""
    url = "sqlite://"  # never connected: only /openapi.json is read from this app
    return create_app(Settings(url, "unused", Path(".")), Database(url))


schema = schemathesis.openapi.from_asgi("/openapi.json", _contract_app())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_api_keeps_its_contract(
    case: schemathesis.Case, app: FastAPI, owner_headers: dict[str, str]
) -> None:
    case.call_and_validate(headers=owner_headers, checks=CHECKS, app=app)
