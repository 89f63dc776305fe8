"""The till's fast lane: a hot API request (quote, commit) straight to its handler, past
FastAPI's routing, dependency solving and body handling.

Measured in process (docs/benchmarks.md): around a ~1.1 ms commit, FastAPI's own work (matching
the route among ~70, solving the dependencies, reading the body and validating the parsed
JSON) was about 0.4 ms, more than the sale's statements. The lane takes a request only in the
happy path's shape: the route's exact method and path, a Bearer key, a JSON body that validates
(parsed by pydantic straight from the bytes), and no Idempotency-Key (the middleware behind the
lane handles that one). Anything else (a body that does not validate or is too long, another
kind of credentials, a key header) is handed to the full app, body and all, which gives the one
canonical answer: a 422 naming the field, a 401. The lane's handlers are the routes' own code,
and the routes stay in the OpenAPI document, the contract, which the tests hold both lanes to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regulars.kit import problems
from regulars.kit.errors import ProblemError

MAX_BODY = 256 * 1024  # bytes; a 500-line basket is ~60 KB. Longer bodies take the full app.


@dataclass(frozen=True)
class Route:
    body: type[BaseModel]
    # (the caller's credentials, made by the lane's `authorize`; the parsed body)
    handle: Callable[[Any, Any], Awaitable[Response]]


class Lane:
    """ASGI middleware; `routes` by (method, path); `authorize(key, write)` makes what the
    route's dependency would have given its handler (merchants/auth.py `Tx`)."""

    def __init__(
        self,
        app: ASGIApp,
        routes: dict[tuple[str, str], Route],
        authorize: Callable[[str, bool], Any],
    ):
        self.app, self.routes, self.authorize = app, routes, authorize

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get((scope.get("method", ""), scope.get("path", "")))
        secret = _bearer(scope) if route is not None and scope["type"] == "http" else None
        if route is None or secret is None:
            await self.app(scope, receive, send)
            return
        messages, body = await _read(receive)
        try:
            parsed = route.body.model_validate_json(body) if body is not None else None
        except ValidationError:
            parsed = None
        if parsed is None:
            await self.app(scope, _replaying(messages, receive), send)
            return
        caller = self.authorize(secret, scope["method"] not in ("GET", "HEAD"))
        try:
            response = await route.handle(caller, parsed)
        except ProblemError as exc:
            response = problems.for_error(exc)
        except Exception:
            response = problems.for_crash(scope["path"])
        await response(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    """The API key, when the request is the lane's shape: `Authorization: Bearer <key>`, a JSON
    body, no Idempotency-Key."""
    secret = None
    json_body = False
    for name, value in scope["headers"]:
        if name == b"authorization" and secret is None:
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            secret = credentials if scheme.lower() == "bearer" and credentials else ""
        elif name == b"content-type":
            json_body = value.split(b";", 1)[0].strip().lower() == b"application/json"
        elif name == b"idempotency-key":
            return None
    return secret if secret and json_body else None


async def _read(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages read and the whole body; None for the body when it is longer than MAX_BODY
    or the client went away before sending it all (the full app then reads on)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        size += len(message.get("body", b""))
        if size > MAX_BODY:
            return messages, None
        if not message.get("more_body", False):
            break
    return messages, b"".join(m.get("body", b"") for m in messages)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
