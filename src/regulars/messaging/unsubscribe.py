"""The unsubscribe link in marketing email (RFC 8058): GET shows a page that asks, POST (the
page's button, or a mail client's one-click `List-Unsubscribe=One-Click`) withdraws the consent
the signed token names. The token is the authority, so the POST needs no session or CSRF token;
repeating it changes nothing more."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from regulars.db import Database
from regulars.merchants import service as merchants
from regulars.messaging import service
from regulars.web import i18n
from regulars.web.render import page
from regulars.web.routing import database

router = APIRouter(include_in_schema=False)


def _who(session: Session, token: str) -> tuple[object, str, str] | None:
    found = service.read_token(token)
    if found is None:
        return None
    merchant_id, customer_id, channel = found
    try:
        merchant = merchants.get_merchant(session, merchant_id)
        customer = service.load_customer(session, merchant_id, customer_id)
    except Exception:
        return None
    return merchant, i18n.choose(customer.locale, merchant.locale), channel


def _page(request: Request, token: str, db: Database, done: bool) -> HTMLResponse:
    who = db.run(lambda s: _who(s, token), write=False)
    if who is None:
        return page(request, "unsubscribe.html", "en", status=404, shop=None, valid=False)
    merchant, lang, channel = who
    return page(
        request,
        "unsubscribe.html",
        lang,
        shop=merchant,
        valid=True,
        done=done,
        channel=channel,
        token=token,
    )


@router.get("/u/{token}")
def confirm(request: Request, token: str, db: Database = Depends(database)) -> HTMLResponse:
    return _page(request, token, db, done=False)


@router.post("/u/{token}")
def withdraw(request: Request, token: str, db: Database = Depends(database)) -> HTMLResponse:
    if db.run(lambda s: service.unsubscribe(s, token)) is None:
        return page(request, "unsubscribe.html", "en", status=404, shop=None, valid=False)
    return _page(request, token, db, done=True)
