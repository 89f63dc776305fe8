"""Rendering a message: a sandboxed Jinja2 environment with Babel filters.

A template is plain text (SMS, chat, the text part of an email), so nothing is escaped. The
sandbox refuses attribute access to Python internals (`__class__`, `mro`, ...) and calls of
unsafe methods; an unknown variable fails instead of rendering empty (StrictUndefined), so a
merchant's typo is caught when the template is saved, not when a customer gets a blank.

Filters, all in the customer's language, the merchant's currency and time zone:
`money` (minor units), `number` (points, counts), `date` (a day; a datetime or an ISO string is
taken in the merchant's time zone; `date("long")` for another Babel format).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from jinja2 import StrictUndefined, Template, TemplateError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from regulars.kit.money import format_money, format_number

BUILTIN = Path(__file__).parent / "builtin"
KINDS = (
    "welcome",
    "birthday",
    "anniversary",
    "restock",
    "winback",
    "points_expiring",
    "tier_up",
    "reward_unlocked",
    "thank_you",
)
LOCALES = ("en", "my", "ur", "lo", "ms")
MAX_LENGTH = 4000  # characters of a subject or body a merchant may save


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


@pass_context
def _money(context: Context, minor: int) -> str:
    return format_money(int(minor), context["currency"], context["locale"])


@pass_context
def _number(context: Context, value: int) -> str:
    return format_number(int(value), context["locale"])


@pass_context
def _date(context: Context, value: date | datetime | str | None, form: str = "medium") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(context["timezone"])).date()
    return str(format_date(value, form, locale=context["locale"]))


@cache
def environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False
    )
    env.filters.update(money=_money, number=_number, date=_date)
    return env


@cache
def _compiled(source: str) -> Template:
    return environment().from_string(source)


def compile_text(source: str) -> Template:
    """The template, compiled once per distinct text; TemplateSyntaxError when it is not one."""
    return _compiled(source)


@cache
def builtin(kind: str, locale: str) -> Wording:
    """The shipped wording: the file's first line is the subject, the rest the body."""
    text = (BUILTIN / locale / f"{kind}.txt").read_text(encoding="utf-8")
    subject, _, body = text.partition("\n")
    return Wording(subject.strip(), body.strip())


def render(wording: Wording, context: dict[str, Any]) -> Rendered:
    """Both parts; raises jinja2's TemplateError (SecurityError, UndefinedError, ...)."""
    subject = compile_text(wording.subject).render(context).strip()
    body = compile_text(wording.body).render(context).strip()
    return Rendered(" ".join(subject.split()), body)


__all__ = [
    "KINDS",
    "LOCALES",
    "Rendered",
    "TemplateError",
    "Wording",
    "builtin",
    "compile_text",
    "environment",
    "render",
]
