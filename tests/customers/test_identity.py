"""Phone numbers, names and codes as they are really typed in Yangon, KL, Lahore and Vientiane."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from myanmartools import ZawgyiDetector

from regulars.customers.identity import clean_name, fold, parse_email, parse_phone, try_phone
from regulars.kit import codes
from regulars.kit.errors import InvalidField

ZAWGYI_NAME = "မင္းေအာင္"  # Min Aung, typed with a Zawgyi font
UNICODE_NAME = "မင်းအောင်"


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("09 7812 34567", "MM", "+959781234567"),
        ("+95 9 7812 34567", "MM", "+959781234567"),
        ("959781234567", "MM", "+959781234567"),
        ("၀၉ ၇၈၁၂ ၃၄၅၆၇", "MM", "+959781234567"),
        ("၀၉၇၈၁၂၃၄၅၆၇", "MM", "+959781234567"),
        (" 09-7812-34567 ", "MM", "+959781234567"),
        ("012-345 6789", "MY", "+60123456789"),
        ("+60 12-345 6789", "MY", "+60123456789"),
        ("0300 1234567", "PK", "+923001234567"),
        ("۰۳۰۰ ۱۲۳۴۵۶۷", "PK", "+923001234567"),
        ("+92 300 1234567", "PK", "+923001234567"),
        ("020 5555 1234", "LA", "+8562055551234"),
        ("໐໒໐ ໕໕໕໕ ໑໒໓໔", "LA", "+8562055551234"),
        # An international number is read as written, whatever the shop's country.
        ("+60 12-345 6789", "MM", "+60123456789"),
    ],
)
def test_phone_in_any_local_form_becomes_e164(typed: str, country: str, e164: str) -> None:
    assert parse_phone(typed, country) == e164


@pytest.mark.parametrize(
    ("typed", "country"),
    [
        ("12", "MM"),
        ("", "MM"),
        ("not a phone", "MY"),
        ("09 7812", "MM"),
        ("0300 12345678901234", "PK"),
        ("+999 123 456 789", "LA"),
        ("٠٣٠٠", "PK"),
    ],
)
def test_invalid_phone_is_invalid_field_phone(typed: str, country: str) -> None:
    with pytest.raises(InvalidField) as exc:
        parse_phone(typed, country)
    assert exc.value.field == "phone"
    assert exc.value.status == 422


def test_parse_phone_names_the_field_it_was_given() -> None:
    with pytest.raises(InvalidField) as exc:
        parse_phone("call me", "MM", field="customer.phone")
    assert exc.value.errors == [{"field": "customer.phone", "message": "is not a phone number"}]


def test_try_phone_is_none_for_names_and_short_digits() -> None:
    assert try_phone("Aung Aung", "MM") is None
    assert try_phone("12345", "MM") is None
    assert try_phone("၀၉ ၇၈၁၂ ၃၄၅၆၇", "MM") == "+959781234567"


def test_email_is_lower_cased_and_checked_without_dns() -> None:
    assert parse_email("  Mya.Mya@Example.COM ") == "mya.mya@example.com"
    with pytest.raises(InvalidField) as exc:
        parse_email("mya@")
    assert exc.value.field == "email"


def test_the_zawgyi_sample_really_is_zawgyi() -> None:
    detector = ZawgyiDetector()
    assert detector.get_zawgyi_probability(ZAWGYI_NAME) > 0.95
    assert detector.get_zawgyi_probability(UNICODE_NAME) < 0.05
    assert ZAWGYI_NAME.encode() != UNICODE_NAME.encode()


def test_zawgyi_name_is_stored_as_unicode() -> None:
    assert clean_name(ZAWGYI_NAME) == UNICODE_NAME
    assert clean_name("ေဒၚျမျမ") == "ဒေါ်မြမြ"


@pytest.mark.parametrize(
    "text", [UNICODE_NAME, "ဒေါ်မြမြ", "ສົມສັກ ພົມມະຈັນ", "علی رضا", "José Ramos", "Tan Ah Kow"]
)
def test_unicode_text_is_left_untouched(text: str) -> None:
    assert clean_name(text) == text


def test_clean_name_collapses_whitespace_and_composes() -> None:
    assert clean_name("  Jose\u0301   Ramos \n") == "José Ramos"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("José", "jose"),
        ("JOSÉ RAMOS", "jose ramos"),
        ("علی", "علي"),  # Farsi yeh vs Arabic yeh
        ("کریم", "كريم"),  # keheh vs Arabic kaf
        ("محمد", "مـحـمـد"),  # tatweel
        ("مُحَمَّد", "محمد"),  # harakat
        (ZAWGYI_NAME, UNICODE_NAME),
        ("မင်း\u200bအောင်", UNICODE_NAME),  # zero width space between Burmese words
    ],
)
def test_fold_makes_keyboard_variants_equal(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_keeps_burmese_and_lao_vowel_signs() -> None:
    assert fold("ສົມສັກ") == "ສົມສັກ"
    assert fold("ສມສກ") != fold("ສົມສັກ")
    assert fold(UNICODE_NAME) == UNICODE_NAME


@pytest.mark.parametrize(
    ("typed", "code"),
    [("7k3m-9xq2", "7K3M9XQ2"), ("7K3M 9XQ2", "7K3M9XQ2"), ("o1il-0000", "01110000")],
)
def test_member_codes_read_the_crockford_way(typed: str, code: str) -> None:
    assert codes.normalize(typed) == code


def test_code_with_a_symbol_outside_the_alphabet_is_empty() -> None:
    assert codes.normalize("7K3M-9XQU") == ""
    assert codes.normalize("---") == ""
    assert codes.normalize("") == ""


# --- RELIABILITY 20: the parsers never crash on what a till or a CSV can send ----------------

COUNTRIES = st.sampled_from(["MM", "MY", "PK", "LA", "TH", "US", "ZZ"])
TYPED = st.text() | st.text(
    alphabet=st.characters(min_codepoint=0x1000, max_codepoint=0x109F)
    | st.characters(min_codepoint=0x0600, max_codepoint=0x06FF)
    | st.characters(min_codepoint=0x0E80, max_codepoint=0x0EFF)
    | st.sampled_from("0123456789+-() \u200b\u200c\ufeff")
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TYPED, country=COUNTRIES)
def test_parsers_raise_nothing_but_invalid_field(text: str, country: str) -> None:
    try:
        e164 = parse_phone(text, country)
    except InvalidField as exc:
        assert exc.field == "phone"
    else:
        assert e164.startswith("+") and e164[1:].isdigit()
    try:
        parse_email(text)
    except InvalidField as exc:
        assert exc.field == "email"
    found = try_phone(text, country)
    assert found is None or found.startswith("+")
    assert isinstance(fold(text), str)
    assert isinstance(clean_name(text), str)
    code = codes.normalize(text)
    assert code == "" or set(code) <= set(codes.ALPHABET)


def test_valid_unicode_with_pali_stacking_is_not_mistaken_for_zawgyi() -> None:
    from regulars.customers.identity import clean_name

    assert clean_name("မသန္တာမေဖူး") == "မသန္တာမေဖူး"


def test_converted_zawgyi_is_stored_in_normal_form() -> None:
    import unicodedata

    from regulars.customers.identity import clean_name

    stored = clean_name("မြင့္ျမတ္")
    assert stored == unicodedata.normalize("NFC", stored)
    assert clean_name(stored) == stored
