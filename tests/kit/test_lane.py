"""The fast lane takes only the happy path's shape and hands everything else, body intact, to
the full app."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.responses import JSONResponse, Response

from regulars.kit import lane
from regulars.kit.errors import Conflict

Message = dict[str, Any]


class Body(BaseModel):
    n: int


class Downstream:
    """The full app: answers 299 with the body it read, so a test sees what was handed over."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        await Response(b"".join(chunks), 299)(scope, receive, send)


async def handled(caller: Any, body: Body) -> Response:
    if body.n == 409:
        raise Conflict("taken", [{"field": "n", "message": "taken"}])
    if body.n == 500:
        raise RuntimeError("boom")
    return JSONResponse({"caller": caller, "n": body.n}, 201)


def run(
    headers: list[tuple[bytes, bytes]],
    chunks: list[bytes],
    method: str = "POST",
    path: str = "/fast",
) -> tuple[Downstream, int, bytes]:
    downstream = Downstream()
    app = lane.Lane(
        downstream,
        routes={("POST", "/fast"): lane.Route(Body, handled)},
        authorize=lambda key, write: f"{key}:{write}",
    )
    inbox: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    out: list[Message] = []

    async def receive() -> Message:
        return inbox.pop(0) if inbox else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        out.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in out if m["type"] == "http.response.body")
    return downstream, out[0]["status"], body


JSON = (b"content-type", b"application/json")
KEY = (b"authorization", b"Bearer rg_k")


def test_a_valid_request_goes_to_the_handler_with_the_callers_credentials() -> None:
    downstream, status, body = run([KEY, (b"content-type", b"application/json; charset=utf-8")],
                                   [b'{"n": ', b"7}"])  # fmt: skip
    assert (downstream.calls, status, json.loads(body)) == (0, 201, {"caller": "rg_k:True", "n": 7})


@pytest.mark.parametrize(
    "headers, method, path",
    [
        ([JSON], "POST", "/fast"),  # no credentials
        ([JSON, (b"authorization", b"Basic dXNlcg==")], "POST", "/fast"),
        ([JSON, (b"authorization", b"Bearer ")], "POST", "/fast"),
        ([KEY], "POST", "/fast"),  # no content type
        ([KEY, (b"content-type", b"text/plain")], "POST", "/fast"),
        ([KEY, JSON, (b"idempotency-key", b"k-1")], "POST", "/fast"),
        ([KEY, JSON], "PUT", "/fast"),
        ([KEY, JSON], "POST", "/fast/"),
    ],
)
def test_other_shapes_go_to_the_full_app(
    headers: list[tuple[bytes, bytes]], method: str, path: str
) -> None:
    downstream, status, body = run(headers, [b'{"n": 7}'], method, path)
    assert (downstream.calls, status, body) == (1, 299, b'{"n": 7}')


@pytest.mark.parametrize("raw", [b'{"n": "seven"}', b'{"n": 7', b""])
def test_a_body_that_does_not_validate_is_handed_over_whole(raw: bytes) -> None:
    downstream, status, body = run([KEY, JSON], [raw[:3], raw[3:]])
    assert (downstream.calls, status, body) == (1, 299, raw)


def test_a_body_longer_than_the_limit_is_handed_over_whole() -> None:
    chunk = b" " * (64 * 1024)
    chunks = [b'{"n": 7', *[chunk] * 5, b"}"]
    downstream, status, body = run([KEY, JSON], chunks)
    assert (downstream.calls, status, body) == (1, 299, b"".join(chunks))


def test_our_errors_are_problem_json() -> None:
    downstream, status, body = run([KEY, JSON], [b'{"n": 409}'])
    problem = json.loads(body)
    assert (downstream.calls, status, problem["type"], problem["errors"]) == (
        0,
        409,
        "/problems/conflict",
        [{"field": "n", "message": "taken"}],
    )


def test_a_crash_is_a_logged_500_that_shows_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        downstream, status, body = run([KEY, JSON], [b'{"n": 500}'])
    assert (downstream.calls, status, json.loads(body)["detail"]) == (
        0,
        500,
        "the error was logged",
    )
    assert "boom" not in body.decode()
    assert any(r.exc_info and "boom" in str(r.exc_info[1]) for r in caplog.records)
