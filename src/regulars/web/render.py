"""Jinja2 environments, one per language (gettext installed once, so rendering shares no state)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import segno
from babel.dates import format_timedelta
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from regulars.kit import codes
from regulars.kit.money import format_number
from regulars.web import i18n
from regulars.web.session import csrf_token

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SVG_SIZE = re.compile(r'^<svg width="(\d+)" height="(\d+)"')


def scalable_svg(svg: str, label: str) -> Markup:
    """segno's fixed-size SVG made to scale with its box (viewBox), so CSS sets the size."""
    match = _SVG_SIZE.match(svg)
    if match:
        w, h = match.groups()
        label = str(Markup.escape(label))
        svg = _SVG_SIZE.sub(f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="{label}"', svg)
    return Markup(svg)  # segno output: no user text inside but the escaped label


def code_qr(code: str) -> Markup:
    """A QR holding the bare code (what a till scanner types), sized by CSS."""
    return scalable_svg(str(segno.make(code, error="m").svg_inline(scale=4, border=2)), code)


@cache
def environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]

    def money(minor: int, currency: str) -> str:
        return i18n.money(minor, currency, lang)

    def day(value: date | None) -> str:
        return i18n.day(value, lang)

    def moment(value: datetime | None, timezone: str) -> str:
        return i18n.moment(value, lang, timezone)

    def local_day(value: datetime | None, timezone: str) -> str:
        return i18n.local_day(value, lang, timezone)

    def number(value: int) -> str:
        return format_number(value, lang)

    def duration(minutes: int) -> str:
        """Minutes as people say them: "35 minutes", "3 hours", "2 days" (Babel, rounded)."""
        return format_timedelta(timedelta(minutes=minutes), threshold=1.5, locale=lang)

    def signed(value: int) -> str:
        return ("+" if value > 0 else "−" if value < 0 else "") + number(abs(value))

    env.filters.update(
        number=number,
        signed=signed,
        duration=duration,
        money=money,
        day=day,
        moment=moment,
        local_day=local_day,
        grouped=lambda c: codes.group(c, 4),
    )
    return env


def page(
    request: Request, template: str, lang: str, *, status: int = 200, **values: Any
) -> HTMLResponse:
    html = (
        environment(lang)
        .get_template(template)
        .render(
            request=request,
            lang=lang,
            dir=i18n.direction(lang),
            languages=i18n.LANGUAGES,
            csrf=csrf_token(request),
            **values,
        )
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
