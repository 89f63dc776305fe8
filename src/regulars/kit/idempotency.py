"""`Idempotency-Key` on any write to /api/v1 (DESIGN.md invariant 4, IETF Idempotency-Key draft).

The key is claimed inside the request's own transaction (`claim`, called by the transaction
runner), so the effect and the claim commit or roll back together: a key can never stand for an
effect that did not happen, and an effect can never happen twice for one key. The response is
stored right after the commit by the middleware; a retry with the same key and body gets it back
with `Idempotent-Replayed: true`. Same key, other body: 422. A concurrent retry while the first is
still running (or whose response was lost in a crash after the commit): 409, never a second effect.
A request that fails (4xx/5xx) rolls its claim back, so it may be retried. Keys are kept 48 hours.
"""

from __future__ import annotations

import hashlib
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKeyConstraint, String, Text, delete, update
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from regulars.kit import clock
from regulars.kit.errors import Conflict, InvalidField, ProblemError
from regulars.kit.models import Base
from regulars.kit.sql import insert_ignore

HEADER = b"idempotency-key"
KEEP = timedelta(hours=48)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    merchant_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)


@dataclass
class Pending:
    key: str
    request_hash: str
    merchant_id: uuid.UUID | None = None
    session_id: int | None = None  # the transaction that holds the claim (a retry claims anew)


_pending: ContextVar[Pending | None] = ContextVar("idempotency_pending", default=None)


class Replay(ProblemError):
    """Not an error: carries the stored response back out to the middleware."""

    status, slug, title = 200, "replay", "Replay"

    def __init__(self, status_code: int, body: str):
        super().__init__("replayed")
        self.status_code, self.body = status_code, body


def claim(session: Session, merchant_id: uuid.UUID) -> None:
    """Called at the start of every writing transaction of a request."""
    pending = _pending.get()
    if pending is None or pending.session_id == id(session):
        return
    values = {
        "merchant_id": merchant_id,
        "key": pending.key,
        "request_hash": pending.request_hash,
        "created_at": clock.now(),
    }
    if insert_ignore(session, IdempotencyKey.__table__, values):  # type: ignore[arg-type]
        pending.merchant_id, pending.session_id = merchant_id, id(session)
        return
    row = session.get(IdempotencyKey, (merchant_id, pending.key), populate_existing=True)
    if row is None:  # expired and purged between the two statements; treat as new next time
        raise Conflict("Idempotency-Key is being reused; try again")
    if row.request_hash != pending.request_hash:
        raise InvalidField("Idempotency-Key", "was used with a different request")
    if row.response is None or row.status_code is None:
        raise Conflict("a request with this Idempotency-Key is in flight or its response was lost")
    raise Replay(row.status_code, row.response)


def purge(session: Session, merchant_id: uuid.UUID | None = None) -> int:
    """Deletes keys older than KEEP (of one merchant, or of all)."""
    q = delete(IdempotencyKey).where(IdempotencyKey.created_at < clock.now() - KEEP)
    if merchant_id is not None:
        q = q.where(IdempotencyKey.merchant_id == merchant_id)
    return int(session.execute(q).rowcount)  # type: ignore[attr-defined]


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, store: Any):
        self.app = app
        self.store = store  # callable(fn) -> runs fn(session) in a write transaction

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        digest = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        pending = Pending(key, digest)
        token = _pending.set(pending)
        captured: dict[str, Any] = {"status": 500, "headers": [], "body": b""}
        replay_body = [body]

        async def replay_receive() -> Message:
            if replay_body:
                return {"type": "http.request", "body": replay_body.pop(), "more_body": False}
            return await receive()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = message.get("headers", [])
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        finally:
            _pending.reset(token)
        if pending.merchant_id is not None and captured["status"] < 400:  # it committed
            await self._save(pending, captured["status"], captured["body"])

    def _key(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            return None
        if not scope["path"].startswith("/api/"):
            return None
        for name, value in scope.get("headers", []):
            if name == HEADER:
                return value.decode("latin-1").strip()[:200] or None
        return None

    async def _save(self, pending: Pending, status: int, body: bytes) -> None:
        from starlette.concurrency import run_in_threadpool

        def save(session: Session) -> None:
            session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.merchant_id == pending.merchant_id,
                    IdempotencyKey.key == pending.key,
                )
                .values(status_code=status, response=body.decode())
            )

        await run_in_threadpool(self.store, save)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
