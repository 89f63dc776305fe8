"""RFM and KPI speed on generated sales, against DuckDB computing the same in the same run.

    .venv/bin/python bench/analytics.py [--customers 100000] [--sales 1000000] [--repeat 3]

Generates customers and sales (10% anonymous; a skewed spread so some customers buy often and
most rarely; two years of dates; totals in MMK) into one CSV, loads it into a migrated SQLite
database (raw executemany, index built after the load) and into DuckDB (read_csv, the same ids as
32-hex text and the same timestamps). Then, each in a child process of its own so that its peak
RSS is its own:
  sqlite-rfm   analytics.rfm.refresh: scores and segments of every customer into analytics_rfm
  duckdb-rfm   the same SQL (group by customer, rank windows, segment CASE) into a table
  sqlite-kpis  analytics.kpis.kpis: the last 30 days and the 30 before (all of the dashboard's
               KPI queries but the points ones, which have no rows here)
  duckdb-kpis  the same sales-split and per-member queries for both periods
The segment counts and the KPI figures of the two engines must agree (checked). Target (shared
BENCHMARKS.md): RFM <= 2 x DuckDB. Writes bench/results/analytics.json.
Needs the `bench` extra (duckdb): pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "analytics.json"
NOW = datetime(2026, 6, 30, 6, 0, tzinfo=UTC)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SPAN_US = 730 * 86_400 * 1_000_000
GRID = {
    5: ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    4: ("new", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),
    3: ("hibernating", "hibernating", "potential_loyalists", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
}


def cid(i: int) -> str:
    return uuid.UUID(int=i + 1).hex


def generate(path: Path, customers: int, sales: int, seed: int = 15) -> None:
    """customer index (empty: anonymous), created_at in microseconds since 1970, total."""
    rng = random.Random(seed)
    start = int((NOW - EPOCH).total_seconds() * 1_000_000) - SPAN_US
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        for _ in range(sales):
            u = rng.random()
            who = "" if u < 0.1 else str(int(customers * rng.random() ** 2))
            w.writerow((who, start + rng.randrange(SPAN_US), rng.randrange(10, 500) * 100))


def _stamp(us: int) -> str:
    """SQLAlchemy's SQLite DATETIME text for a UTC time."""
    return (EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(url: str, path: Path, customers: int) -> dict[str, str]:
    from regulars.db import Database
    from regulars.merchants import service as merchants
    from regulars.merchants.schemas import MerchantCreate
    from regulars.migrate import upgrade

    upgrade(url)
    db = Database(url)
    data = MerchantCreate(
        name="Bench Bakery", country="MM", currency="MMK", timezone="Asia/Yangon", locale="my"
    )
    info, _owner, _key = db.run(
        lambda s: merchants.create_merchant(s, data, "bench@example.com", "bench password 1")
    )
    db.dispose()
    mid = info.id.hex
    con = sqlite3.connect(url.removeprefix("sqlite:///"))
    store = con.execute("SELECT id FROM stores WHERE merchant_id = ?", (mid,)).fetchone()[0]
    con.execute("PRAGMA synchronous=OFF")
    index = "ix_purchases_merchant_id_customer_id_created_at_total_refunded_total"
    con.execute(f"DROP INDEX {index}")
    made = _stamp(0)
    con.executemany(
        "INSERT INTO customers (member_code, name_search, tags, attributes, source, created_at,"
        " updated_at, merchant_id, id) VALUES (?, '', '[]', '{}', 'import', ?, ?, ?, ?)",
        ((f"B{i:010d}", made, made, mid, cid(i)) for i in range(customers)),
    )
    with path.open() as f:
        rows = (
            (store, str(n), cid(int(who)) if who else None, int(total), int(total),
             _stamp(int(at)), mid, uuid.UUID(int=n + 1).hex)
            for n, (who, at, total) in enumerate(csv.reader(f))
        )  # fmt: skip
        con.executemany(
            "INSERT INTO purchases (store_id, receipt_id, customer_id, request_hash,"
            " program_version, currency, subtotal, discount_total, points_redeemed, points_value,"
            " total, points_earned, refunded_total, result, created_at, merchant_id, id)"
            " VALUES (?, ?, ?, '', 1, 'MMK', ?, 0, 0, 0, ?, 0, 0, '{}', ?, ?, ?)",
            rows,
        )
    con.execute(
        f"CREATE INDEX {index}"
        " ON purchases (merchant_id, customer_id, created_at, total, refunded_total)"
    )
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return {"merchant_id": mid}


# --- the timed steps, each in a child process -----------------------------------------------


def _ctx(db: Any, merchant_id: str) -> Any:
    from regulars.kit.context import SYSTEM, Ctx
    from regulars.merchants import service as merchants

    for m in db.run(merchants.list_merchants, write=False):
        if m.id.hex == merchant_id:
            return Ctx(m, SYSTEM)
    raise SystemExit("merchant not found")


def sqlite_rfm(url: str, merchant_id: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from regulars.analytics import rfm
    from regulars.analytics.models import RfmScore
    from regulars.db import Database

    db = Database(url)
    ctx = _ctx(db, merchant_id)
    t0 = time.perf_counter()
    scored = db.run(lambda s: rfm.refresh(s, ctx))
    seconds = time.perf_counter() - t0
    q = select(RfmScore.segment, func.count()).group_by(RfmScore.segment)
    counts = dict(db.run(lambda s: [tuple(r) for r in s.execute(q)], write=False))
    return {"seconds": seconds, "customers": scored, "segments": counts}


def sqlite_kpis(url: str, merchant_id: str) -> dict[str, Any]:
    from regulars.analytics import kpis, periods
    from regulars.db import Database
    from regulars.kit import clock

    db = Database(url)
    ctx = _ctx(db, merchant_id)
    with clock.frozen(NOW):
        period = periods.last_days(30, ctx.merchant.timezone)
        t0 = time.perf_counter()
        report = db.run(lambda s: kpis.kpis(s, ctx, period, kpis.Thresholds()), write=False)
        seconds = time.perf_counter() - t0
    keys = ("sales", "revenue", "active_members", "new_customers", "returning_customers",
            "repeat_customers", "buyers", "at_risk", "churned")  # fmt: skip
    figures = {p: {k: report[p][k] for k in keys} for p in ("current", "previous")}
    return {
        "seconds": seconds,
        "figures": figures,
        "bounds": [str(b) for b in period.bounds(ctx.merchant.timezone)],
    }


def _duck(csv_path: str) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute(
        "CREATE TABLE purchases AS SELECT"
        " CASE WHEN who IS NULL THEN NULL ELSE lpad(printf('%x', who + 1), 32, '0') END"
        " AS customer_id, make_timestamp(at_us) AS created_at, total, 0::BIGINT AS refunded_total"
        f" FROM read_csv('{csv_path}', header=false, columns={{'who': 'BIGINT', 'at_us': 'BIGINT',"
        " 'total': 'BIGINT'})"
    )
    return con


def _segment_sql() -> str:
    whens = " ".join(
        f"WHEN r = {r} AND f = {f} THEN '{GRID[r][f - 1]}'" for r in GRID for f in range(1, 6)
    )
    return f"CASE {whens} ELSE 'lost' END"


DUCK_RFM = """
CREATE OR REPLACE TABLE rfm AS
WITH per AS (
  SELECT customer_id, max(created_at) AS last_at, count(*) AS n,
         sum(total - refunded_total) AS money
  FROM purchases WHERE customer_id IS NOT NULL GROUP BY customer_id),
scored AS (
  SELECT *, 1 + (5 * (rank() OVER (ORDER BY last_at) - 1)) // count(*) OVER () AS r,
         1 + (5 * (rank() OVER (ORDER BY n) - 1)) // count(*) OVER () AS f,
         1 + (5 * (rank() OVER (ORDER BY money) - 1)) // count(*) OVER () AS m
  FROM per)
SELECT customer_id, last_at, n, money, r, f, m, {segment} AS segment FROM scored
"""


def duckdb_rfm(csv_path: str) -> dict[str, Any]:
    con = _duck(csv_path)
    t0 = time.perf_counter()
    con.execute(DUCK_RFM.format(segment=_segment_sql()))
    seconds = time.perf_counter() - t0
    counts = dict(con.execute("SELECT segment, count(*) FROM rfm GROUP BY segment").fetchall())
    scored = con.execute("SELECT count(*) FROM rfm").fetchone()[0]
    return {"seconds": seconds, "customers": scored, "segments": counts}


DUCK_MEMBERS = """
WITH per AS (
  SELECT min(created_at) AS first_at, max(created_at) AS last_at, count(*) AS n,
         sum(CASE WHEN created_at >= $s THEN 1 ELSE 0 END) AS n_in,
         sum(CASE WHEN created_at >= $s THEN total - refunded_total ELSE 0 END) AS rev_in
  FROM purchases WHERE customer_id IS NOT NULL AND created_at < $e GROUP BY customer_id)
SELECT count(*) FILTER (WHERE n_in > 0), count(*) FILTER (WHERE n_in > 0 AND first_at >= $s),
       count(*) FILTER (WHERE n_in > 0 AND first_at < $s),
       count(*) FILTER (WHERE n_in > 0 AND n >= 2), count(*),
       count(*) FILTER (WHERE last_at < $risk AND last_at >= $churn),
       count(*) FILTER (WHERE last_at < $churn),
       sum(CASE WHEN n_in > 0 AND first_at >= $s THEN rev_in ELSE 0 END),
       sum(CASE WHEN n_in > 0 AND first_at < $s THEN rev_in ELSE 0 END)
FROM per
"""
DUCK_SPLIT = """
SELECT customer_id IS NOT NULL, count(*), sum(total - refunded_total) FROM purchases
WHERE created_at >= $s AND created_at < $e GROUP BY 1
"""


def duckdb_kpis(csv_path: str, bounds: list[str]) -> dict[str, Any]:
    con = _duck(csv_path)
    end = datetime.fromisoformat(bounds[1]).replace(tzinfo=None)
    start = datetime.fromisoformat(bounds[0]).replace(tzinfo=None)
    periods = {"current": (start, end), "previous": (start - (end - start), start)}
    t0 = time.perf_counter()
    out = {}
    for name, (s, e) in periods.items():
        p = {"s": s, "e": e, "risk": e - timedelta(days=60), "churn": e - timedelta(days=180)}
        split = {m: (n, r) for m, n, r in con.execute(DUCK_SPLIT, {"s": s, "e": e}).fetchall()}
        row = con.execute(DUCK_MEMBERS, p).fetchone()
        sales = sum(v[0] for v in split.values())
        revenue = sum(int(v[1]) for v in split.values())
        out[name] = {"sales": sales, "revenue": revenue, "active_members": row[0],
                     "new_customers": row[1], "returning_customers": row[2],
                     "repeat_customers": row[3], "buyers": row[4], "at_risk": row[5],
                     "churned": row[6]}  # fmt: skip
    return {"seconds": time.perf_counter() - t0, "figures": out}


def _peak_rss_mb() -> float:
    """VmHWM: the process's own peak (ru_maxrss would carry the forking parent's over exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _child(args: argparse.Namespace) -> None:
    step = args.step
    if step == "sqlite-rfm":
        result = sqlite_rfm(args.url, args.merchant)
    elif step == "sqlite-kpis":
        result = sqlite_kpis(args.url, args.merchant)
    elif step == "duckdb-rfm":
        result = duckdb_rfm(args.csv)
    else:
        result = duckdb_kpis(args.csv, json.loads(args.bounds))
    result["peak_rss_mb"] = _peak_rss_mb()
    print(json.dumps(result, default=str))


def _run(step: str, **kw: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--step", step]
    for k, v in kw.items():
        cmd += [f"--{k}", v]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    out = done.stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--step")
    parser.add_argument("--url")
    parser.add_argument("--merchant")
    parser.add_argument("--csv")
    parser.add_argument("--bounds")
    args = parser.parse_args()
    if args.step:
        _child(args)
        return
    with tempfile.TemporaryDirectory(prefix="regulars-analytics-") as tmp:
        csv_path = Path(tmp) / "sales.csv"
        url = f"sqlite:///{tmp}/bench.db"
        t0 = time.perf_counter()
        generate(csv_path, args.customers, args.sales)
        t1 = time.perf_counter()
        ids = load_sqlite(url, csv_path, args.customers)
        t2 = time.perf_counter()
        print(
            f"generated {args.sales:,} sales in {t1 - t0:.1f} s, loaded SQLite in {t2 - t1:.1f} s"
        )
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in
            ("sqlite-rfm", "duckdb-rfm", "sqlite-kpis", "duckdb-kpis")}  # fmt: skip
        for _ in range(args.repeat):
            runs["sqlite-rfm"].append(_run("sqlite-rfm", url=url, merchant=ids["merchant_id"]))
            runs["duckdb-rfm"].append(_run("duckdb-rfm", csv=str(csv_path)))
            runs["sqlite-kpis"].append(_run("sqlite-kpis", url=url, merchant=ids["merchant_id"]))
            bounds = json.dumps(runs["sqlite-kpis"][-1]["bounds"])
            runs["duckdb-kpis"].append(_run("duckdb-kpis", csv=str(csv_path), bounds=bounds))
    last = {k: v[-1] for k, v in runs.items()}
    assert last["sqlite-rfm"]["segments"] == last["duckdb-rfm"]["segments"], "RFM differs"
    assert last["sqlite-kpis"]["figures"] == last["duckdb-kpis"]["figures"], "KPIs differ"
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    rss = {k: max(r["peak_rss_mb"] for r in v) for k, v in runs.items()}
    result = {
        "customers": args.customers,
        "sales": args.sales,
        "repeat": args.repeat,
        "seconds_median": {k: round(v, 3) for k, v in med.items()},
        "peak_rss_mb": rss,
        "rfm_ratio_vs_duckdb": round(med["sqlite-rfm"] / med["duckdb-rfm"], 2),
        "kpis_ratio_vs_duckdb": round(med["sqlite-kpis"] / med["duckdb-kpis"], 2),
        "rfm_target": "<= 2 x DuckDB",
        "customers_scored": last["sqlite-rfm"]["customers"],
        "segments": last["sqlite-rfm"]["segments"],
        "kpis_last_30_days": last["sqlite-kpis"]["figures"]["current"],
        "load_seconds": {"generate": round(t1 - t0, 1), "sqlite": round(t2 - t1, 1)},
    }
    print(f"{'step':<14}{'median s':>10}{'peak RSS MB':>13}")
    for k in runs:
        print(f"{k:<14}{med[k]:>10.3f}{rss[k]:>13.1f}")
    print(f"RFM {result['rfm_ratio_vs_duckdb']} x DuckDB, KPIs {result['kpis_ratio_vs_duckdb']} x")
    RESULTS.parent.mkdir(exist_ok=True)
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    previous[f"{args.customers}x{args.sales}"] = result
    RESULTS.write_text(json.dumps(previous, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
