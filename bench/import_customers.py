"""CSV import speed and memory: rows/s and peak RSS on SQLite and PostgreSQL.

    .venv/bin/python bench/import_customers.py [--rows 100000] [--repeat 3]

Makes a throw-away SQLite file and a throw-away PostgreSQL database (127.0.0.1:5432, user
postgres; dropped afterwards), migrates them, creates a Yangon merchant and imports a generated
file (5% bad rows, names in Latin, Burmese Unicode and Zawgyi, and Urdu; local phone formats).
Each import runs in its own child process so its peak RSS is its own. A smaller file is imported
too: equal peak RSS for both sizes is what "flat memory" means. Targets (shared BENCHMARKS.md):
>= 10,000 rows/s on SQLite, >= 20,000 rows/s on PostgreSQL.
Writes bench/results/import_customers.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "import_customers.json"
PG_ADMIN = os.environ.get(
    "REGULARS_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGETS = {"sqlite": 10_000, "postgresql": 20_000}

GIVEN = ["Aung", "Kyaw", "Mya", "Hla", "Thandar", "Zaw", "Siti", "Ahmad", "Nurul", "Ayesha",
         "Bilal", "Somchai", "Khamla", "Tan", "Lim", "Wei", "Farah", "Hassan"]  # fmt: skip
BURMESE = ["မောင်", "ကျော်", "မြ", "လှ", "သန္တာ", "ဇော်", "ဝင်း", "အောင်", "စု", "နီလာ"]
ZAWGYI = ["ေမာင္", "ေက်ာ္", "ျမ", "လွ", "ေဇာ္", "ဝင္း", "ေအာင္"]
URDU = ["عائشہ", "بلال", "فرح", "حسن", "احمد", "زینب"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "mail.com.mm", "shwebakery.com"]
BAD = ("phone", "email", "dup", "birthday", "empty", "locale")


def _name(rng: random.Random, i: int) -> str:
    kind = i % 10
    if kind < 5:
        return f"{rng.choice(GIVEN)} {rng.choice(GIVEN)} {i % 997}"
    if kind < 8:
        return " ".join(rng.choice(BURMESE) for _ in range(3))
    if kind < 9:
        return "".join(rng.choice(ZAWGYI) for _ in range(3))
    return f"{rng.choice(URDU)} {rng.choice(URDU)}"


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Every 20th row is bad (5%), cycling through six kinds of fault."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["name", "phone", "email", "birthday", "locale", "tags", "consent_sms",
                      "consent_email", "vehicle"])  # fmt: skip
        for i in range(1, rows + 1):
            national = f"{9_780_000_000 + i * 7:010d}"  # 09 7xxx xxxxx: Myanmar mobiles
            phone = rng.choice([f"0{national[:2]} {national[2:6]} {national[6:]}",
                                f"+95{national}", f"0{national}"])  # fmt: skip
            email = f"c{i}@{rng.choice(DOMAINS)}" if i % 3 == 0 else ""
            birthday = f"19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{i % 10}"
            row = [_name(rng, i), phone, email, birthday, rng.choice(["my", "en", ""]),
                   rng.choice(["vip", "regular; cake", ""]), rng.choice(["yes", "no", ""]), "",
                   rng.choice(["", "Hilux", "Vios"])]  # fmt: skip
            if i % 20 == 0:
                fault = BAD[(i // 20) % len(BAD)]
                if fault == "phone":
                    row[1] = "12345"
                elif fault == "email":
                    row[2] = "not-an-email"
                elif fault == "dup":
                    row[1] = f"+95{9_780_000_000 + (i - 1) * 7:010d}"
                elif fault == "birthday":
                    row[3] = "1990-02-30"
                elif fault == "empty":
                    row[0] = row[1] = row[2] = ""
                else:
                    row[4] = "fr"
            out.writerow(row)


def one(url: str, csv_path: str) -> dict[str, float]:
    """Runs in a child process: migrate, make a merchant, import, report."""
    sys.path.insert(0, str(HERE.parent / "src"))
    from regulars.customers.imports import importer
    from regulars.db import Database
    from regulars.kit.context import SYSTEM, Ctx
    from regulars.merchants import service
    from regulars.merchants.schemas import MerchantCreate
    from regulars.migrate import upgrade

    upgrade(url)
    db = Database(url)
    data = MerchantCreate(
        name="Bench Bakery", country="MM", currency="MMK", timezone="Asia/Yangon", locale="my"
    )
    shop, _owner, _key = db.run(
        lambda s: service.create_merchant(s, data, f"o{uuid.uuid4().hex}@x.test", "pw-bench-1")
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    summary = importer.import_file_cli(db, Ctx(shop, SYSTEM), Path(csv_path), merge=False)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    db.dispose()
    return {
        "rows": summary["processed_rows"],
        "imported": summary["imported"],
        "rejected": summary["rejected"],
        "seconds": seconds,
        "rows_per_second": summary["processed_rows"] / seconds,
        "rss_before_mb": before / 1024,
        "peak_rss_mb": peak / 1024,
    }


def _child(url: str, csv_path: Path) -> dict[str, float]:
    env = {**os.environ, "REGULARS_LOG_LEVEL": "WARNING"}
    out = subprocess.run(
        [sys.executable, __file__, "--child", url, str(csv_path)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def _pg_database() -> tuple[str, str]:
    name = f"regulars_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rpartition("/")[0].replace("postgresql://", "postgresql+psycopg://")
    return name, f"{base}/{name}"


def _drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(rows: int, repeat: int) -> dict[str, object]:
    results: dict[str, object] = {"rows": rows, "repeat": repeat, "targets": TARGETS}
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.csv", Path(tmp) / "small.csv"
        write_csv(big, rows)
        write_csv(small, max(rows // 10, 1000))
        for engine in ("sqlite", "postgresql"):
            runs, small_runs = [], []
            for size, path, bucket in (("big", big, runs), ("small", small, small_runs)):
                for n in range(repeat if size == "big" else 1):
                    if engine == "sqlite":
                        url = f"sqlite:///{tmp}/bench-{size}-{n}.db"
                        bucket.append(_child(url, path))
                        continue
                    name, url = _pg_database()
                    try:
                        bucket.append(_child(url, path))
                    finally:
                        _drop(name)
            rates = [r["rows_per_second"] for r in runs]
            results[engine] = {
                "rows_per_second_median": statistics.median(rates),
                "rows_per_second_all": rates,
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
                "peak_rss_mb_small_file": small_runs[0]["peak_rss_mb"],
                "small_file_rows": small_runs[0]["rows"],
                "imported": runs[0]["imported"],
                "rejected": runs[0]["rejected"],
                "target": TARGETS[engine],
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("URL", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(*args.child)))
        return
    results = run(args.rows, args.repeat)
    print(f"{'database':<12}{'rows/s (median)':>17}{'target':>9}{'peak RSS':>11}"
          f"{'peak RSS, 1/10 file':>22}{'imported':>10}{'rejected':>10}")  # fmt: skip
    for engine in ("sqlite", "postgresql"):
        r = results[engine]
        assert isinstance(r, dict)
        print(f"{engine:<12}{r['rows_per_second_median']:>17,.0f}{r['target']:>9,}"
              f"{r['peak_rss_mb']:>8.0f} MB{r['peak_rss_mb_small_file']:>19.0f} MB"
              f"{r['imported']:>10,}{r['rejected']:>10,}")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
