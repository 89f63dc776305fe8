"""How a customer is recognised: phone (E.164), email, member code, and a searchable name.

Names: Burmese typed with a Zawgyi font is detected (myanmartools) and converted to Unicode
(python-myanmar) before it is stored, so one person has one spelling. The search form of a name
folds what differs between keyboards but not between words: case and Latin accents, Arabic-script
letter variants that Urdu keyboards disagree on, zero-width characters and tatweel.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from myanmar import converter
from myanmartools import ZawgyiDetector

from regulars.kit.errors import InvalidField

_MYANMAR = re.compile("[\u1000-\u109f]")
_LOCAL_DIGITS = str.maketrans(
    {
        **{chr(0x1040 + i): str(i) for i in range(10)},  # Myanmar
        **{chr(0x0ED0 + i): str(i) for i in range(10)},  # Lao
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Extended Arabic-Indic (Urdu)
    }
)
# Urdu is typed on Arabic and Persian layouts; fold each letter to the Urdu code point.
_ARABIC_VARIANTS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
        "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
        "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
        "\u0647": "\u06c1",  # HEH -> HEH GOAL
        "\u0629": "\u06c3",  # TEH MARBUTA -> TEH MARBUTA GOAL
        "\u0640": None,  # TATWEEL
        "\u200b": None,  # ZERO WIDTH SPACE (Burmese text uses it between words)
        "\u200c": None,  # ZWNJ
        "\u200d": None,  # ZWJ
        "\ufeff": None,
    }
)
# Real Zawgyi scores ~1.0; valid Unicode with Pali stacking can score 0.98 (e.g. မသန္တာမေဖူး), so
# the bar is high, and the converted text must itself read as Unicode.
ZAWGYI_THRESHOLD = 0.999
UNICODE_AFTER = 0.05


@cache
def _detector() -> ZawgyiDetector:
    return ZawgyiDetector()


def unicode_burmese(text: str) -> str:
    """Text typed in Zawgyi encoding comes back as Unicode; anything else is returned as is."""
    if not _MYANMAR.search(text):
        return text
    detector = _detector()
    if detector.get_zawgyi_probability(text) < ZAWGYI_THRESHOLD:
        return text
    converted = unicodedata.normalize("NFC", str(converter.convert(text, "zawgyi", "unicode")))
    return converted if detector.get_zawgyi_probability(converted) < UNICODE_AFTER else text


def clean_name(text: str) -> str:
    """The stored display name: NFC, Zawgyi converted, inner whitespace collapsed."""
    text = unicode_burmese(unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def fold(text: str) -> str:
    """The search form of a name or a query; both sides of a search go through this."""
    text = clean_name(text).translate(_ARABIC_VARIANTS)
    decomposed = unicodedata.normalize("NFD", text.casefold())
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch):
            name = unicodedata.name(ch, "")
            # Latin accents and Arabic harakat are dropped; Burmese and Lao vowel signs are
            # letters of the word and stay.
            if "\u0300" <= ch <= "\u036f" or name.startswith("ARABIC"):
                continue
        kept.append(ch)
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


@lru_cache(maxsize=8192)
def parse_phone(text: str, country: str, field: str = "phone") -> str:
    """Any local or international way of writing a number -> E.164, in the merchant's country.
    Cached: the till asks for the same regulars all day, and parsing costs ~70 us."""
    raw = text.translate(_LOCAL_DIGITS).strip()
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise InvalidField(field, "is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidField(field, "is not a valid phone number for its country")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def try_phone(text: str, country: str) -> str | None:
    """Like parse_phone, for search boxes: None when the text is not a phone number."""
    digits = sum(ch.isdigit() for ch in text.translate(_LOCAL_DIGITS))
    if digits < 6:
        return None
    try:
        return parse_phone(text, country)
    except InvalidField:
        return None


def display_phone(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


# A plain ASCII dot-atom local part: for these, checking the domain once (cached) is the whole
# check, which makes bulk imports several times faster. Anything else gets the full validation.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def parse_email(text: str, field: str = "email") -> str:
    """Syntax check only (no DNS: shops run offline); stored lower-cased for uniqueness."""
    text = text.strip()
    local, at, domain = text.rpartition("@")
    if at and len(local) <= 64 and _PLAIN_LOCAL.fullmatch(local) and len(text) <= 254:
        checked = _email_domain(domain.lower())
        if checked is not None:
            return f"{local}@{checked}".lower()
    return _full_email(text, field)


@lru_cache(maxsize=4096)
def _email_domain(domain: str) -> str | None:
    try:
        return str(validate_email(f"a@{domain}", check_deliverability=False).domain)
    except EmailNotValidError:
        return None


def _full_email(text: str, field: str) -> str:
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidField(field, str(exc)) from None
    return str(result.normalized).lower()
