"""`GET /metrics`: what a Prometheus server scrapes (docs/operations.md lists every metric).

Two kinds of figures:
- Counted as things happen, in this process: requests by route template and status with their
  latency (`Metrics`, an ASGI middleware outside the till's fast lane, so lane requests are
  counted too), sales committed and points they issued and redeemed (a hook after the sale's
  commit, `count_sale`), daily job runs and failures (`daily.py`).
- Read when scraped: the database pool, and whatever a domain registers with `source`, each
  in one read transaction (the outbox's depth and age, `outbox`).

Every process counts its own (with `--workers 2` on PostgreSQL each worker answers for itself;
Prometheus sums them when the server is scraped through each worker's own port, or see
docs/operations.md).
"""

from __future__ import annotations

import logging
import time
import uuid
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Table, func, inspect, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regulars import __version__
from regulars.db import Database, after_commit
from regulars.kit.context import Ctx

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Requests(Collector):
    """Request counts and latencies by (method, route template, status), in plain integers: the
    middleware runs on the event loop's one thread, so it needs none of the locks that
    prometheus-client's labelled metrics take on every increment (measured on a busy 2-core
    machine: 4 us a request, against 15 us with a labelled Counter and Histogram). Exposed as a
    counter and a histogram."""

    def __init__(self) -> None:
        # key -> [count in each bucket (not cumulative), ..., in none (+Inf)], and the sums
        self.buckets: dict[tuple[str, str, str], list[int]] = {}
        self.sums: dict[tuple[str, str, str], float] = {}

    def observe(self, key: tuple[str, str, str], seconds: float) -> None:
        counts = self.buckets.get(key)
        if counts is None:
            counts = self.buckets[key] = [0] * (len(BUCKETS) + 1)
            self.sums[key] = 0.0
        counts[bisect_left(BUCKETS, seconds)] += 1
        self.sums[key] += seconds

    def collect(self) -> Iterator[Metric]:
        labels = ["method", "route", "status"]
        total = CounterMetricFamily(
            "regulars_http_requests",
            "HTTP requests answered, by method, route template and status",
            labels=labels,
        )
        latency = HistogramMetricFamily(
            "regulars_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status",
            labels=labels,
        )
        for key, counts in list(self.buckets.items()):
            running, cumulative = 0, []
            for bound, n in zip((*map(str, BUCKETS), "+Inf"), counts, strict=True):
                running += n
                cumulative.append((bound, running))
            total.add_metric(list(key), running)
            latency.add_metric(list(key), cumulative, self.sums[key])
        yield total
        yield latency


REQUESTS = Requests()
REGISTRY.register(REQUESTS)
SALES = Counter(
    "regulars_sales_committed", "Sales committed (replays not counted)", registry=REGISTRY
)
POINTS_ISSUED = Counter(
    "regulars_points_issued", "Points earned by customers in committed sales", registry=REGISTRY
)
POINTS_REDEEMED = Counter(
    "regulars_points_redeemed", "Points that paid part of committed sales", registry=REGISTRY
)
DAILY_RUNS = Counter(
    "regulars_daily_job_runs", "Daily job runs finished, by job", ["job"], registry=REGISTRY
)
DAILY_FAILURES = Counter(
    "regulars_daily_job_failures", "Daily job runs that failed, by job", ["job"], registry=REGISTRY
)
UNMATCHED = "<unmatched>"  # a path no route answers: one label, whatever was asked

# --- counted as it happens -----------------------------------------------------------------------


