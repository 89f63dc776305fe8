"""The ASGI application: API under /api/v1, staff pages, POS, customer portal, /healthz,
/readyz, /metrics, /docs."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from regulars import __version__
from regulars.aftercare.api import router as aftercare_router
from regulars.analytics.api import router as analytics_router
from regulars.automations.api import router as automations_router
from regulars.checkout import api as checkout_api
from regulars.customers.api import router as customers_router
from regulars.customers.imports.api import router as customer_imports_router
from regulars.daily import DailyJobs
from regulars.db import Database
from regulars.events.api import router as events_router
from regulars.feedback.api import router as feedback_router
from regulars.kit import problems
from regulars.kit.accesslog import AccessLog
from regulars.kit.idempotency import IdempotencyMiddleware
from regulars.kit.lane import Lane
from regulars.loyalty.api import router as loyalty_router
from regulars.merchants.api import router as merchants_router
from regulars.merchants.auth import Tx
from regulars.message_templates.api import router as message_templates_router
from regulars.messaging import runtime as messaging_runtime
from regulars.messaging.api import router as messaging_router
from regulars.messaging.unsubscribe import router as unsubscribe_router
from regulars.messaging.worker import Worker
from regulars.offers import jobs as code_jobs
from regulars.offers.api import router as offers_router
from regulars.ops import metrics
from regulars.ops.api import router as ops_router
from regulars.plans.api import router as plans_router
from regulars.referrals.api import router as referrals_router
from regulars.settings import Settings
from regulars.web import pages
from regulars.web.routing import error_page

log = logging.getLogger(__name__)
API = "/api/v1"
# FastAPI's own OpenTelemetry bridge (in newer releases) asks the tracer, meter and logger
# providers on every request whether anyone set them up, ~20 us a request; we export none.
_QUIET = {"tracing": False, "metrics": False, "logs": False}
NO_TELEMETRY = (
    {"telemetry": _QUIET} if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)
STATIC = Path(__file__).parent / "web" / "static"


def _mark_interrupted_jobs(db: Database) -> None:
    """Code jobs left "running" by a server that stopped; a database that is down at start-up
    is /readyz's to report, not a reason not to start."""
    try:
        code_jobs.interrupted(db)
    except Exception:
        log.warning("could not look for interrupted code jobs", exc_info=True)


def _lifespan(daily_jobs: bool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with app.state.db.serving():
            _mark_interrupted_jobs(app.state.db)
            jobs = DailyJobs(app.state.db) if daily_jobs else None
            if jobs is not None:
                jobs.start()
            # On SQLite the server delivers the outbox itself, its writes joining the loop's
            # writer queue (`job=True`); on PostgreSQL run `regulars worker` processes.
            settings: Settings = app.state.settings
            worker = (
                Worker(app.state.db, job=True)
                if daily_jobs and settings.worker_in_process and app.state.db.is_sqlite
                else None
            )
            if worker is not None:
                worker.start()
            try:
                yield
            finally:
                if worker is not None:
                    worker.stopping.set()
                if jobs is not None:
                    await jobs.close()
                if worker is not None:
                    app.state.db.stop_jobs()
                    await asyncio.to_thread(worker.join, 30)

    return lifespan


def create_app(
    settings: Settings | None = None, db: Database | None = None, *, daily_jobs: bool = False
) -> FastAPI:
    """The app; with `daily_jobs` (as `regulars serve` runs it) the daily jobs tick while it
    serves (regulars/daily.py)."""
    settings = settings or Settings.from_env()
    app = FastAPI(
        lifespan=_lifespan(daily_jobs),
        title="Regulars API",
        version=__version__,
        description="Customer loyalty and retention for small businesses. "
        "Authenticate with `Authorization: Bearer <API key>`; money is an integer in the "
        "currency's minor unit; errors are RFC 9457 problem+json.",
        docs_url=None,
        redoc_url=None,
        **NO_TELEMETRY,  # type: ignore[arg-type]
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.database_url)
    messaging_runtime.configure(settings)
    problems.install(app, page_error=error_page)

    # Each domain's router straight on the app, the till's first: FastAPI matches routes in
    # order and again at every level of nesting, which cost the hot path ~0.5 ms a request.
    for router in (
        checkout_api.router,
        customers_router,
        loyalty_router,
        merchants_router,
        customer_imports_router,
        referrals_router,
        offers_router,
        events_router,
        feedback_router,
        aftercare_router,
        messaging_router,
        message_templates_router,
        automations_router,
        plans_router,
        analytics_router,
    ):
        app.include_router(router, prefix=API, responses=problems.PROBLEM_RESPONSES)
    app.include_router(pages.router)
    app.include_router(unsubscribe_router)
    app.include_router(ops_router)

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """The process is up and answering; /readyz asks the database (ops/health.py)."""
        return JSONResponse({"status": "ok", "version": __version__})

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Regulars API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="regulars_session",
        same_site="lax",
        https_only=False,
        max_age=12 * 3600,
    )
    app.add_middleware(IdempotencyMiddleware, store=app.state.db.run)
    lane = {(method, API + path): route for (method, path), route in checkout_api.LANE.items()}
    app.add_middleware(Lane, routes=lane, authorize=partial(Tx, app.state.db))
    app.add_middleware(AccessLog)
    app.add_middleware(metrics.Metrics, lane=lane)  # outside the lane: its requests count too
    return app
