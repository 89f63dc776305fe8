"""`GET /metrics` (Prometheus text) and `GET /readyz` (JSON); `/healthz` is in app.py."""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from regulars import __version__
from regulars.kit.errors import Forbidden, Unauthorized
from regulars.ops import health, metrics
from regulars.settings import Settings

router = APIRouter(include_in_schema=False)
# The text format every Prometheus server reads (what `generate_latest` writes).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# A request a reverse proxy relayed carries one of these: it came from outside, whatever the
# address the proxy connected from.
RELAYED = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def _allowed(request: Request, settings: Settings) -> None:
    if settings.metrics_token:
        scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.encode(), settings.metrics_token.encode()
        ):
            raise Unauthorized("metrics need `Authorization: Bearer <REGULARS_METRICS_TOKEN>`")
        return
    host = request.client.host if request.client else ""
    try:
        local = ip_address(host).is_loopback
    except ValueError:
        local = host == "testclient"  # Starlette's test client
    if not local or any(name in RELAYED for name, _v in request.scope["headers"]):
        raise Forbidden("metrics are answered on this machine only; set REGULARS_METRICS_TOKEN")


@router.get("/metrics")
async def get_metrics(request: Request) -> Response:
    _allowed(request, request.app.state.settings)
    body = await run_in_threadpool(metrics.exposition, request.app.state.db)
    return Response(body, media_type=CONTENT_TYPE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    ok, report = await run_in_threadpool(
        health.ready, request.app.state.db, request.app.state.settings
    )
    return JSONResponse({**report, "version": __version__}, status_code=200 if ok else 503)
