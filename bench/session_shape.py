"""Sync or async SQLAlchemy sessions? Measured on the checkout shape, on both databases.

One transaction = select a customer by phone, insert a sale, insert a ledger row, update the
balance. Run with: `.venv/bin/python bench/session_shape.py [--seconds 2] [--runs 3]`.

(a) sync SQLAlchemy Core on a thread pool of 1/8/32 threads (what `def` routes do);
(b) async SQLAlchemy Core with 1/8/32 concurrent tasks (psycopg async; aiosqlite if importable);
(c) pgbench TPC-B with 8 and 32 clients on the same server, as the reference.

Everything is throw-away: a temporary SQLite file, and PostgreSQL databases named
`regulars_bench_*` created here and dropped at the end. Figures are the median of `--runs`.
Writes bench/results/session_shape.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from regulars.db import make_engine  # the app's own engine setup: WAL, BEGIN IMMEDIATE

PG_ADMIN = os.environ.get(
    "REGULARS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CUSTOMERS = 10_000
CONCURRENCY = (1, 8, 32)
RESULTS = Path(__file__).parent / "results" / "session_shape.json"

meta = MetaData()
customers = Table(
    "bench_customers",
    meta,
    Column("id", Uuid, primary_key=True),
    Column("phone", String(20), unique=True, nullable=False),
    Column("balance", BigInteger, nullable=False),
)
sales = Table(
    "bench_sales",
    meta,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("total", BigInteger, nullable=False),
)
ledger = Table(
    "bench_ledger",
    meta,
    Column("id", Uuid, primary_key=True),
    Column("customer_id", Uuid, nullable=False),
    Column("sale_id", Uuid, nullable=False),
    Column("points", Integer, nullable=False),
)


def phone(i: int) -> str:
    return f"+9597{i:08d}"


def seed(engine: Engine) -> None:
    meta.drop_all(engine)
    meta.create_all(engine)
    rows = [{"id": uuid.uuid4(), "phone": phone(i), "balance": 0} for i in range(CUSTOMERS)]
    with engine.begin() as conn:
        conn.execute(insert(customers), rows)


def statements(rng: random.Random) -> tuple[Any, Any, Any, Any]:
    sale_id, total = uuid.uuid4(), rng.randint(1_000, 90_000)
    find = select(customers.c.id).where(customers.c.phone == phone(rng.randrange(CUSTOMERS)))
    return find, sale_id, total, total // 1000


# --- sync: one transaction per call, run by N threads --------------------------------------


def sync_checkout(engine: Engine, rng: random.Random) -> None:
    find, sale_id, total, points = statements(rng)
    with engine.begin() as conn:
        customer_id = conn.execute(find).scalar_one()
        conn.execute(insert(sales).values(id=sale_id, customer_id=customer_id, total=total))
        conn.execute(
            insert(ledger).values(
                id=uuid.uuid4(), customer_id=customer_id, sale_id=sale_id, points=points
            )
        )
        conn.execute(
            update(customers)
            .where(customers.c.id == customer_id)
            .values(balance=customers.c.balance + points)
        )


def run_threads(engine: Engine, threads: int, seconds: float) -> float:
    stop = time.perf_counter() + seconds
    counts = [0] * threads

    def worker(n: int) -> None:
        rng = random.Random(n)
        while time.perf_counter() < stop:
            sync_checkout(engine, rng)
            counts[n] += 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


# --- async: one transaction per await, run by N tasks --------------------------------------


async def async_checkout(engine: AsyncEngine, rng: random.Random) -> None:
    find, sale_id, total, points = statements(rng)
    async with engine.begin() as conn:
        customer_id = (await conn.execute(find)).scalar_one()
        await conn.execute(insert(sales).values(id=sale_id, customer_id=customer_id, total=total))
        await conn.execute(
            insert(ledger).values(
                id=uuid.uuid4(), customer_id=customer_id, sale_id=sale_id, points=points
            )
        )
        await conn.execute(
            update(customers)
            .where(customers.c.id == customer_id)
            .values(balance=customers.c.balance + points)
        )


async def run_tasks(make: Callable[[], AsyncEngine], tasks: int, seconds: float) -> float:
    engine = make()
    counts = [0] * tasks

    async def worker(n: int, stop: float) -> None:
        rng = random.Random(n)
        while time.perf_counter() < stop:
            await async_checkout(engine, rng)
            counts[n] += 1

    async with engine.connect() as warm:  # open the first connection outside the clock
        await warm.execute(select(1))
    started = time.perf_counter()
    await asyncio.gather(*(worker(n, started + seconds) for n in range(tasks)))
    rate = sum(counts) / (time.perf_counter() - started)
    await engine.dispose()
    return rate


def async_sqlite_engine(path: str, tasks: int) -> AsyncEngine:
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{path}", connect_args={"timeout": 30}, pool_size=tasks, max_overflow=0
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "synchronous=NORMAL",
            "busy_timeout=30000",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# --- PostgreSQL plumbing and pgbench --------------------------------------------------------


def pg_create(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def pg_drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_url(name: str, driver: str) -> str:
    base = PG_ADMIN.rpartition("/")[0].replace("postgresql://", f"postgresql+{driver}://")
    return f"{base}/{name}"


def pgbench(name: str, clients: int, seconds: float) -> float:
    host = re.search(r"@([^:/]+)", PG_ADMIN)
    port = re.search(r":(\d+)/", PG_ADMIN)
    args = [
        "pgbench",
        "-h",
        host.group(1) if host else "127.0.0.1",
        "-p",
        port.group(1) if port else "5432",
        "-U",
        "postgres",
        "-c",
        str(clients),
        "-j",
        str(min(clients, 8)),
        "-T",
        str(max(1, round(seconds))),
        "-n",
        name,
    ]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    if not found:
        raise RuntimeError(f"no tps in pgbench output:\n{out}")
    return float(found.group(1))


def pgbench_init(name: str) -> None:
    host = re.search(r"@([^:/]+)", PG_ADMIN)
    subprocess.run(
        [
            "pgbench",
            "-h",
            host.group(1) if host else "127.0.0.1",
            "-U",
            "postgres",
            "-i",
            "-s",
            "1",
            "-q",
            name,
        ],
        capture_output=True,
        check=True,
    )


# --- the run --------------------------------------------------------------------------------


def median_of(runs: int, fn: Callable[[], float]) -> dict[str, Any]:
    figures = [fn() for _ in range(runs)]
    return {"tps": round(statistics.median(figures)), "runs": [round(f) for f in figures]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="length of one run")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    opts = parser.parse_args()
    try:
        import aiosqlite  # noqa: F401

        have_aiosqlite = True
    except ImportError:
        have_aiosqlite = False

    results: list[dict[str, Any]] = []

    def record(db: str, mode: str, conc: int, fn: Callable[[], float]) -> None:
        row = {"database": db, "mode": mode, "concurrency": conc} | median_of(opts.runs, fn)
        results.append(row)
        print(f"  {db:<10} {mode:<22} {conc:>3}  {row['tps']:>7} tps  {row['runs']}", flush=True)

    tag = uuid.uuid4().hex[:8]
    shape_db, tpcb_db = f"regulars_bench_shape_{tag}", f"regulars_bench_tpcb_{tag}"
    with tempfile.TemporaryDirectory(prefix="regulars-bench-") as tmp:
        path = f"{tmp}/shape.db"
        sqlite_engine = make_engine(f"sqlite:///{path}")
        seed(sqlite_engine)
        for n in CONCURRENCY:
            engine = make_engine(f"sqlite:///{path}", pool_size=n, max_overflow=0)
            w = engine.execution_options(sqlite_begin="IMMEDIATE")
            record("sqlite", "sync, threads", n, lambda w=w, n=n: run_threads(w, n, opts.seconds))
            engine.dispose()
        sqlite_engine.dispose()
        if have_aiosqlite:
            for n in CONCURRENCY:
                record(
                    "sqlite",
                    "async (aiosqlite)",
                    n,
                    lambda n=n: asyncio.run(
                        run_tasks(lambda: async_sqlite_engine(path, n), n, opts.seconds)
                    ),
                )

        pg_create(shape_db)
        pg_create(tpcb_db)
        try:
            pg_engine = create_engine(pg_url(shape_db, "psycopg"))
            seed(pg_engine)
            pg_engine.dispose()
            for n in CONCURRENCY:
                engine = make_engine(pg_url(shape_db, "psycopg"), pool_size=n, max_overflow=0)
                record(
                    "postgresql",
                    "sync, threads",
                    n,
                    lambda e=engine, n=n: run_threads(e, n, opts.seconds),
                )
                engine.dispose()
            for n in CONCURRENCY:
                record(
                    "postgresql",
                    "async (psycopg)",
                    n,
                    lambda n=n: asyncio.run(
                        run_tasks(
                            lambda: create_async_engine(
                                pg_url(shape_db, "psycopg_async"), pool_size=n, max_overflow=0
                            ),
                            n,
                            opts.seconds,
                        )
                    ),
                )
            pgbench_init(tpcb_db)
            for n in (8, 32):
                record(
                    "postgresql",
                    "pgbench TPC-B",
                    n,
                    lambda n=n: pgbench(tpcb_db, n, max(opts.seconds, 3)),
                )
        finally:
            pg_drop(shape_db)
            pg_drop(tpcb_db)

    out = {
        "shape": "select customer by phone, insert sale, insert ledger row, update balance",
        "seconds_per_run": opts.seconds,
        "runs": opts.runs,
        "customers": CUSTOMERS,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "aiosqlite": have_aiosqlite,
        "results": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
