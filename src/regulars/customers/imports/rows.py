"""One CSV row -> the values a customer would get from the API, or the reason it is rejected.

Phone, email and name go through the same identity functions as `service.normalize_profile`, so
an imported customer is found exactly like one created through the API. The other checks mirror
`schemas._Profile` (lengths, date range, tag rules, attribute size). Only name, phone and email
(how a customer is recognised) reject a row; a bad optional field (dates, locale, tags, consent,
attributes) is left out and reported as a warning on the imported row.

Dates: `YYYY-MM-DD` always; `14/05/1991` (also with `.` or `-`) is read in the order the shop's
locale writes dates (Babel's short date pattern: day first in en_PK, my, ur, lo, ms; month first
in en / en_US).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel.dates import get_date_format

from regulars.customers.identity import clean_name, fold, parse_email, parse_phone
from regulars.customers.schemas import MAX_ATTRIBUTES_BYTES
from regulars.kit.errors import InvalidField

PROFILE_COLUMNS = ("name", "phone", "email", "birthday", "anniversary", "locale", "tags")
CONSENT_COLUMNS = {"consent_email": "email", "consent_sms": "sms"}
COLUMNS = (*PROFILE_COLUMNS, *CONSENT_COLUMNS)
IGNORED_COLUMNS = ("member_code",)  # codes are issued by the importing merchant
ATTRIBUTE_PREFIX = "attributes."  # lets an attribute share a name with a column
LOCALES = ("en", "my", "ur", "lo", "ms")
MAX_TAGS, MAX_TAG_LENGTH = 30, 40
MAX_LENGTH = {"name": 200, "phone": 40, "email": 254}
EARLIEST, LATEST = date(1900, 1, 1), date(2100, 1, 1)
YES, NO = frozenset({"yes", "true", "1"}), frozenset({"no", "false", "0"})
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMERIC_DATE = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})")
OPTIONAL_COLUMNS = frozenset({"birthday", "anniversary", "locale", "tags", *CONSENT_COLUMNS})
# A cell starting with one of these is a formula to a spreadsheet (CSV injection): the export
# writes such text with a leading apostrophe, which spreadsheets show as text and hide, and the
# import takes that apostrophe off again, so a file round-trips unchanged.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(text: str) -> str:
    """`text` as a CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def from_text_cell(text: str) -> str:
    """The text `as_text_cell` wrote (a cell typed by hand passes through)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


_TAG_SPLIT = re.compile(r"[;|]")


class Rejected(Exception):
    """A row that writes nothing; `reason` starts with the field it is about."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = f"{field}: {message}"


@dataclass(frozen=True)
class Header:
    """Where each known column sits, and which other columns become custom attributes."""

    width: int
    known: dict[str, int]
    attributes: tuple[tuple[int, str], ...]

    @classmethod
    def parse(cls, cells: Sequence[str]) -> Header:
        known: dict[str, int] = {}
        attributes: list[tuple[int, str]] = []
        seen: set[str] = set()
        for i, raw in enumerate(cells):
            name = from_text_cell(raw.strip().lstrip("\ufeff").strip())
            key = name.lower()
            if not name:
                continue
            if key in COLUMNS:
                if key in known:
                    raise InvalidField("file", f"the column {key!r} appears twice")
                known[key] = i
            elif key in IGNORED_COLUMNS:
                continue
            else:
                attr = name[len(ATTRIBUTE_PREFIX) :] if key.startswith(ATTRIBUTE_PREFIX) else name
                if attr in seen or not attr:
                    raise InvalidField("file", f"the column {name!r} appears twice or is empty")
                seen.add(attr)
                attributes.append((i, attr))
        if not {"name", "phone", "email"} & known.keys():
            raise InvalidField("file", "needs a header row with a name, phone or email column")
        return cls(len(cells), known, tuple(attributes))


@dataclass
class Row:
    """A row that passed every check: `values` holds only the non-empty fields it gives;
    `warnings` the optional fields left out, each "field: why"."""

    number: int
    values: dict[str, Any]
    consent: dict[str, bool] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def identity_keys(self) -> list[tuple[str, str]]:
        return [(f, self.values[f]) for f in ("phone", "email") if f in self.values]


@lru_cache(maxsize=65536)
def _name(text: str) -> tuple[str, str]:
    # Names repeat a lot in a shop's list and the Zawgyi check is the costly part.
    cleaned = clean_name(text)
    return cleaned, fold(cleaned)


DateOrder = Literal["dmy", "mdy", "ymd"]


@lru_cache(maxsize=64)
def date_order(locale: str, country: str) -> DateOrder:
    """How the shop's locale writes a numeric date (Babel's short pattern), e.g. "dmy" for
    d/M/yy (Burmese, Urdu, Lao, Malay; English in Pakistan or Malaysia), "mdy" for M/d/yy."""
    try:
        found = Locale.parse(f"{locale}_{country}")
    except (UnknownLocaleError, ValueError):
        try:
            found = Locale.parse(locale)
        except (UnknownLocaleError, ValueError):
            return "ymd"
    pattern = get_date_format("short", locale=found).pattern
    places = {ch: pattern.find(ch) for ch in "dMy"}
    if min(places.values()) < 0:
        return "ymd"
    order = "".join(sorted(places, key=lambda ch: places[ch])).lower()
    return order if order in ("dmy", "mdy") else "ymd"  # type: ignore[return-value]


