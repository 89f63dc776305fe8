"""Request plumbing shared by every API route: who is calling, and the transaction runner.

The API key is checked inside the request's own transaction, as its first statement: one
transaction (and on PostgreSQL one BEGIN/COMMIT pair) per request instead of two, and a key
revoked a moment ago is refused by the very next statement that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
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


async def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


class Tx:
    """Runs one service function in the request's transaction (`Database.run` or, from an `async
    def` route, `arun`), authenticating the caller's key as the transaction's first statement.
    A request that writes also claims its Idempotency-Key there. `write` follows the method;
    `reading` is for a POST that only reads (a quote), `writing` for a GET that records itself
    (a data export's audit row)."""

    def __init__(self, db: Database, secret: str, write: bool):
        self.db, self.secret, self.write = db, secret, write

    @property
    def reading(self) -> Tx:
        return Tx(self.db, self.secret, write=False)

    @property
    def writing(self) -> Tx:
        return Tx(self.db, self.secret, write=True)

    @cached_property
    def ctx(self) -> Ctx:
        """For the few routes that need the caller before any transaction of their own."""
        return self.db.run(lambda s: service.authenticate_key(s, self.secret), write=False)

    def _work(
        self, fn: Callable[Concatenate[Session, Ctx, P], T], *args: P.args, **kw: P.kwargs
    ) -> Callable[[Session], T]:
        claim = self.write

        def work(session: Session) -> T:
            ctx = service.authenticate_key(session, self.secret)
            if claim:
                idempotency.claim(session, ctx.merchant_id)
            return fn(session, ctx, *args, **kw)

        return work

    def __call__(
        self, fn: Callable[Concatenate[Session, Ctx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        return self.db.run(self._work(fn, *args, **kwargs), write=self.write)

    async def arun(
        self, fn: Callable[Concatenate[Session, Ctx, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """The same from an `async def` route (the till's short transactions)."""
        return await self.db.arun(self._work(fn, *args, **kwargs), write=self.write)


async def tx(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Tx:
    if creds is None or creds.scheme.lower() != "bearer":
        raise Unauthorized("send Authorization: Bearer <API key>")
    db: Database = request.app.state.db
    return Tx(db, creds.credentials, write=request.method not in ("GET", "HEAD"))
