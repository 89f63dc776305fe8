"""A/B by turns: the same shop and load as bench/checkout.py, one path and one concurrency, with
the server started under each setting in turn, so that the machine's drift falls on both sides.

    .venv/bin/python bench/ab.py [--engine sqlite|postgresql] [--connections 32] [--seconds 8]
        [--turns 3] [--path /api/v1/checkout] SETTING [SETTING ...]

A SETTING is the server's extra environment, `NAME=value,NAME=value`, or `-` for none; e.g.
`- REGULARS_DAILY_JOBS=on` compares the server as benchmarked with one that runs its daily jobs
at start-up (only on the first turn: a day's runs are then claimed in the shop's database).
Prints one line per run and the medians per setting; nothing is written. Not part of
`make bench`, which runs every other benchmark with its defaults.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import checkout as bench  # noqa: E402  (bench/checkout.py: seed, serving, drive)


def _setting(text: str) -> dict[str, str]:
    return {} if text == "-" else dict(kv.split("=", 1) for kv in text.split(","))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--path", default="/api/v1/checkout")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("settings", nargs="+")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="regulars-ab-"))
    name = None if args.engine == "sqlite" else bench._pg_create("ab")
    url = f"sqlite:///{tmp}/bench.db" if name is None else bench._pg_url(name)
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in args.settings}
    try:
        shop = bench.seed(url, args.customers)
        people = tmp / "customers.txt"
        people.write_text("".join(f"{phone} {cid}\n" for phone, cid in shop["customers"]))
        workers = 1 if name is None else bench.PG_WORKERS
        for turn in range(args.turns):
            for i, setting in enumerate(args.settings):
                saved = dict(os.environ)
                os.environ.update(_setting(setting))
                try:
                    with bench.serving(url, workers, tmp) as server:
                        env = {"BENCH_KEY": shop["api_key"], "BENCH_CUSTOMERS": str(people),
                               "BENCH_PREFIX": f"AB{turn}x{i}"}  # fmt: skip
                        r = bench.drive(server, args.path, args.connections, args.seconds, env, tmp)
                finally:
                    os.environ.clear()
                    os.environ.update(saved)
                runs[setting].append(r)
                print(f"turn {turn} {setting}: {r['per_second']:,.0f}/s p50 {r['p50_ms']:.1f} "
                      f"p99 {r['p99_ms']:.1f} max {r['max_ms']:.1f} ms, server "
                      f"{r['server_ms_cpu_per_request']:.3f} ms CPU a request, "
                      f"5xx {r['status_5xx']}", flush=True)  # fmt: skip
    finally:
        if name is not None:
            bench._pg_drop(name)
    for setting, rs in runs.items():
        rate = statistics.median(r["per_second"] for r in rs)
        p99 = statistics.median(r["p99_ms"] for r in rs)
        cpu = statistics.median(r["server_ms_cpu_per_request"] for r in rs)
        print(f"{setting}: median {rate:,.0f}/s, p99 {p99:.1f} ms, {cpu:.3f} ms CPU a request")


if __name__ == "__main__":
    main()
