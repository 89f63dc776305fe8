"""The shipped wording in the five languages, with money and dates as each language writes them."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from regulars.message_templates import render as r
from regulars.message_templates.samples import VARIABLES, sample

SHOPS = {  # the customer's language with the currency and time zone of a shop of that country
    "en": ("MMK", "Asia/Yangon"),
    "my": ("MMK", "Asia/Yangon"),
    "ur": ("PKR", "Asia/Karachi"),
    "lo": ("LAK", "Asia/Vientiane"),
    "ms": ("MYR", "Asia/Kuala_Lumpur"),
}


def _render(kind: str, lang: str, **values: object) -> r.Rendered:
    currency, zone = SHOPS[lang]
    return r.render(r.builtin(kind, lang), sample(kind, lang, currency, zone, "Shop") | values)


@pytest.mark.parametrize(
    ("lang", "body"),
    [
        (
            "en",
            "Thanks for your visit, Aung Aung! You spent MMK1,234,500 and earned 12 points "
            "(balance 340).",
        ),
        (
            "my",
            "လာအားပေးတဲ့အတွက် ကျေးဇူးတင်ပါတယ် Aung Aung! ဒီတစ်ခါ 1,234,500\xa0K ဝယ်ယူခဲ့ပါတယ်၊ "
            "ပွိုင့် 12 ရပြီး လက်ကျန် 340 ဖြစ်ပါတယ်။",
        ),
        (
            "ur",
            "تشریف لانے کا شکریہ Aung Aung! آپ نے Rs12,345.00 کی خریداری کی اور 12 پوائنٹس "
            "حاصل کیے (کل 340)۔",
        ),
        ("lo", "ຂອບໃຈທີ່ມາອຸດໜູນ Aung Aung! ທ່ານຊື້ທັງໝົດ ₭1.234.500 ແລະ ໄດ້ຮັບ 12 ຄະແນນ (ລວມ 340)."),
        (
            "ms",
            "Terima kasih, Aung Aung! Anda berbelanja RM12,345.00 dan dapat 12 mata (baki 340).",
        ),
    ],
)
def test_money_is_written_in_the_customers_language_and_the_shops_currency(
    lang: str, body: str
) -> None:
    assert _render("thank_you", lang, total=1234500).body == body


@pytest.mark.parametrize(
    ("lang", "day"),
    [
        ("en", "Jan 1, 2027"),
        ("my", "2027 ဇန် 1"),
        ("ur", "1 جنوری، 2027"),
        ("lo", "1 ມ.ກ. 2027"),
        ("ms", "1 Jan 2027"),
    ],
)
def test_dates_are_the_shops_local_day_in_the_customers_language(lang: str, day: str) -> None:
    # 20:00 UTC on 31 December is already 1 January in every one of these shops
    out = _render("birthday", lang, expires_at="2026-12-31T20:00:00+00:00")
    assert day in out.body
    assert "K7M2-Q9XD" in out.body


@pytest.mark.parametrize("lang", r.LOCALES)
@pytest.mark.parametrize("kind", r.KINDS)
def test_every_kind_is_shipped_in_every_language_and_renders(kind: str, lang: str) -> None:
    out = _render(kind, lang)
    assert out.subject and out.body
    assert "{" not in out.body + out.subject
    assert len(out.body) <= 160  # one SMS in Latin script, a few in the others
    assert "Aung Aung" in out.body or kind == "points_expiring" or "Shop" in out.body
    if lang != "en":  # written in the language, not left in English
        assert out.body != _render(kind, "en").body


def test_the_variables_documented_for_each_kind_are_the_ones_used() -> None:
    assert set(VARIABLES) == set(r.KINDS)


@pytest.mark.parametrize(
    "source",
    [
        "{{ name.__class__.__mro__ }}",
        "{{ name.__class__.__subclasses__() }}",
        "{{ ''.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ (name|attr('__class__')) }}",
    ],
)
def test_the_sandbox_refuses_python_internals(source: str) -> None:
    with pytest.raises((SecurityError, UndefinedError)):
        r.compile_text(source).render(sample("welcome", "en", "MMK", "Asia/Yangon", "Shop"))


def test_an_unknown_variable_fails_instead_of_rendering_blank() -> None:
    with pytest.raises(UndefinedError):
        r.compile_text("Hi {{ nmae }}").render(sample("welcome", "en", "MMK", "Asia/Yangon", "S"))
