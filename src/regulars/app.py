"""The ASGI application: API under /api/v1, staff pages, POS, customer portal, /healthz, /docs."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from starlette.middleware.sessions import SessionMiddleware

from regulars import __version__
from regulars.analytics.api import router as analytics_router
from regulars.checkout import api as checkout_api
from regulars.customers.api import router as customers_router
from regulars.customers.imports.api import router as customer_imports_router
from regulars.daily import DailyJobs
from regulars.db import Database
from regulars.events.api import router as events_router
from regulars.kit import problems
from regulars.kit.accesslog import AccessLog
from regulars.kit.idempotency import IdempotencyMiddleware
from regulars.kit.lane import Lane
from regulars.loyalty.api import router as loyalty_router
from regulars.merchants.api import router as merchants_router
from regulars.merchants.auth import Tx
from regulars.offers.api import router as offers_router
from regulars.referrals.api import router as referrals_router
from regulars.settings import Settings
from regulars.web import pages
from regulars.web.routing import error_page

API = "/api/v1"
# FastAPI's own OpenTelemetry bridge (in newer releases) asks the tracer, meter and logger
# providers on every request whether anyone set them up, ~20 us a request; we export none.
_QUIET = {"tracing": False, "metrics": False, "logs": False}
NO_TELEMETRY = (
    {"telemetry": _QUIET} if "telemetry" in inspect.signature(FastAPI.__init__).parameters else {}
)
STATIC = Path(__file__).parent / "web" / "static"


def _lifespan(daily_jobs: bool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with app.state.db.serving():
            jobs = DailyJobs(app.state.db) if daily_jobs else None
            if jobs is not None:
                jobs.start()
            try:
                yield
            finally:
                if jobs is not None:
                    await jobs.close()

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
        analytics_router,
    ):
        app.include_router(router, prefix=API, responses=problems.PROBLEM_RESPONSES)
    app.include_router(pages.router)

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        app.state.db.run(lambda s: s.execute(text("SELECT 1")), write=False)
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
    return app
