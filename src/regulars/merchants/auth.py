"""Request plumbing shared by every API route: who is calling, and the transaction runner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.kit import idempotency
from regulars.kit.context import Ctx
from regulars.kit.errors import Unauthorized
from regulars.merchants import service

P = ParamSpec("P")
T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="An API key: `rg_..._...`")


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def api_ctx(
    creds: HTTPAuthorizationCredentials | None = Depends(_bearer),
    db: Database = Depends(database),
) -> Ctx:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("send Authorization: Bearer <API key>")
    return db.run(lambda s: service.authenticate_key(s, creds.credentials), write=False)


@dataclass(frozen=True)
class Tx:
    """Runs one service function in the request's transaction (committed, or retried, here)."""

    db: Database
    ctx: Ctx
    write: bool

    def __call__(
        self, fn: Callable[Concatenate[Session, Ctx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if not self.write:
            return self.db.run(lambda s: fn(s, self.ctx, *args, **kwargs), write=False)

        def work(session: Session) -> T:
            idempotency.claim(session, self.ctx.merchant_id)
            return fn(session, self.ctx, *args, **kwargs)

        return self.db.run(work)

    def read(
        self, fn: Callable[Concatenate[Session, Ctx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """For a POST that only reads (a quote): no write lock on SQLite."""
        return self.db.run(lambda s: fn(s, self.ctx, *args, **kwargs), write=False)

    def audited(
        self, fn: Callable[Concatenate[Session, Ctx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """For a GET that records itself (a data export): committed, so the audit row is kept."""
        return self.db.run(lambda s: fn(s, self.ctx, *args, **kwargs), write=True)


def tx(request: Request, ctx: Ctx = Depends(api_ctx), db: Database = Depends(database)) -> Tx:
    return Tx(db, ctx, write=request.method not in ("GET", "HEAD"))
