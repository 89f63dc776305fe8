from __future__ import annotations

import csv
import io
import json
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from regulars.cli import app as cli_app
from regulars.customers import service as customers
from regulars.customers.imports import importer
from regulars.customers.imports import jobs as import_jobs
from regulars.customers.models import Consent, Customer, ImportJob
from regulars.db import Database
from regulars.kit import clock
from regulars.kit.pagination import page_request
from regulars.merchants.models import AuditEvent
from tests.factories import Shop, make_customer, make_merchant

HEADER = ["name", "phone", "email", "birthday", "locale", "tags", "consent_sms", "Vehicle"]
ZAWGYI, UNICODE = "ေမာင္ေမာင္", "မောင်မောင်"  # Maung Maung typed with a Zawgyi font
BAD_KINDS = {  # kind -> the field the reason must name
    "phone": "phone",
    "email": "email",
    "dup": "phone",
    "birthday": "birthday",
    "empty": "name",
    "locale": "locale",
}
WARNED_KINDS = ("birthday", "locale")  # optional fields: the row is imported without them


def national(i: int) -> str:
    return f"{9_780_000_000 + i * 7:010d}"  # valid Myanmar mobile numbers, one per row


def good_row(i: int) -> list[str]:
    n = national(i)
    phone = [f"0{n[:2]} {n[2:6]} {n[6:]}", f"+95{n}", f"0{n}"][i % 3]
    email = f"Cust{i}@Example.COM" if i % 4 == 0 else ""
    tags = "vip; cake" if i % 5 == 0 else ""
    return [f"Customer {i}", phone, email, "1990-02-03", "my", tags, "yes" if i % 2 else "", "Vios"]