def _example(order: DateOrder) -> str:
    return {"dmy": "14/05/1991", "mdy": "05/14/1991", "ymd": "1991-05-14"}[order]


def _date(column: str, text: str, order: DateOrder = "ymd") -> date:
    try:
        if _DATE.fullmatch(text):
            value = date.fromisoformat(text)
        else:
            match = _NUMERIC_DATE.fullmatch(text)
            if match is None:
                raise ValueError
            a, b, c = (int(part) for part in match.groups())
            if len(match.group(1)) == 4:  # 1991/05/14: year first is never ambiguous
                value = date(a, b, c)
            elif len(match.group(3)) != 4 or order == "ymd":
                raise ValueError  # two-digit years and unknown orders are not guessed
            else:
                day, month = (a, b) if order == "dmy" else (b, a)
                value = date(c, month, day)
    except ValueError:
        example = _example(order)
        form = "YYYY-MM-DD" if order == "ymd" else f"YYYY-MM-DD or like {example}"
        raise Rejected(column, f"is not a date in {form} form") from None
    if not EARLIEST <= value <= LATEST:
        raise Rejected(column, "must be between 1900-01-01 and 2100-01-01")
    return value


def _tags(text: str) -> list[str]:
    tags: list[str] = []
    for part in _TAG_SPLIT.split(text):
        tag = " ".join(part.split())
        if not tag:
            continue
        if len(tag) > MAX_TAG_LENGTH:
            raise Rejected("tags", f"each tag is 1 to {MAX_TAG_LENGTH} characters")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise Rejected("tags", f"at most {MAX_TAGS} tags")
    return tags


def _consent(column: str, text: str) -> bool:
    word = text.lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise Rejected(column, "must be yes or no (or true/false, 1/0), or empty")


def _identity(column: str, text: str, country: str) -> str:
    if len(text) > MAX_LENGTH[column]:
        raise Rejected(column, f"is longer than {MAX_LENGTH[column]} characters")
    try:
        return parse_phone(text, country) if column == "phone" else parse_email(text)
    except InvalidField as exc:
        raise Rejected(column, exc.errors[0]["message"]) from None


def parse_row(
    header: Header, number: int, cells: Sequence[str], country: str, order: DateOrder = "ymd"
) -> Row:
    """Raises Rejected naming the first identity field (name, phone, email) in column order that
    is wrong; a wrong optional field is left out with a warning."""
    if len(cells) > header.width and any(c.strip() for c in cells[header.width :]):
        raise Rejected("row", f"has {len(cells)} fields but the header has {header.width}")
    width = len(cells)

    def cell(index: int) -> str:
        return from_text_cell(cells[index].strip()) if index < width else ""

    values: dict[str, Any] = {}
    consent: dict[str, bool] = {}
    warnings: list[str] = []
    for column, index in header.known.items():
        text = cell(index)
        if not text:
            continue
        if column in OPTIONAL_COLUMNS:
            try:
                _optional(column, text, order, values, consent)
            except Rejected as exc:
                warnings.append(f"{exc.reason} (left out)")
            continue
        if column == "name":
            if len(text) > MAX_LENGTH["name"]:
                raise Rejected("name", f"is longer than {MAX_LENGTH['name']} characters")
            name, name_search = _name(text)
            if name:
                values["name"], values["name_search"] = name, name_search
        else:
            values[column] = _identity(column, text, country)
    attributes = {key: cell(i) for i, key in header.attributes if cell(i)}
    if attributes:
        if len(json.dumps(attributes, ensure_ascii=False).encode()) > MAX_ATTRIBUTES_BYTES:
            warnings.append(
                f"attributes: more than {MAX_ATTRIBUTES_BYTES} bytes of JSON (left out)"
            )
        else:
            values["attributes"] = attributes
    if not ("name" in values or "phone" in values or "email" in values):
        raise Rejected("name", "needs a name, phone or email")
    return Row(number, values, consent, warnings)


def _optional(
    column: str, text: str, order: DateOrder, values: dict[str, Any], consent: dict[str, bool]
) -> None:
    """Checks one optional cell into `values`/`consent`; raises Rejected when it is wrong."""
    if column in ("birthday", "anniversary"):
        values[column] = _date(column, text, order)
    elif column == "locale":
        if text.lower() not in LOCALES:
            raise Rejected("locale", "must be one of " + ", ".join(LOCALES))
        values["locale"] = text.lower()
    elif column == "tags":
        tags = _tags(text)
        if tags:
            values["tags"] = tags
    else:
        consent[CONSENT_COLUMNS[column]] = _consent(column, text)
