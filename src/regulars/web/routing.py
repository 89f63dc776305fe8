"""Page routes answer in HTML: a problem becomes an error page, a missing login a redirect."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute

from regulars.db import Database
from regulars.kit.context import Ctx
from regulars.kit.errors import NotFound, ProblemError, Unauthorized
from regulars.merchants import service as merchants
from regulars.web import i18n
from regulars.web.i18n import N_
from regulars.web.render import page
from regulars.web.session import CsrfRejected, LoginRequired

log = logging.getLogger(__name__)

EXPIRED_FORM = N_("This form has expired. Go back, reload the page and try again.")
ERROR_TEXT = {
    400: N_("That request could not be understood."),
    403: N_("Your role does not allow this. Ask the shop owner or a manager."),
    404: N_("This page does not exist, or it is not yours to see."),
    409: N_("That conflicts with what is already stored."),
    422: N_("Some of what was sent is not valid."),
    429: N_("Too many attempts. Wait a few minutes and try again."),
}


def request_lang(request: Request) -> str:
    return i18n.choose(
        request.query_params.get("lang"),
        request.session.get("lang"),
        request.headers.get("accept-language", "").split(",")[0],
    )


def error_page(request: Request, status: int, text: str | None = None) -> Response:
    text = text or ERROR_TEXT.get(status, ERROR_TEXT[400])
    return page(request, "error.html", request_lang(request), status=status, message=text)


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as exc:
                query = urlencode({"next": exc.next_path})
                return RedirectResponse(f"/login?{query}", status_code=303)
            except CsrfRejected:
                return error_page(request, 403, EXPIRED_FORM)
            except RequestValidationError as exc:
                in_path = any(e["loc"][0] == "path" for e in exc.errors())
                return error_page(request, 404 if in_path else 400)
            except ProblemError as exc:
                return error_page(request, exc.status)

        return guarded


SESSION_ENDED = N_("Your session has ended. Sign in again.")


def json_error(
    request: Request, status: int, text: str, field: str | None = None, lang: str | None = None
) -> JSONResponse:
    """A screen's fetch gets `{"error": <translated text>, "field": ...}`; the page shows it."""
    message = i18n.gettext_for(lang or request_lang(request)).gettext(text)
    body: dict[str, Any] = {"error": message, "field": field}
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


class JsonRoute(APIRoute):
    """For endpoints a page calls with fetch: the same guards as PageRoute, answered in JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return json_error(request, 401, SESSION_ENDED)
            except CsrfRejected:
                return json_error(request, 403, EXPIRED_FORM)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {"loc": ()}
                loc = [str(part) for part in first["loc"] if part not in ("body", "query")]
                return json_error(request, 422, ERROR_TEXT[422], ".".join(loc) or None)
            except ProblemError as exc:
                return json_error(request, exc.status, ERROR_TEXT.get(exc.status, ERROR_TEXT[400]))

        return guarded


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


@dataclass(frozen=True)
class Staff:
    ctx: Ctx
    name: str
    lang: str


def current_staff(request: Request, db: Database = Depends(database)) -> Staff:
    """The signed-in staff member, rebuilt from the session on every request (so a deactivated
    account is out at once); anyone else is sent to /login."""
    data = request.session.get("staff")
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not isinstance(data, dict):
        raise LoginRequired(path)
    try:
        merchant_id, staff_id = uuid.UUID(data["merchant_id"]), uuid.UUID(data["staff_id"])
    except (KeyError, ValueError):
        request.session.pop("staff", None)
        raise LoginRequired(path) from None

    def load(session: Any) -> tuple[Ctx, str]:
        ctx = merchants.staff_ctx(session, merchant_id, staff_id)
        return ctx, merchants.staff_name(session, ctx)

    try:
        ctx, name = db.run(load, write=False)
    except (Unauthorized, NotFound):
        request.session.pop("staff", None)
        raise LoginRequired(path) from None
    lang = i18n.choose(request.session.get("lang"), ctx.merchant.locale)
    return Staff(ctx=ctx, name=name, lang=lang)
