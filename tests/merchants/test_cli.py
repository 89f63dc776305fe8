"""`regulars merchant create` prints one JSON object whose key and login work at once."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from regulars.cli import app as cli
from regulars.db import Database
from regulars.merchants import service


@pytest.fixture
def cli_env(database_url: str, db: Database, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for the CLI; `db` wipes what the command wrote once the test ends."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level  # the CLI installs its own log handler
    yield {
        "REGULARS_DATABASE_URL": database_url,
        "REGULARS_SECRET_KEY": "test-secret",
        "REGULARS_VAR_DIR": str(tmp_path),
    }
    root.handlers[:], root.level = handlers, level


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["merchant", "create", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


ARGS = [
    "--name",
    "KL Kopi",
    "--currency",
    "MYR",
    "--timezone",
    "Asia/Kuala_Lumpur",
    "--locale",
    "ms",
    "--country",
    "MY",
]


def test_merchant_create_prints_one_json_object_that_works(
    cli_env: dict[str, str], db: Database, client: TestClient
) -> None:
    code, out, err = run(cli_env, *ARGS, "--owner-email", "owner@klkopi.example")
    assert code == 0, err
    printed = json.loads(out)  # the whole of stdout is one object
    assert set(printed) == {"merchant_id", "slug", "api_key", "staff_login"}
    assert printed["staff_login"]["email"] == "owner@klkopi.example"
    assert printed["staff_login"]["role"] == "owner"
    headers = {"Authorization": f"Bearer {printed['api_key']}"}
    merchant = client.get("/api/v1/merchant", headers=headers)
    assert merchant.status_code == 200
    assert merchant.json() | {"created_at": None} == {
        "id": printed["merchant_id"],
        "slug": printed["slug"],
        "name": "KL Kopi",
        "country": "MY",
        "currency": "MYR",
        "timezone": "Asia/Kuala_Lumpur",
        "locale": "ms",
        "created_at": None,
    }
    created = client.post("/api/v1/customers", json={"phone": "012-345 6789"}, headers=headers)
    assert created.json()["phone"] == "+60123456789"
    login = printed["staff_login"]
    ctx = db.run(lambda s: service.staff_login(s, login["email"], login["password"]))
    assert str(ctx.merchant_id) == printed["merchant_id"]


def test_the_printed_key_and_password_are_not_logged(cli_env: dict[str, str]) -> None:
    code, out, err = run(cli_env, *ARGS)
    assert code == 0, err
    printed = json.loads(out)
    assert printed["api_key"] not in err
    assert printed["staff_login"]["password"] not in err


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--country", "ZZ", "country"),
        ("--currency", "XYZ", "currency"),
        ("--timezone", "Mars/Olympus", "timezone"),
    ],
)
def test_bad_values_exit_2_naming_the_field_and_create_nothing(
    cli_env: dict[str, str], db: Database, flag: str, value: str, field: str
) -> None:
    args = list(ARGS)
    args[args.index(flag) + 1] = value
    code, out, err = run(cli_env, *args)
    assert code == 2
    assert out == ""
    assert err.startswith(f"{field}: ")
    with db.session(write=False) as s:
        assert service.list_merchants(s) == []
