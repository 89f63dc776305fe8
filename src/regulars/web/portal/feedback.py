"""The portal's listening pages: a member opens a complaint and follows its replies
(/p/{shop}/help), sends a review or a post link for points (/p/{shop}/reviews), and anyone with
a survey link answers it without signing in (/f/{shop}/{token})."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.db import Database
from regulars.feedback import reviews, settings, surveys, tickets
from regulars.feedback.schemas import ReviewCreate, SurveyAnswer, TicketCreate, TicketMessageCreate
from regulars.kit import clock
from regulars.kit.context import SYSTEM, Ctx, MerchantInfo
from regulars.kit.errors import NotFound, ProblemError
from regulars.loyalty import engagement
from regulars.web import i18n
from regulars.web.i18n import N_
from regulars.web.portal.pages import _customer_ctx, _home, _remembered_lang, _signed_in, shop
from regulars.web.render import page
from regulars.web.routing import PageRoute, database
from regulars.web.session import check_csrf, pop_entry
from regulars.web.staff.feedback import STATUS_NAMES

router = APIRouter(route_class=PageRoute, include_in_schema=False)

CATEGORY_NAMES = {
    "product": N_("A product"),
    "service": N_("Our service"),
    "delivery": N_("A delivery"),
    "billing": N_("A bill or a payment"),
    "other": N_("Something else"),
}
TICKET_ERRORS = {
    "subject": N_("Say in a few words what went wrong."),
    "body": N_("Tell us what happened."),
    "category": N_("Choose what it is about."),
}
REVIEW_ERRORS = {
    "url": N_("Paste the link to your post, starting with https://"),
    "body": N_("Write a few words or choose the stars."),
}


def _portal_page(
    request: Request, merchant: MerchantInfo, db: Database, customer_id: uuid.UUID,
    template: str, load: Any, status: int = 200, **values: Any,
) -> Response:  # fmt: skip
    ctx = _customer_ctx(merchant, customer_id)
    hint = _remembered_lang(request)

    def work(s: Session) -> dict[str, Any]:
        customer = customers.get_customer(s, ctx, customer_id, details=False)
        loaded: dict[str, Any] = load(s, ctx)
        return {"lang": i18n.choose(customer.locale, hint, merchant.locale)} | loaded

    try:
        view = db.run(work, write=False)
    except NotFound:  # erased since signing in
        pop_entry(request, "portal", str(merchant.id))
        return _home(merchant)
    return page(
        request, template, view.pop("lang"), status=status, shop=merchant, tz=merchant.timezone,
        statuses=STATUS_NAMES, categories=CATEGORY_NAMES, **view, **values,
    )  # fmt: skip


# --- complaints --------------------------------------------------------------------------------


def _help_page(
    request: Request, merchant: MerchantInfo, db: Database, customer_id: uuid.UUID,
    status: int = 200, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    def load(s: Session, ctx: Ctx) -> dict[str, Any]:
        return {
            "tickets": tickets.list_tickets(s, ctx, customer_id=customer_id),
            "category_codes": settings.get(s, merchant.id).categories,
        }

    return _portal_page(
        request, merchant, db, customer_id, "portal/help.html", load, status,
        errors=errors or {}, form=form or {},
    )  # fmt: skip


@router.get("/p/{slug}/help")
def help_page(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    return _help_page(request, merchant, db, customer_id)


@router.post("/p/{slug}/help", dependencies=[Depends(check_csrf)])
def open_ticket(
    request: Request,
    category: str = Form("", max_length=40),
    subject: str = Form("", max_length=200),
    body: str = Form("", max_length=5000),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    form = {"category": category, "subject": subject, "body": body}
    errors = {}
    if not body.strip():
        errors["body"] = TICKET_ERRORS["body"]
    try:
        data = TicketCreate(customer_id=customer_id, category=category, subject=subject, body=body)
    except ValidationError as exc:
        errors |= {str(e["loc"][0]): TICKET_ERRORS.get(str(e["loc"][0]), "") for e in exc.errors()}
    if errors:
        return _help_page(request, merchant, db, customer_id, 422, errors, form)
    ctx = _customer_ctx(merchant, customer_id)
    try:
        made = db.run(lambda s: tickets.create(s, ctx, data, source="portal"))
    except ProblemError as exc:
        if exc.status != 422:
            raise
        return _help_page(
            request, merchant, db, customer_id, 422, {"category": TICKET_ERRORS["category"]}, form
        )
    return RedirectResponse(f"/p/{merchant.slug}/help/{made.id}", status_code=303)


def _thread(s: Session, ctx: Ctx, ticket_id: uuid.UUID, customer_id: uuid.UUID) -> dict[str, Any]:
    ticket = tickets.get(s, ctx, ticket_id)
    if ticket.customer_id != customer_id:
        raise NotFound("ticket not found")
    return {"ticket": ticket, "messages": tickets.messages(s, ctx, ticket_id)}


@router.get("/p/{slug}/help/{ticket_id}")
def ticket_page(
    request: Request,
    ticket_id: uuid.UUID,
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    return _portal_page(
        request, merchant, db, customer_id, "portal/ticket.html",
        lambda s, ctx: _thread(s, ctx, ticket_id, customer_id), error=None,
    )  # fmt: skip


@router.post("/p/{slug}/help/{ticket_id}", dependencies=[Depends(check_csrf)])
def reply(
    request: Request,
    ticket_id: uuid.UUID,
    body: str = Form("", max_length=5000),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    ctx = _customer_ctx(merchant, customer_id)
    try:
        data = TicketMessageCreate(body=body, author_type="customer")
    except ValidationError:
        return _portal_page(
            request, merchant, db, customer_id, "portal/ticket.html",
            lambda s, c: _thread(s, c, ticket_id, customer_id), 422, error=TICKET_ERRORS["body"],
        )  # fmt: skip

    def work(s: Session) -> None:
        _thread(s, ctx, ticket_id, customer_id)  # only the member's own ticket
        tickets.add_message(s, ctx, ticket_id, data)

    db.run(work)
    return RedirectResponse(f"/p/{merchant.slug}/help/{ticket_id}#reply", status_code=303)


# --- reviews and posts -------------------------------------------------------------------------


def _reviews_page(
    request: Request, merchant: MerchantInfo, db: Database, customer_id: uuid.UUID,
    status: int = 200, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    def load(s: Session, ctx: Ctx) -> dict[str, Any]:
        system = Ctx(merchant, SYSTEM)
        return {
            "mine": reviews.list_reviews(s, ctx, customer_id=customer_id),
            "review_points": engagement.points_for(s, system, "review"),
            "post_points": engagement.points_for(s, system, "post"),
        }

    return _portal_page(
        request, merchant, db, customer_id, "portal/reviews.html", load, status,
        errors=errors or {}, form=form or {"kind": "review"},
    )  # fmt: skip


@router.get("/p/{slug}/reviews")
def reviews_page(
    request: Request, merchant: MerchantInfo = Depends(shop), db: Database = Depends(database)
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    return _reviews_page(request, merchant, db, customer_id)


@router.post("/p/{slug}/reviews", dependencies=[Depends(check_csrf)])
def submit_review(
    request: Request,
    kind: str = Form("review", max_length=10),
    rating: str = Form("", max_length=2),
    body: str = Form("", max_length=5000),
    url: str = Form("", max_length=500),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    customer_id = _signed_in(request, merchant)
    if customer_id is None:
        return _home(merchant)
    form = {"kind": kind, "rating": rating, "body": body, "url": url}
    fields: dict[str, Any] = {"customer_id": customer_id, "kind": kind, "body": body or None}
    fields |= {"rating": int(rating)} if rating.isdigit() else {}
    fields |= {"url": url.strip()} if url.strip() else {}
    ctx = _customer_ctx(merchant, customer_id)
    try:
        data = ReviewCreate.model_validate(fields)
        db.run(lambda s: reviews.submit(s, ctx, data))
    except ValidationError as exc:
        bad = {str(e["loc"][0]) for e in exc.errors()}
        errors = {k: REVIEW_ERRORS.get(k, REVIEW_ERRORS["body"]) for k in bad}
        return _reviews_page(request, merchant, db, customer_id, 422, errors, form)
    except ProblemError as exc:
        field = exc.errors[0]["field"] if exc.errors else "body"
        errors = {field: REVIEW_ERRORS.get(field, REVIEW_ERRORS["body"])}
        return _reviews_page(request, merchant, db, customer_id, 422, errors, form)
    return RedirectResponse(f"/p/{merchant.slug}/reviews?sent=1", status_code=303)


# --- a survey link -----------------------------------------------------------------------------


def _survey_page(
    request: Request, merchant: MerchantInfo, db: Database, token: str, status: int = 200,
    **values: Any,
) -> Response:  # fmt: skip
    hint = _remembered_lang(request)

    def load(s: Session) -> dict[str, Any]:
        survey = surveys.by_token(s, merchant.id, token)
        if survey is None:
            return {"survey": None, "lang": i18n.choose(hint, merchant.locale)}
        customer = customers.get_customer(s, Ctx(merchant, SYSTEM), survey.customer_id, False)
        return {"survey": survey, "lang": i18n.choose(customer.locale, hint, merchant.locale)}

    view = db.run(load, write=False)
    survey = view["survey"]
    expired = survey is not None and survey.expires_at <= clock.now()
    return page(
        request, "portal/survey.html", view["lang"], status=status if survey else 404,
        shop=merchant, survey=survey, expired=expired, token=token, **values,
    )  # fmt: skip


@router.get("/f/{slug}/{token}")
def survey_page(
    request: Request,
    token: str,
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    return _survey_page(request, merchant, db, token)


@router.post("/f/{slug}/{token}", dependencies=[Depends(check_csrf)])
def answer_survey(
    request: Request,
    token: str,
    score: int = Form(..., ge=0, le=10),
    comment: str = Form("", max_length=2000),
    merchant: MerchantInfo = Depends(shop),
    db: Database = Depends(database),
) -> Response:
    ctx = Ctx(merchant, SYSTEM)
    data = SurveyAnswer(score=score, comment=comment or None)

    def work(s: Session) -> int:
        survey = surveys.answer(s, ctx, token, data)
        return engagement.points_for(s, ctx, "survey") if survey.answered_at else 0

    try:
        points = db.run(work)
    except ProblemError as exc:
        if exc.status not in (404, 409, 422):
            raise
        return _survey_page(request, merchant, db, token, 200 if exc.status == 409 else exc.status)
    return _survey_page(request, merchant, db, token, thanks=True, points=points)
