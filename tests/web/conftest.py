"""Helpers for page tests: a recording message channel, the CSRF token, a signed-in staff client."""

from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from regulars.db import Database
from regulars.merchants import service as merchants
from regulars.messaging.channels import MemoryChannel
from tests.factories import PASSWORD, Shop
from tests.messaging.helpers import DeliveringChannel

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with its production cost takes ~0.6 s per hash; pages under test sign in often.
    Still real argon2, only cheaper parameters (they travel inside each hash)."""
    monkeypatch.setattr(
        merchants, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def channel(app: FastAPI, db: Database) -> MemoryChannel:
    """What the shop's customers were sent: the outbox delivered (worker, once) when read."""
    return DeliveringChannel(db)


def csrf_of(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = _CSRF.search(page.text)
    assert match, f"no CSRF field on {path}"
    return match.group(1)


def sign_in(client: TestClient, shop: Shop, lang: str | None = None) -> None:
    token = csrf_of(client, "/login")
    if lang:
        client.post("/lang", data={"lang": lang, "next": "/login", "csrf": token})
    r = client.post(
        "/login",
        data={"email": shop.owner_email, "password": PASSWORD, "next": "/customers", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/customers"
