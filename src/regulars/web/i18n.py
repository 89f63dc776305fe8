"""Languages of the pages and messages: gettext catalogs read from the .po files at startup.

The .po files under `regulars/locale/<lang>/LC_MESSAGES/` are the source; they are compiled in
memory (Babel's write_mo into a buffer), so no compiled .mo file lives in git or needs a build
step. See docs/i18n.md.
"""

from __future__ import annotations

import gettext
from datetime import date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from regulars.kit.money import format_money

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
DEFAULT = "en"
# Each language is named in itself, as the switcher shows it.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "my": "မြန်မာ",
    "ur": "اردو",
    "lo": "ລາວ",
    "ms": "Bahasa Melayu",
}


def N_(message: str) -> str:
    """Marks a string for extraction; it is translated where it is shown."""
    return message


def supported(lang: str | None) -> str | None:
    """The shipped language for a locale tag ("ur", "ur_PK", "ms-MY"), or None."""
    if not lang:
        return None
    base = lang.replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else None


def choose(*candidates: str | None) -> str:
    """The first candidate we ship a catalog for, else English."""
    for candidate in candidates:
        lang = supported(candidate)
        if lang:
            return lang
    return DEFAULT


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> gettext.NullTranslations:
    path = po_path(lang)
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_all() -> None:
    """Compile every catalog now, so a broken .po fails at startup rather than on a page."""
    for lang in LANGUAGES:
        translations(lang)


def gettext_for(lang: str) -> gettext.NullTranslations:
    return translations(choose(lang))


def direction(lang: str) -> str:
    return "rtl" if Locale.parse(lang).character_order == "right-to-left" else "ltr"


def money(minor: int, currency: str, lang: str) -> str:
    return format_money(minor, currency, lang)


def day(value: date | None, lang: str) -> str:
    return "" if value is None else str(format_date(value, "medium", locale=lang))


def moment(value: datetime | None, lang: str, timezone: str) -> str:
    """A stored UTC time in the merchant's time zone: medium date, short time (no seconds)."""
    if value is None:
        return ""
    zone = ZoneInfo(timezone)
    local = value.astimezone(zone)
    pattern = str(get_datetime_format("medium", locale=lang))
    day_text = str(format_date(local.date(), "medium", locale=lang))
    time_text = str(format_time(local, "short", tzinfo=zone, locale=lang))
    return pattern.replace("{1}", day_text).replace("{0}", time_text)


def local_day(value: datetime | None, lang: str, timezone: str) -> str:
    """The calendar day of a stored UTC time, in the merchant's time zone."""
    return "" if value is None else day(value.astimezone(ZoneInfo(timezone)).date(), lang)