def bad_rows(rows: int) -> dict[int, str]:
    """Every 20th row is bad (5%), cycling through the kinds."""
    kinds = list(BAD_KINDS)
    return {i: kinds[(i // 20) % len(kinds)] for i in range(20, rows + 1, 20)}


def make_csv(path: Path, rows: int) -> dict[int, str]:
    bad = bad_rows(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(1, rows + 1):
            row = good_row(i)
            if i == 7:
                row[0] = ZAWGYI
            kind = bad.get(i)
            if kind == "phone":
                row[1] = "12345"
            elif kind == "email":
                row[2] = "not-an-email"
            elif kind == "dup":
                row[1] = f"+95{national(i - 1)}"
            elif kind == "birthday":
                row[3] = "1990-02-30"
            elif kind == "empty":
                row[0] = row[1] = row[2] = ""
            elif kind == "locale":
                row[4] = "fr"
            out.writerow(row)
    return bad


def read_report(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def all_customers(db: Database, shop: Shop) -> list[Customer]:
    q = select(Customer).where(Customer.merchant_id == shop.id).order_by(Customer.created_at)
    return list(db.run(lambda s: s.scalars(q).all(), write=False))


def count(db: Database, model: Any, shop: Shop) -> int:
    q = select(func.count()).select_from(model).where(model.merchant_id == shop.id)
    return int(db.run(lambda s: s.scalar(q), write=False) or 0)


def import_text(db: Database, shop: Shop, tmp_path: Path, text: str, merge: bool = False):  # type: ignore[no-untyped-def]
    path = tmp_path / f"in-{uuid.uuid4().hex}.csv"
    path.write_text(text, encoding="utf-8")
    report = tmp_path / "report.csv"
    summary = importer.import_file_cli(db, shop.ctx, path, merge=merge, report_path=report)
    return summary, read_report(report.read_text(encoding="utf-8"))


@pytest.mark.slow
def test_10k_rows_with_5_percent_bad_rows(db: Database, tmp_path: Path) -> None:
    shop = make_merchant(db)
    path = tmp_path / "customers.csv"
    bad = make_csv(path, 10_000)
    assert len(bad) == 500
    report_path = tmp_path / "report.csv"

    summary = importer.import_file_cli(db, shop.ctx, path, merge=False, report_path=report_path)

    assert (summary["status"], summary["total_rows"], summary["processed_rows"]) == (
        "done",
        10_000,
        10_000,
    )
    warned_rows = {row for row, kind in bad.items() if kind in WARNED_KINDS}
    assert len(warned_rows) == 166
    assert (summary["imported"], summary["merged"], summary["rejected"]) == (9_666, 0, 334)
    report = read_report(report_path.read_text(encoding="utf-8"))
    assert [int(r["row"]) for r in report] == list(range(1, 10_001))
    rejected = {int(r["row"]): r["reason"] for r in report if r["outcome"] == "rejected"}
    warned = {
        int(r["row"]): r["reason"] for r in report if r["outcome"] == "imported" and r["reason"]
    }
    assert set(rejected) == set(bad) - warned_rows
    assert set(warned) == warned_rows
    for row, kind in bad.items():
        reason = warned[row] if row in warned_rows else rejected[row]
        assert reason.split(":")[0] == BAD_KINDS[kind], (row, reason)
    assert rejected[40] == "phone: duplicate phone in file (row 39)"  # 40 // 20 % 6 == 2: dup
    assert rejected[80] == "name: needs a name, phone or email"
    assert warned[60] == (  # a Burmese shop writes dates day first
        "birthday: is not a date in YYYY-MM-DD or like 14/05/1991 form (left out)"
    )
    assert warned[100] == "locale: must be one of en, my, ur, lo, ms (left out)"
    assert {r["outcome"] for r in report if int(r["row"]) not in bad} == {"imported"}

    stored = all_customers(db, shop)
    assert len(stored) == 9_666
    by_id = {str(c.id): c for c in stored}
    ids = {int(r["row"]): r["customer_id"] for r in report if r["outcome"] == "imported"}
    assert set(ids.values()) == set(by_id)
    first = by_id[ids[1]]
    assert (first.name, first.phone, first.email, first.birthday, first.locale) == (
        "Customer 1",
        f"+95{national(1)}",
        None,
        date(1990, 2, 3),
        "my",
    )
    assert first.attributes == {"Vehicle": "Vios"}
    assert first.source == "import"
    assert len(first.member_code) == 8
    zawgyi = by_id[ids[7]]
    assert (zawgyi.name, zawgyi.name_search) == (UNICODE, UNICODE)
    row_8 = by_id[ids[8]]
    assert (row_8.email, row_8.phone) == ("cust8@example.com", f"+95{national(8)}")
    assert by_id[ids[5]].tags == ["vip", "cake"]
    # Nothing from a rejected row: a bad-email row's good phone was not written; a row with a bad
    # optional field is there without that field.
    phones = {c.phone: c for c in stored}
    for row, kind in bad.items():
        if kind == "email":
            assert f"+95{national(row)}" not in phones
        elif kind in WARNED_KINDS:
            kept = phones[f"+95{national(row)}"]
            assert (kept.birthday, kept.locale) == (
                (None, "my") if kind == "birthday" else (date(1990, 2, 3), None)
            )
    consents = db.run(
        lambda s: s.scalars(select(Consent).where(Consent.merchant_id == shop.id)).all(),
        write=False,
    )
    good_odd = sum(1 for i in range(1, 10_001, 2) if i not in bad)
    assert len(consents) == good_odd
    assert {(c.channel, c.granted, c.source) for c in consents} == {("sms", True, "import")}
    audits = db.run(
        lambda s: s.scalars(
            select(AuditEvent).where(
                AuditEvent.merchant_id == shop.id, AuditEvent.action == "customers.imported"
            )
        ).all(),
        write=False,
    )
    assert len(audits) == 1
    assert audits[0].changes["imported"] == 9_666
    assert audits[0].changes["rejected"] == 334


def test_imported_customer_is_found_like_one_made_by_the_api(db: Database, tmp_path: Path) -> None:
    shop = make_merchant(db)
    summary, report = import_text(db, shop, tmp_path, f"name,phone\n{ZAWGYI},09 7812 34567\n")
    assert summary["imported"] == 1
    found = db.run(lambda s: customers.lookup(s, shop.ctx, phone="+95 9 7812 34567"))
    assert str(found.id) == report[0]["customer_id"]
    page = db.run(lambda s: customers.list_customers(s, shop.ctx, page_request(10, None), q="ေမာင္"))
    assert [c.id for c in page.data] == [found.id]


def test_header_in_any_case_and_order_with_bom_tags_and_consents(
    db: Database, tmp_path: Path
) -> None:
    shop = make_merchant(db)
    text = (
        "\ufeffCONSENT_EMAIL,Tags,EMAIL,Name,consent_sms,Anniversary,Locale,Plate\n"
        "TRUE,vip | regular;vip,A@Example.com,Aye,0,2015-06-01,UR,YGN 2B-1234\n"
    )
    summary, _report = import_text(db, shop, tmp_path, text)
    assert (summary["imported"], summary["rejected"]) == (1, 0)
    (c,) = all_customers(db, shop)
    assert (c.name, c.email, c.tags, c.locale, c.anniversary, c.attributes) == (
        "Aye",
        "a@example.com",
        ["vip", "regular"],
        "ur",
        date(2015, 6, 1),
        {"Plate": "YGN 2B-1234"},
    )
    full = db.run(lambda s: customers.get_customer(s, shop.ctx, c.id), write=False)
    assert {k: v.granted for k, v in full.consent.items()} == {"email": True, "sms": False}


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("Aye,,,2024-13-01,,", "birthday: is not a date in YYYY-MM-DD or like 14/05/1991 form"),
        ("Aye,,,24-01-01,,", "birthday: is not a date in YYYY-MM-DD or like 14/05/1991 form"),
        ("Aye,,,05/14/1991,,", "birthday: is not a date in YYYY-MM-DD or like 14/05/1991 form"),
        ("Aye,,,1850-01-01,,", "birthday: must be between 1900-01-01 and 2100-01-01"),
        ("Aye,,,,fr,", "locale: must be one of en, my, ur, lo, ms"),
        ("Aye,,,,,maybe", "consent_sms: must be yes or no (or true/false, 1/0), or empty"),
    ],
)
def test_a_bad_optional_field_is_left_out_with_a_warning(
    db: Database, tmp_path: Path, cells: str, reason: str
) -> None:
    shop = make_merchant(db)  # Burmese: dates are written day first
    summary, report = import_text(
        db, shop, tmp_path, f"name,phone,email,birthday,locale,consent_sms\n{cells}\n"
    )
    assert (summary["imported"], summary["rejected"]) == (1, 0)
    (customer,) = all_customers(db, shop)
    assert report == [
        {
            "row": "1",
            "outcome": "imported",
            "customer_id": str(customer.id),
            "reason": f"{reason} (left out)",
        }
    ]
    assert (customer.name, customer.birthday, customer.locale) == ("Aye", None, None)
    assert count(db, Consent, shop) == 0


@pytest.mark.parametrize(
    ("shop_locale", "country", "typed", "stored"),
    [
        ("my", "MM", "14/05/1991", date(1991, 5, 14)),
        ("ur", "PK", "4.5.1991", date(1991, 5, 4)),
        ("ms", "MY", "14-05-1991", date(1991, 5, 14)),
        ("en", "PK", "04/05/1991", date(1991, 5, 4)),
        ("en", "US", "05/14/1991", date(1991, 5, 14)),
        ("lo", "LA", "1991/05/14", date(1991, 5, 14)),
        ("en", "US", "1991-05-14", date(1991, 5, 14)),
    ],
)
def test_dates_are_read_in_the_order_the_shops_locale_writes_them(
    db: Database, tmp_path: Path, shop_locale: str, country: str, typed: str, stored: date
) -> None:
    currency = {"MM": "MMK", "PK": "PKR", "MY": "MYR", "US": "USD", "LA": "LAK"}[country]
    shop = make_merchant(db, country=country, currency=currency, locale=shop_locale)
    summary, report = import_text(db, shop, tmp_path, f"name,birthday\nAye,{typed}\n")
    assert (summary["imported"], report[0]["reason"]) == (1, "")
    assert [c.birthday for c in all_customers(db, shop)] == [stored]


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (",,,,,", "name: needs a name, phone or email"),
        ("Aye,+95 1,,,,", "phone: is not a phone number"),
        ("Aye,09 1234,,,,", "phone: is not a valid phone number for its country"),
        ("Aye,,,,,,extra", "row: has 7 fields but the header has 6"),
    ],
)
def test_a_bad_row_is_rejected_naming_the_field_and_writes_nothing(
    db: Database, tmp_path: Path, cells: str, reason: str
) -> None:
    shop = make_merchant(db)
    summary, report = import_text(
        db, shop, tmp_path, f"name,phone,email,birthday,locale,consent_sms\n{cells}\n"
    )
    assert (summary["imported"], summary["rejected"]) == (0, 1)
    assert report == [{"row": "1", "outcome": "rejected", "customer_id": "", "reason": reason}]
    assert count(db, Customer, shop) == 0
    assert count(db, Consent, shop) == 0


def test_bad_email_reason_names_email(db: Database, tmp_path: Path) -> None:
    shop = make_merchant(db)
    _summary, report = import_text(db, shop, tmp_path, "email\nnobody@\n")
    assert report[0]["reason"].startswith("email: ")
    assert count(db, Customer, shop) == 0


def test_existing_phone_is_rejected_without_merge_and_nothing_changes(
    db: Database, tmp_path: Path
) -> None:
    shop = make_merchant(db)
    old = make_customer(db, shop, name="Old Name", phone="09 7812 34567")
    summary, report = import_text(
        db, shop, tmp_path, "name,phone,email\nNew Name,+959781234567,new@example.com\n"
    )
    assert (summary["imported"], summary["merged"], summary["rejected"]) == (0, 0, 1)
    assert report[0]["reason"] == "phone: already belongs to a customer"
    (c,) = all_customers(db, shop)
    assert (c.id, c.name, c.email) == (old.id, "Old Name", None)


def test_merge_overwrites_given_fields_and_keeps_the_rest(db: Database, tmp_path: Path) -> None:
    shop = make_merchant(db)
    old = make_customer(
        db,
        shop,
        name="Old Name",
        phone="09 7812 34567",
        birthday="1980-01-01",
        tags=["old"],
        attributes={"plate": "A", "colour": "red"},
        consent={"sms": False},
    )
    text = (
        "name,phone,email,birthday,tags,plate,consent_sms,consent_email\n"
        "New Name,09 7812 34567,New@Example.com,,vip,B,yes,no\n"
        "Fresh,09 7812 34568,,,,,,\n"
    )
    summary, report = import_text(db, shop, tmp_path, text, merge=True)
    assert (summary["imported"], summary["merged"], summary["rejected"]) == (1, 1, 0)
    assert report[0]["outcome"] == "merged"
    assert report[0]["customer_id"] == str(old.id)
    c = db.run(lambda s: customers.get_customer(s, shop.ctx, old.id), write=False)
    assert (c.name, c.name_search, c.email, c.birthday, c.tags, c.attributes) == (
        "New Name",
        "new name",
        "new@example.com",
        date(1980, 1, 1),
        ["vip"],
        {"plate": "B", "colour": "red"},
    )
    assert c.member_code == old.member_code
    assert {k: v.granted for k, v in c.consent.items()} == {"sms": True, "email": False}
    assert c.consent["sms"].source == "import"
    assert count(db, Customer, shop) == 2


def test_merge_rejects_a_row_whose_phone_and_email_are_two_customers(
    db: Database, tmp_path: Path
) -> None:
    shop = make_merchant(db)
    make_customer(db, shop, name="A", phone="09 7812 34567")
    make_customer(db, shop, name="B", email="b@example.com")
    summary, report = import_text(
        db, shop, tmp_path, "name,phone,email\nC,09 7812 34567,b@example.com\n", merge=True
    )
    assert summary["rejected"] == 1
    assert report[0]["reason"] == "email: belongs to another customer than the phone"
    assert sorted(c.name or "" for c in all_customers(db, shop)) == ["A", "B"]


def test_rerun_with_merge_after_a_partial_import_completes_it(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash loses at most the batch in flight; the same file again with merge finishes."""
    shop = make_merchant(db)
    monkeypatch.setattr(importer, "BATCH_ROWS", 10)
    rows = "\n".join(f"C{i},+95{national(i)}" for i in range(1, 26))
    real_apply = importer.apply_batch
    calls = {"n": 0}

    def crash_on_third(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(importer, "apply_batch", crash_on_third)
    first, _report = import_text(db, shop, tmp_path, f"name,phone\n{rows}\n")
    assert (first["status"], first["imported"]) == ("failed", 20)
    assert "stopped after row 20" in first["error"]
    assert count(db, Customer, shop) == 20

    monkeypatch.setattr(importer, "apply_batch", real_apply)
    again, report = import_text(db, shop, tmp_path, f"name,phone\n{rows}\n", merge=True)
    assert (again["status"], again["merged"], again["imported"]) == ("done", 20, 5)
    assert count(db, Customer, shop) == 25
    assert len(report) == 25


def test_file_without_an_identity_column_fails_and_writes_nothing(
    db: Database, tmp_path: Path
) -> None:
    shop = make_merchant(db)
    path = tmp_path / "x.csv"
    path.write_text("vehicle,plate\nHilux,A\n", encoding="utf-8")
    summary = importer.import_file_cli(db, shop.ctx, path, merge=False, report_path=None)
    assert summary["status"] == "failed"
    assert summary["error"] == "file: needs a header row with a name, phone or email column"
    assert count(db, Customer, shop) == 0


# --- the API ---------------------------------------------------------------------------------


def upload(client: TestClient, headers: dict[str, str], body: bytes, merge: bool = False):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/customer-imports",
        files={"file": ("customers.csv", body, "text/csv")},
        data={"merge": "true" if merge else "false"},
        headers=headers,
    )


def wait_done(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    for _ in range(400):
        job = client.get(f"/api/v1/customer-imports/{job_id}", headers=headers)
        assert job.status_code == 200, job.text
        if job.json()["status"] != "running":
            return dict(job.json())
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_api_upload_polls_to_done_and_serves_the_report(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    body = "name,phone\nAye,09 7812 34567\nBad,12\n".encode("utf-8-sig")
    r = upload(client, shop.headers, body)
    assert r.status_code == 202, r.text
    assert (r.json()["total_rows"], r.json()["filename"]) == (2, "customers.csv")
    job = wait_done(client, shop.headers, r.json()["id"])
    assert (job["status"], job["processed_rows"], job["imported"], job["rejected"]) == (
        "done",
        2,
        1,
        1,
    )
    report = client.get(f"/api/v1/customer-imports/{job['id']}/report.csv", headers=shop.headers)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/csv")
    rows = read_report(report.text)
    assert [(r["row"], r["outcome"]) for r in rows] == [("1", "imported"), ("2", "rejected")]
    assert rows[1]["reason"] == "phone: is not a valid phone number for its country"
    assert import_jobs.get_job(db, shop.ctx, uuid.UUID(job["id"])).imported == 1


def _running_job(db: Database, shop: Shop, moved_ago: timedelta) -> uuid.UUID:
    """A job as a server leaves it when it stops mid-import: running, 1,000 rows counted."""
    moved = clock.now() - moved_ago
    job = ImportJob(
        merchant_id=shop.id, filename="big.csv", status="running", total_rows=5000,
        processed_rows=1000, imported=990, rejected=10, created_at=moved, updated_at=moved,
    )  # fmt: skip

    def add(s: Any) -> uuid.UUID:
        s.add(job)
        s.flush()
        return job.id

    return db.run(add)


def test_a_job_cut_off_by_a_stopped_server_is_closed_as_failed(
    client: TestClient, db: Database
) -> None:
    shop = make_merchant(db)
    job_id = _running_job(db, shop, import_jobs.STALE_AFTER + timedelta(minutes=1))

    r = client.get(f"/api/v1/customer-imports/{job_id}", headers=shop.headers)

    assert r.status_code == 200, r.text
    job = r.json()
    assert (job["status"], job["processed_rows"], job["imported"]) == ("failed", 1000, 990)
    assert job["error"].startswith("stopped after row 1000: the server stopped")
    assert job["finished_at"] is not None
    report = client.get(f"/api/v1/customer-imports/{job_id}/report.csv", headers=shop.headers)
    assert (report.status_code, report.text) == (200, "row,outcome,customer_id,reason\r\n")
    assert [(a["status"], a["processed_rows"]) for a in import_audits(db, shop)] == [
        ("failed", 1000)
    ]
    again = client.get(f"/api/v1/customer-imports/{job_id}", headers=shop.headers).json()
    assert again == job  # closed once: nothing changed, no second audit event
    assert len(import_audits(db, shop)) == 1


def import_audits(db: Database, shop: Shop) -> list[dict[str, Any]]:
    q = select(AuditEvent.changes).where(
        AuditEvent.merchant_id == shop.id, AuditEvent.action == "customers.imported"
    )
    return list(db.run(lambda s: s.scalars(q).all(), write=False))


def test_a_job_that_moved_recently_is_still_running(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    job_id = _running_job(db, shop, import_jobs.STALE_AFTER - timedelta(minutes=1))

    job = client.get(f"/api/v1/customer-imports/{job_id}", headers=shop.headers).json()
    report = client.get(f"/api/v1/customer-imports/{job_id}/report.csv", headers=shop.headers)

    assert (job["status"], job["error"], job["finished_at"]) == ("running", None, None)
    assert report.status_code == 409


def test_api_import_needs_manager_role(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    r = upload(client, shop.key_for(db, "cashier"), b"name\nAye\n")
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert count(db, ImportJob, shop) == 0
    assert upload(client, shop.key_for(db, "manager"), b"name\nAye\n").status_code == 202
    wait_done(client, shop.headers, str(db.run(lambda s: s.scalar(select(ImportJob.id)))))


def test_another_merchants_import_is_404(client: TestClient, db: Database) -> None:
    a, b = make_merchant(db, name="A Shop"), make_merchant(db, name="B Shop")
    r = upload(client, b.headers, b"name\nSecret Person\n")
    job = wait_done(client, b.headers, r.json()["id"])
    for path in (f"/customer-imports/{job['id']}", f"/customer-imports/{job['id']}/report.csv"):
        other = client.get(f"/api/v1{path}", headers=a.headers)
        assert other.status_code == 404
        assert "Secret" not in other.text
    with pytest.raises(Exception) as exc:
        import_jobs.get_job(db, a.ctx, uuid.UUID(job["id"]))
    assert getattr(exc.value, "status", None) == 404


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("customers.csv", b""),
        ("customers.csv", b"\xff\xfe\x00n\x00a"),
        ("customers.xlsx", b"PK\x03\x04"),
        ("customers.csv", b"vehicle\nHilux\n"),
    ],
)
def test_api_rejects_an_unusable_file_with_422_naming_file(
    client: TestClient, db: Database, name: str, body: bytes
) -> None:
    shop = make_merchant(db)
    r = client.post(
        "/api/v1/customer-imports", files={"file": (name, body, "text/csv")}, headers=shop.headers
    )
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "file"
    assert count(db, ImportJob, shop) == 0


def test_api_upload_over_the_cap_is_413(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_merchant(db)
    monkeypatch.setattr(import_jobs, "MAX_UPLOAD_BYTES", 64)
    r = upload(client, shop.headers, b"name\n" + b"Aye Aye Aye\n" * 10)
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert count(db, ImportJob, shop) == 0


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_imports_and_prints_a_json_summary(
    db: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = make_merchant(db)
    path = tmp_path / "c.csv"
    path.write_text("name,phone\nAye,09 7812 34567\nBad,12\n", encoding="utf-8")
    monkeypatch.setenv("REGULARS_DATABASE_URL", database_url)
    monkeypatch.setenv("REGULARS_VAR_DIR", str(tmp_path))
    report = tmp_path / "report.csv"
    result = CliRunner().invoke(
        cli_app,
        ["import", "customers", str(path), "--merchant", shop.ctx.merchant.slug,
         "--report", str(report)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["status"], summary["imported"], summary["rejected"]) == ("done", 1, 1)
    assert summary["report"] == str(report)
    assert [r["outcome"] for r in read_report(report.read_text())] == ["imported", "rejected"]
    assert count(db, Customer, shop) == 1
