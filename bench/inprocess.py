"""CPU per request through the whole app, in process, without HTTP or other processes.

    .venv/bin/python bench/inprocess.py [--requests 500] [--repeat 5] [--postgres] [--profile]

A quick gauge for work on the hot path, between full runs of bench/checkout.py: the ASGI app is
called directly (no sockets, no server, no wrk), one request at a time, so the figure is the
app's own CPU: middleware, routing, dependencies, validation, the service and the driver.
Figures are the minimum over `--repeat` runs of `--requests` requests each (the least disturbed
run; the machine is shared). `--profile` prints a cProfile of one run of each kind.

Kinds: GET /healthz; POST /checkout/quote; POST /checkout (a repeat customer: every customer
has bought once before the measured runs); POST /checkout for a first sale (the account row is
created); a request with a wrong API key (the fixed cost of any API request).
Writes bench/results/inprocess.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

import checkout as bench_checkout  # noqa: E402  (bench/checkout.py: seed, PostgreSQL helpers)

RESULTS = HERE / "results" / "inprocess.json"


def _scope(method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]]) -> Any:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *headers,
        ],
    }


async def call(app: Any, method: str, path: str, body: bytes, headers: Any) -> int:
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    status = {"code": 0}

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status["code"] = message["status"]

    await app(_scope(method, path, body, headers), receive, send)
    return status["code"]


LINES = [
    {"sku": "CAKE-01", "name": "Cake", "category": "cake", "quantity": 2, "unit_price": 4500},
    {"sku": "TEA-01", "name": "Tea", "category": "drink", "quantity": 1, "unit_price": 1800},
]


def sale(receipt: str, customer_id: str) -> bytes:
    body = {"receipt_id": receipt, "customer": {"id": customer_id}, "lines": LINES}
    return json.dumps(body).encode()


async def measure(url: str, requests: int, repeat: int, profile: bool) -> dict[str, float]:
    from regulars.app import create_app
    from regulars.db import Database
    from regulars.kit import logging as logs
    from regulars.settings import Settings

    customers = requests * (repeat + 1)
    shop = bench_checkout.seed(url, 2 * customers)
    ids = [cid for _phone, cid in shop["customers"]]
    settings = Settings(database_url=url, secret_key="bench-" + "x" * 40,
                        var_dir=Path(tempfile.gettempdir()), log_level="INFO")  # fmt: skip
    logs.configure("INFO")
    app = create_app(settings, Database(url))
    auth = [(b"authorization", f"Bearer {shop['api_key']}".encode())]
    wrong = [(b"authorization", b"Bearer rg_nokey000_0000")]
    for i in range(customers):  # every customer of the first half has bought once
        assert await call(app, "POST", "/api/v1/checkout", sale(f"W-{i}", ids[i]), auth) == 201
    counter = iter(range(10**9))
    kinds = {
        "healthz": lambda i: ("GET", "/healthz", b"", []),
        "quote": lambda i: ("POST", "/api/v1/checkout/quote", sale("Q", ids[i]), auth),
        "commit": lambda i: ("POST", "/api/v1/checkout", sale(f"C-{next(counter)}", ids[i]), auth),
        "commit_first_sale": lambda i: (
            "POST", "/api/v1/checkout", sale(f"F-{i}", ids[customers + i]), auth),
        "wrong_key_401": lambda i: ("POST", "/api/v1/checkout/quote", sale("Q", ids[i]), wrong),
    }  # fmt: skip
    out: dict[str, float] = {}
    for name, make in kinds.items():
        runs = []
        for run in range(repeat):
            batch = [make(run * requests + i) for i in range(requests)]
            profiler = cProfile.Profile() if profile and run == 0 else None
            start = time.process_time()
            if profiler:
                profiler.enable()
            for request in batch:
                await call(app, *request)
            if profiler:
                profiler.disable()
                print(f"--- {name}")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
                continue
            runs.append((time.process_time() - start) / requests * 1000)
        out[name] = round(min(runs), 3)
        print(f"  {name:18s} {out[name]:7.3f} ms CPU per request", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        print("sqlite", flush=True)
        results["sqlite"] = asyncio.run(
            measure(f"sqlite:///{tmp}/inprocess.db", args.requests, args.repeat, args.profile)
        )
    if args.postgres:
        name = bench_checkout._pg_create("inprocess")
        try:
            print("postgresql", flush=True)
            results["postgresql"] = asyncio.run(
                measure(bench_checkout._pg_url(name), args.requests, args.repeat, args.profile)
            )
        finally:
            bench_checkout._pg_drop(name)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
