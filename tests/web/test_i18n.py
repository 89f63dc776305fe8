from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from regulars.web import i18n

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = i18n.LOCALE_DIR / "messages.pot"


def _template_ids() -> set[str]:
    with TEMPLATE.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


def test_template_lists_every_string_marked_in_the_sources() -> None:
    method_map = [("**.py", "python"), ("web/templates/**.html", "jinja2")]
    options = {"web/templates/**.html": {"trimmed": "true"}}
    found = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / "src" / "regulars",
            method_map,
            options_map=options,
            keywords={"_": None, "gettext": None, "N_": None},
        )
        if isinstance(message, str)
    }
    missing = found - _template_ids()
    assert not missing, f"run pybabel extract (docs/i18n.md); not in messages.pot: {missing}"


@pytest.mark.parametrize("lang", sorted(i18n.LANGUAGES))
def test_every_template_msgid_is_translated(lang: str) -> None:
    with i18n.po_path(lang).open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    untranslated = [
        mid
        for mid in _template_ids()
        if mid not in catalog or not catalog[mid].string or catalog[mid].fuzzy
    ]
    assert untranslated == []
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert problems == []  # placeholders such as %(name)s match the msgid


def test_catalogs_are_used_at_run_time() -> None:
    assert i18n.translations("my").gettext("Customers") == "ဖောက်သည်များ"
    assert i18n.translations("ur").gettext("Sign out") == "سائن آؤٹ"
    assert i18n.translations("lo").gettext("Member card") == "ບັດສະມາຊິກ"
    assert i18n.translations("ms").gettext("Search") == "Cari"


def test_language_choice_falls_back_in_order() -> None:
    assert i18n.choose(None, "ur_PK", "my") == "ur"
    assert i18n.choose("th", "ms-MY") == "ms"
    assert i18n.choose(None, "fr") == "en"
    assert [i18n.direction(lang) for lang in ("en", "my", "ur", "lo", "ms")] == [
        "ltr", "ltr", "rtl", "ltr", "ltr",
    ]  # fmt: skip


def test_money_and_dates_follow_locale_and_currency() -> None:
    assert (
        i18n.money(500000, "MMK", "my") == "500,000\u00a0K"
    )  # CLDR puts a no-break space before the symbol
    assert i18n.money(150000, "PKR", "ur") == "Rs1,500.00"
    assert i18n.money(1250, "MYR", "ms") == "RM12.50"
    assert i18n.money(1500000, "LAK", "lo") == "₭1.500.000"
    assert i18n.day(date(2026, 3, 9), "ms") == "9 Mac 2026"
    assert i18n.day(date(2026, 3, 9), "ur") == "9 مارچ، 2026"
    # 23:30 UTC is already the next morning in Karachi (UTC+5).
    at = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
    assert i18n.moment(at, "en", "Asia/Karachi") == "Mar 10, 2026, 4:30\u202fAM"
    assert i18n.moment(at, "my", "Asia/Yangon") == "2026 မတ် 10 6:00"
    assert i18n.local_day(at, "ur", "Asia/Karachi") == "10 مارچ، 2026"
