"""Coupon code generation: 100,000 single-use codes for one campaign on SQLite and PostgreSQL.

    .venv/bin/python bench/codes.py [--count 100000]

Makes a throw-away SQLite file and a throw-away PostgreSQL database (127.0.0.1:5432, user
postgres, or REGULARS_BENCH_POSTGRES; dropped afterwards), migrates them, creates a merchant and
a campaign, and times `offers.jobs.generate` (the CLI's and the API job's batches). Then checks
that the database holds `count` codes, all distinct, all of 13 symbols of the unambiguous
alphabet. Target: <= 5 s for 100,000 on each engine. Writes bench/results/codes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
RESULTS = HERE / "results" / "codes.json"
PG_ADMIN = os.environ.get(
    "REGULARS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_SECONDS = 5.0


def one(url: str, count: int) -> dict[str, object]:
    from sqlalchemy import func, select

    from regulars.db import Database
    from regulars.kit.context import SYSTEM, Ctx
    from regulars.merchants import service
    from regulars.merchants.schemas import MerchantCreate
    from regulars.migrate import upgrade
    from regulars.offers import codes, jobs
    from regulars.offers import service as offers
    from regulars.offers.models import CouponCode
    from regulars.offers.schemas import CampaignCreate

    upgrade(url)
    db = Database(url)
    data = MerchantCreate(
        name="Bench Bakery", country="MM", currency="MMK", timezone="Asia/Yangon", locale="my"
    )
    shop, _owner, _key = db.run(
        lambda s: service.create_merchant(s, data, f"o{uuid.uuid4().hex}@x.test", "pw-bench-1")
    )
    ctx = Ctx(shop, SYSTEM)
    made = CampaignCreate(name="Bench", kind="percent_off", value=10)
    campaign = db.run(lambda s: offers.create_campaign(s, ctx, made))
    started, cpu = time.perf_counter(), time.process_time()
    jobs.generate(db, ctx, campaign.id, count)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    q = select(func.count(), func.count(func.distinct(CouponCode.code))).where(
        CouponCode.campaign_id == campaign.id
    )
    total, distinct = db.run(lambda s: s.execute(q).one(), write=False)
    stored = db.run(
        lambda s: list(
            s.scalars(select(CouponCode.code).where(CouponCode.campaign_id == campaign.id))
        ),
        write=False,
    )
    alphabet = set(codes.ALPHABET)
    unambiguous = all(len(c) == codes.LENGTH and set(c) <= alphabet for c in stored)
    db.dispose()
    return {
        "count": total,
        "distinct": distinct,
        "unambiguous": unambiguous,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),  # this process's; a busy machine stretches `seconds`
        "load_average": round(os.getloadavg()[0], 1),
        "codes_per_second": round(total / seconds),
    }


def _pg_database() -> tuple[str, str]:
    name = f"regulars_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://")
    return name, f"{base}/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    results: dict[str, object] = {"target_seconds": TARGET_SECONDS}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = one(f"sqlite:///{tmp}/codes.db", args.count)
    name, url = _pg_database()
    try:
        results["postgresql"] = one(url, args.count)
    finally:
        _drop(name)
    print(json.dumps(results, indent=2))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for engine in ("sqlite", "postgresql"):
        got = results[engine]
        assert isinstance(got, dict)
        ok = got["count"] == got["distinct"] == args.count and got["unambiguous"]
        if not ok:
            sys.exit(f"{engine}: the codes are not {args.count} distinct unambiguous codes")


if __name__ == "__main__":
    main()
