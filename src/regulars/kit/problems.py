"""RFC 9457 problem+json for every error the app can raise, including framework ones."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from regulars.kit.errors import ProblemError
from regulars.kit.idempotency import Replay

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []


def _response(status: int, slug: str, title: str, detail: str, errors: list[Any]) -> JSONResponse:
    body = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors,
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


def for_error(exc: ProblemError) -> JSONResponse:
    """The problem+json answer to one of our own errors."""
    return _response(exc.status, exc.slug, exc.title, exc.detail, exc.errors)


def for_crash(path: str) -> JSONResponse:
    """The 500 for an unexpected exception (being handled): logged with its traceback, never
    shown to the caller."""
    log.exception("unhandled error", extra={"path": path})
    return _response(500, "internal-error", "Internal error", "the error was logged", [])


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] or parts
    return ".".join(parts)


# A page's answer to an HTTP error (status) for a browser, given by the web layer.
PageError = Callable[[Request, int], Response]


def _wants_page(request: Request) -> bool:
    """A browser asking for a page (not `/api/...`, HTML accepted) gets an HTML error page;
    API clients, curl and fetch get problem+json."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI, page_error: PageError | None = None) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_req: Request, exc: ProblemError) -> JSONResponse:
        return for_error(exc)

    @app.exception_handler(Replay)
    async def _replay(_req: Request, exc: Replay) -> Response:
        return Response(
            exc.body,
            status_code=exc.status_code,
            media_type="application/json" if exc.body[:1] in ("{", "[") else "text/plain",
            headers={"Idempotent-Replayed": "true"},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
        return _response(422, "invalid-field", "Invalid input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException) -> Response:
        if page_error is not None and exc.status_code in (404, 405) and _wants_page(req):
            return page_error(req, exc.status_code)
        if exc.status_code == 400:
            # The framework's 400 is a body it could not read (not UTF-8, cut short): malformed
            # input like bad JSON, so the same documented 422 naming the body.
            errors = [{"field": "body", "message": str(exc.detail)}]
            return _response(422, "invalid-field", "Invalid input", f"body: {exc.detail}", errors)
        titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required"}
        title = titles.get(exc.status_code, "Error")
        slug = title.lower().replace(" ", "-")
        response = _response(exc.status_code, slug, title, str(exc.detail), [])
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def _crash(req: Request, _exc: Exception) -> JSONResponse:
        return for_crash(req.url.path)


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": title, "content": {MEDIA_TYPE: {}}}
    for status, title in [
        (401, "Missing, wrong or revoked API key"),
        (403, "The key's role may not do this"),
        (404, "Not found (also for another merchant's ids)"),
        (409, "Conflicts with existing data"),
        (422, "Invalid input; `errors` names each field"),
        (429, "Too many attempts"),
    ]
}