class Metrics:
    """ASGI middleware: each HTTP request counted and timed under its route's template (the
    lane's routes are exact paths, `lane`), never the raw path, so the labels stay few."""

    def __init__(self, app: ASGIApp, lane: Iterable[tuple[str, str]] = ()):
        self.app = app
        self.lane = frozenset(lane)
        self._keys: dict[tuple[str, str, int], tuple[str, str, str]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            self._observe(scope, status, time.perf_counter() - start)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        route = scope.get("route")
        if route is not None:
            template = _template(scope, route)
        elif (method, scope["path"]) in self.lane:
            template = scope["path"]
        else:
            template = UNMATCHED
        key = (method, template, status)
        labels = self._keys.get(key)
        if labels is None:
            labels = self._keys[key] = (method, template, str(status))
        REQUESTS.observe(labels, seconds)


def _template(scope: Scope, route: Any) -> str:
    """The path template as the app serves it. A route of an included router knows only its
    own part (`/customers/{customer_id}`); the prefix is what the path has before that part."""
    own = getattr(route, "path_format", None) or getattr(route, "path", None)
    if not own:
        return UNMATCHED
    try:
        rendered = own.format(**scope.get("path_params", {}))
    except (KeyError, IndexError, ValueError):
        return str(own)
    path: str = scope["path"]
    if path.endswith(rendered):
        return path[: len(path) - len(rendered)] + str(own)
    return str(own)


def count_sale(session: Session, _ctx: Ctx, sale: Any, _purchase_id: uuid.UUID) -> None:
    """A step of the sale's RECORD (checkout/service.py): counted once it has committed."""
    earned, redeemed = sale.points_earned, sale.redeem_points
    after_commit(session, lambda: _sold(earned, redeemed))


def _sold(earned: int, redeemed: int) -> None:
    SALES.inc()
    if earned:
        POINTS_ISSUED.inc(earned)
    if redeemed:
        POINTS_REDEEMED.inc(redeemed)


# --- read when scraped -------------------------------------------------------------------------

# name -> fn(read session) yielding metric families; read in one transaction at each scrape.
Source = Callable[[Session], Iterable[Metric]]
SOURCES: dict[str, Source] = {}


def source(name: str, fn: Source) -> None:
    """Register (or replace) a scrape-time source: a domain's gauges read from its tables."""
    SOURCES[name] = fn


OUTBOX_TABLES = ("outbox", "outbox_messages")
OUTBOX_DONE = ("sent_at", "delivered_at", "done_at", "finished_at")


def outbox(session: Session) -> Iterator[Metric]:
    """Messages waiting in the outbox and the age of the oldest, read from the outbox table when
    this version has one (its domain may register a source of its own under "outbox")."""
    from regulars.models import metadata

    table: Table | None = next(
        (metadata.tables[n] for n in OUTBOX_TABLES if n in metadata.tables), None
    )
    if table is None or "created_at" not in table.c:
        return
    if not inspect(session.connection()).has_table(table.name):
        return
    waiting = [table.c[n].is_(None) for n in OUTBOX_DONE if n in table.c]
    row = session.execute(
        select(func.count(), func.min(table.c.created_at)).select_from(table).where(*waiting)
    ).one()
    depth = GaugeMetricFamily("regulars_outbox_depth", "Messages waiting in the outbox")
    depth.add_metric([], int(row[0]))
    yield depth
    age = GaugeMetricFamily(
        "regulars_outbox_oldest_age_seconds", "Age of the oldest message waiting (0 when none)"
    )
    oldest = row[1]
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    age.add_metric([], (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
    yield age


source("outbox", outbox)


class Scraped(Collector):
    """The figures of one app's database, read at each scrape."""

    def __init__(self, db: Database):
        self.db = db

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("regulars_info", "This server", labels=["version", "engine"])
        info.add_metric([__version__, self.db.engine.dialect.name], 1)
        yield info
        yield from self._pool()
        try:
            yield from self.db.run(self._sources, write=False)
        except Exception:  # a scrape must answer; the failure is in the log
            log.warning("metrics source failed", exc_info=True)

    def _pool(self) -> Iterator[Metric]:
        pool: Any = self.db.engine.pool
        size = GaugeMetricFamily("regulars_db_pool_size", "Connections the pool keeps open")
        used = GaugeMetricFamily(
            "regulars_db_pool_connections", "Pool connections by state", labels=["state"]
        )
        if all(hasattr(pool, n) for n in ("size", "checkedout", "checkedin", "overflow")):
            size.add_metric([], pool.size())
            used.add_metric(["checked_out"], pool.checkedout())
            used.add_metric(["idle"], pool.checkedin())
            used.add_metric(["overflow"], max(0, pool.overflow()))
        yield size
        yield used

    @staticmethod
    def _sources(session: Session) -> list[Metric]:
        return [metric for fn in list(SOURCES.values()) for metric in fn(session)]


def exposition(db: Database) -> bytes:
    """The text a scrape gets: this process's counters, then the database's figures."""
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(Scraped(db))
    return generate_latest(REGISTRY) + generate_latest(scraped)
