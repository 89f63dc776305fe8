"""The wording of a message kind in a language: the merchant's own, else the shipped one; saving
checks that it compiles and renders; rendering for a customer in their language.

Which language: the message's own, else the customer's, else the shop's, else English (the
first of these we ship, `web.i18n.choose`).
"""

from __future__ import annotations

import uuid
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.customers.models import Customer
from regulars.kit import clock
from regulars.kit.context import Ctx, MerchantInfo
from regulars.kit.errors import InvalidField, NotFound
from regulars.merchants import service as merchants
from regulars.message_templates import render as r
from regulars.message_templates.models import MessageTemplate
from regulars.message_templates.samples import NO_NAME, VARIABLES, sample
from regulars.message_templates.schemas import TemplateIn
from regulars.web.i18n import choose

_T = MessageTemplate


def check_kind(kind: str, locale: str) -> None:
    if kind not in r.KINDS:
        raise NotFound(f"no message kind {kind!r}")
    if locale not in r.LOCALES:
        raise NotFound(f"no language {locale!r}; one of {', '.join(r.LOCALES)}")


def _override(session: Session, merchant_id: uuid.UUID, kind: str, locale: str) -> _T | None:
    q = select(_T).where(_T.merchant_id == merchant_id, _T.kind == kind, _T.locale == locale)
    return session.scalar(q)


def wording(session: Session, merchant_id: uuid.UUID, kind: str, locale: str) -> r.Wording:
    found = _override(session, merchant_id, kind, locale)
    return r.Wording(found.subject, found.body) if found else r.builtin(kind, locale)


def _problem(field: str, kind: str, exc: Exception) -> InvalidField:
    if isinstance(exc, SecurityError):
        return InvalidField(field, f"not allowed in a template: {exc}")
    if isinstance(exc, TemplateSyntaxError):
        return InvalidField(field, f"line {exc.lineno}: {exc.message}")
    if isinstance(exc, UndefinedError):
        return InvalidField(field, f"{exc.message}; it may use {', '.join(_names(kind))}")
    return InvalidField(field, f"does not render: {exc}")


def _names(kind: str) -> list[str]:
    return sorted({"name", "shop", "member_code"} | set(VARIABLES.get(kind, {})))


def _sample(ctx: Ctx, kind: str, locale: str) -> dict[str, Any]:
    m = ctx.merchant
    return sample(kind, locale, m.currency, m.timezone, m.name)


def check(ctx: Ctx, kind: str, locale: str, data: TemplateIn) -> r.Rendered:
    """Compiles both parts and renders them with the kind's sample values: 422 naming the part
    (`subject`, `body`) otherwise, sandbox violations included."""
    context = _sample(ctx, kind, locale)
    for field in ("subject", "body"):
        try:
            r.compile_text(getattr(data, field)).render(context)
        except (TemplateError, ValueError, TypeError, ArithmeticError, LookupError) as exc:
            raise _problem(field, kind, exc) from None
    return r.render(r.Wording(data.subject, data.body), context)


def template_out(session: Session, ctx: Ctx, kind: str, locale: str) -> dict[str, Any]:
    check_kind(kind, locale)
    found = _override(session, ctx.merchant_id, kind, locale)
    words = r.Wording(found.subject, found.body) if found else r.builtin(kind, locale)
    shown = r.render(words, _sample(ctx, kind, locale))
    return {
        "kind": kind,
        "locale": locale,
        "subject": words.subject,
        "body": words.body,
        "custom": found is not None,
        "updated_at": found.updated_at if found else None,
        "variables": _names(kind),
        "preview": {"subject": shown.subject, "body": shown.body},
    }


def put_template(
    session: Session, ctx: Ctx, kind: str, locale: str, data: TemplateIn
) -> dict[str, Any]:
    merchants.require_role(ctx, "manager")
    check_kind(kind, locale)
    check(ctx, kind, locale, data)
    found = _override(session, ctx.merchant_id, kind, locale)
    if found is None:
        found = _T(merchant_id=ctx.merchant_id, kind=kind, locale=locale)
        session.add(found)
    found.subject, found.body = data.subject, data.body
    found.updated_by, found.updated_at = ctx.actor.id, clock.now()
    session.flush()
    merchants.record_audit(
        session, ctx, "message_template.saved", "message_template", found.id,
        {"kind": kind, "locale": locale},
    )  # fmt: skip
    return template_out(session, ctx, kind, locale)


def reset_template(session: Session, ctx: Ctx, kind: str, locale: str) -> dict[str, Any]:
    """Back to the shipped wording."""
    merchants.require_role(ctx, "manager")
    check_kind(kind, locale)
    found = _override(session, ctx.merchant_id, kind, locale)
    if found is not None:
        session.delete(found)
        session.flush()
        merchants.record_audit(
            session, ctx, "message_template.reset", "message_template", found.id,
            {"kind": kind, "locale": locale},
        )  # fmt: skip
    return template_out(session, ctx, kind, locale)


def custom_set(session: Session, ctx: Ctx) -> set[tuple[str, str]]:
    """(kind, locale) the merchant has its own wording for (the staff page's grid)."""
    q = select(_T.kind, _T.locale).where(_T.merchant_id == ctx.merchant_id)
    return {(k, loc) for k, loc in session.execute(q)}


# --- rendering for a customer -------------------------------------------------------------------


def locale_for(customer: Customer | None, merchant: MerchantInfo, asked: str | None = None) -> str:
    return choose(asked, customer.locale if customer else None, merchant.locale)


def context_for(
    merchant: MerchantInfo, customer: Customer | None, locale: str, payload: dict[str, Any]
) -> dict[str, Any]:
    name = (customer.name if customer else None) or NO_NAME[locale]
    return {
        "name": name,
        "shop": merchant.name,
        "member_code": customer.member_code if customer else "",
        **payload,
        "locale": locale,
        "currency": merchant.currency,
        "timezone": merchant.timezone,
    }


def render_for(
    session: Session,
    merchant: MerchantInfo,
    kind: str,
    customer: Customer | None,
    payload: dict[str, Any],
    locale: str | None = None,
) -> tuple[str, r.Rendered]:
    """(language, subject and body) of a message to `customer`."""
    lang = locale_for(customer, merchant, locale)
    context = context_for(merchant, customer, lang, payload)
    return lang, r.render(wording(session, merchant.id, kind, lang), context)
