from __future__ import annotations

import csv
import io
import re
import uuid

from fastapi.testclient import TestClient

from regulars.customers.imports import jobs as import_jobs
from regulars.db import Database
from tests.factories import make_merchant
from tests.web.conftest import csrf_of, sign_in

CSV = (
    "name,phone,email\n"
    "Daw Mya,09 7812 34567,mya@example.com\n"
    "Ko Zaw,not a phone,\n"
    "U Ba,+95 9 4200 00001,\n"
)


def test_upload_shows_progress_then_counts_and_report(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, lang="en")
    token = csrf_of(client, "/customers/import")
    r = client.post(
        "/customers/import",
        data={"csrf": token},
        files={"file": ("customers.csv", CSV.encode(), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    location = r.headers["location"]
    match = re.fullmatch(r"/customers/import/([0-9a-f-]{36})", location)
    assert match
    job_id = uuid.UUID(match.group(1))
    import_jobs.wait(job_id, timeout=30)

    status = client.get(f"{location}/status").json()
    assert status == {
        "status": "done",
        "total_rows": 3,
        "processed_rows": 3,
        "percent": 100,
        "imported": 2,
        "merged": 0,
        "rejected": 1,
        "failed": False,
    }
    page = client.get(location).text
    assert '<progress id="bar" max="100" value="100">' in page
    assert '<dd id="imported">2</dd>' in page and '<dd id="rejected">1</dd>' in page
    assert f'href="{location}/report.csv"' in page
    report = client.get(f"{location}/report.csv")
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(row["row"], row["outcome"]) for row in rows] == [
        ("1", "imported"),
        ("2", "rejected"),
        ("3", "imported"),
    ]
    assert "Daw Mya" in client.get("/customers").text


def test_unreadable_file_is_refused_on_the_form(client: TestClient, db: Database) -> None:
    shop = make_merchant(db)
    sign_in(client, shop, lang="en")
    token = csrf_of(client, "/customers/import")
    r = client.post(
        "/customers/import",
        data={"csrf": token},
        files={"file": ("customers.xlsx", b"PK\x03\x04binary", "application/octet-stream")},
    )
    assert r.status_code == 422
    assert "This file could not be read." in r.text


def test_another_merchants_import_job_is_a_404(client: TestClient, db: Database) -> None:
    mine, theirs = make_merchant(db, name="Mine"), make_merchant(db, name="Theirs")
    job_id = import_jobs.start_job(db, theirs.ctx, "theirs.csv", CSV.encode(), False)
    import_jobs.wait(job_id, timeout=30)
    sign_in(client, mine)
    assert client.get(f"/customers/import/{job_id}").status_code == 404
    assert client.get(f"/customers/import/{job_id}/report.csv").status_code == 404
