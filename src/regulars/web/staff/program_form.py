"""The program settings form: flat HTML fields <-> the nested Program document.

Money is typed in major units and converted with the currency's exponent; list sections
(multipliers, double-points ranges, stamp cards, tiers) are numbered rows, blank rows skipped.
A field's error is keyed by the field's name in the form, so it shows next to that field.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from regulars.loyalty.program import Program
from regulars.web.i18n import N_
from regulars.web.loyalty_view import major_text, to_minor

EXTRA_ROWS = 2
LANGS = ("en", "my", "ur", "lo", "ms")
# Texts a shop can give in other languages: form field base -> the Program's {lang: text} field.
# In the form each is one field per language, e.g. `tier-0-name_my`, `card-1-reward_name_ur`.
TRANSLATED = {
    "card": {"name": "names", "reward_name": "reward_names"},
    "tier": {"name": "names", "perks": "perks_i18n"},
}
TRANSLATION_FIELDS = {
    f"{base}_{lang}": (document_field, lang)
    for bases in TRANSLATED.values()
    for base, document_field in bases.items()
    for lang in LANGS
}
ROW_FIELDS = {
    "cat": ("key", "percent"),
    "sku": ("key", "percent"),
    "dp": ("name", "start", "end", "percent"),
    "card": (
        *("code", "name", "categories", "skus", "stamps_required", "reward_name", "reward_sku"),
        *(f"{base}_{lang}" for base in TRANSLATED["card"] for lang in LANGS),
    ),
    "tier": (
        *("code", "name", "min_spend", "multiplier", "perks"),
        *(f"{base}_{lang}" for base in TRANSLATED["tier"] for lang in LANGS),
    ),
}
MONEY = {"earn_per_amount", "min_spend", "pay_point_value", "referral_min_spend"}
ROW_MONEY = {("tier", "min_spend")}
DEFAULTED = {("tier", "multiplier"), ("tier", "perks"), ("dp", "percent")}
GENERIC = N_("This value is not valid.")
MESSAGES = {
    "required": N_("Required."),
    "number": N_("Type a whole number."),
    "money": N_("Type an amount, e.g. 1000 or 12.50, with no more decimals than the currency has."),
    "too_small": N_("Too small: at least %(limit)s."),
    "too_large": N_("Too large: at most %(limit)s."),
    "pattern": N_("Letters, digits, - and _ only."),
    "date": N_("This date is not valid."),
    "order": N_("The end is before the start."),
    "tiers_rise": N_("Each tier needs a higher spend than the one before; the first starts at 0."),
    "unique": N_("Codes must be unique."),
    "scope": N_("Give eligible categories or SKUs."),
    "percent": N_("A percent from 0 to 10000."),
}
# Top-level Program fields -> form field names.
SIMPLE = {
    ("earn", "points"): "earn_points",
    ("earn", "per_amount"): "earn_per_amount",
    ("earn", "min_spend"): "min_spend",
    ("bonuses", "birthday_month_percent"): "birthday_month_percent",
    ("bonuses", "first_purchase_points"): "first_purchase_points",
    ("bonuses", "signup_points"): "signup_points",
    ("tiers", "window_months"): "window_months",
    ("tiers", "downgrade_grace_days"): "downgrade_grace_days",
    ("expiry_months",): "expiry_months",
    ("plan_on_time_points",): "plan_on_time_points",
    ("points_payment", "point_value"): "pay_point_value",
    ("points_payment", "max_percent"): "pay_max_percent",
    ("referral", "referrer_points"): "referral_referrer_points",
    ("referral", "friend_points"): "referral_friend_points",
    ("referral", "family_points"): "referral_family_points",
    ("referral", "min_spend"): "referral_min_spend",
    ("referral", "monthly_cap"): "referral_monthly_cap",
}
FAMILY_TIERS = "referral_family_tiers"  # tier codes, comma separated
LISTS = {
    ("earn", "category_multipliers"): "cat",
    ("earn", "product_multipliers"): "sku",
    ("bonuses", "double_points"): "dp",
    ("stamp_cards",): "card",
    ("tiers", "levels"): "tier",
}


class FormErrors(Exception):
    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]):
        super().__init__("invalid program form")
        self.errors = errors


def to_form(program: Program, currency: str) -> dict[str, Any]:
    """Field values for the form (strings), plus the numbered rows of each list section."""
    earn, bonuses, tiers, pay = program.earn, program.bonuses, program.tiers, program.points_payment
    form: dict[str, Any] = {
        "earn_points": str(earn.points),
        "earn_per_amount": major_text(earn.per_amount, currency),
        "min_spend": major_text(earn.min_spend, currency),
        "birthday_month_percent": str(bonuses.birthday_month_percent),
        "first_purchase_points": str(bonuses.first_purchase_points),
        "signup_points": str(bonuses.signup_points),
        "window_months": str(tiers.window_months),
        "downgrade_grace_days": str(tiers.downgrade_grace_days),
        "expiry_months": str(program.expiry_months),
        "plan_on_time_points": str(program.plan_on_time_points),
        "pay_enabled": pay.enabled,
        "pay_point_value": major_text(pay.point_value, currency),
        "pay_max_percent": str(pay.max_percent),
        "referral_referrer_points": str(program.referral.referrer_points),
        "referral_friend_points": str(program.referral.friend_points),
        "referral_family_points": str(program.referral.family_points),
        "referral_min_spend": major_text(program.referral.min_spend, currency),
        "referral_monthly_cap": str(program.referral.monthly_cap),
        FAMILY_TIERS: ", ".join(program.referral.family_tiers),
    }
    rows: dict[str, list[dict[str, str]]] = {
        "cat": [{"key": k, "percent": str(v)} for k, v in earn.category_multipliers.items()],
        "sku": [{"key": k, "percent": str(v)} for k, v in earn.product_multipliers.items()],
        "dp": [
            {
                "name": d.name,
                "start": d.start.isoformat(),
                "end": d.end.isoformat(),
                "percent": str(d.percent),
            }
            for d in bonuses.double_points
        ],
        "card": [
            {
                "code": c.code,
                "name": c.name,
                "categories": ", ".join(c.categories),
                "skus": ", ".join(c.skus),
                "stamps_required": str(c.stamps_required),
                "reward_name": c.reward_name,
                "reward_sku": c.reward_sku or "",
                **_translations("name", c.names),
                **_translations("reward_name", c.reward_names),
            }
            for c in program.stamp_cards
        ],
        "tier": [
            {
                "code": t.code,
                "name": t.name,
                "min_spend": major_text(t.min_spend, currency),
                "multiplier": str(t.multiplier),
                "perks": t.perks,
                **_translations("name", t.names),
                **_translations("perks", t.perks_i18n),
            }
            for t in tiers.levels
        ],
    }
    return form | {"rows": with_blank_rows(rows)}


def _translations(base: str, texts: dict[Any, str]) -> dict[str, str]:
    return {f"{base}_{lang}": texts.get(lang, "") for lang in LANGS}


def with_blank_rows(rows: dict[str, list[dict[str, str]]]) -> dict[str, list[dict[str, str]]]:
    return {
        name: rows.get(name, []) + [dict.fromkeys(fields, "") for _ in range(EXTRA_ROWS)]
        for name, fields in ROW_FIELDS.items()
    }


def read_form(data: dict[str, Any]) -> dict[str, Any]:
    """The posted fields as the form shows them again: values, list rows (blank ones dropped)."""
    form: dict[str, Any] = {key: str(data.get(key, "")).strip() for key in SIMPLE.values()}
    form["pay_enabled"] = data.get("pay_enabled") in ("on", "true", "1")
    form[FAMILY_TIERS] = str(data.get(FAMILY_TIERS, "")).strip()
    rows: dict[str, list[dict[str, str]]] = {}
    for name, fields in ROW_FIELDS.items():
        found = []
        for i in range(100):
            row = {f: str(data.get(f"{name}-{i}-{f}", "")).strip() for f in fields}
            if not any(f"{name}-{i}-{f}" in data for f in fields):
                break
            if any(row.values()):
                found.append(row)
        rows[name] = found
    return form | {"rows": rows}


def to_program(form: dict[str, Any], currency: str) -> Program:
    """Build and validate; raises FormErrors keyed by form field names."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}

    def number(key: str, text: str, money: bool = False) -> Any:
        if not text:
            errors[key] = (MESSAGES["required"], {})
            return None
        try:
            return to_minor(text, currency) if money else int(text.replace(",", ""))
        except ValueError:
            errors[key] = (MESSAGES["money" if money else "number"], {})
            return None

    v = {key: number(key, form[key], key in MONEY) for key in SIMPLE.values()}
    rows = form["rows"]
    row_values: dict[str, list[dict[str, Any]]] = {}
    for name, fields in ROW_FIELDS.items():
        parsed = []
        for i, row in enumerate(rows[name]):
            out: dict[str, Any] = {}
            for f in fields:
                key, text = f"{name}-{i}-{f}", row[f]
                if f in TRANSLATION_FIELDS:
                    document_field, lang = TRANSLATION_FIELDS[f]
                    texts = out.setdefault(document_field, {})
                    if text:
                        texts[lang] = text
                    continue
                if not text and (name, f) in DEFAULTED:
                    continue  # the program's default (100% for a tier, 200% for a date range)
                if f in ("percent", "multiplier", "stamps_required") or (name, f) in ROW_MONEY:
                    out[f] = number(key, text, (name, f) in ROW_MONEY)
                elif f in ("categories", "skus"):
                    out[f] = [part.strip() for part in text.split(",") if part.strip()]
                else:
                    out[f] = (text or None) if f == "reward_sku" else text
            parsed.append(out)
        row_values[name] = parsed
    document = _document(form, v, row_values)
    try:
        program = Program.model_validate(document)
    except ValidationError as exc:
        # Every wrong field is marked at once: a number that did not parse keeps its own
        # message, the others get the program's rules.
        found = _errors_of(exc, rows)
        raise FormErrors(errors | {k: m for k, m in found.items() if k not in errors}) from None
    if errors:
        raise FormErrors(errors)
    return program


def _document(
    form: dict[str, Any], v: dict[str, Any], row_values: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The Program document; a value that did not parse (None) is left out, so the rest is
    still checked (a top-level one takes its default, a row's one is reported as missing)."""
    document = {
        "earn": {
            "points": v["earn_points"],
            "per_amount": v["earn_per_amount"],
            "min_spend": v["min_spend"],
            "category_multipliers": {r["key"]: r["percent"] for r in row_values["cat"]},
            "product_multipliers": {r["key"]: r["percent"] for r in row_values["sku"]},
        },
        "bonuses": {
            "birthday_month_percent": v["birthday_month_percent"],
            "first_purchase_points": v["first_purchase_points"],
            "signup_points": v["signup_points"],
            "double_points": row_values["dp"],
        },
        "stamp_cards": row_values["card"],
        "tiers": {
            "window_months": v["window_months"],
            "downgrade_grace_days": v["downgrade_grace_days"],
            "levels": row_values["tier"],
        },
        "expiry_months": v["expiry_months"],
        "plan_on_time_points": v["plan_on_time_points"],
        "points_payment": {
            "enabled": form["pay_enabled"],
            "point_value": v["pay_point_value"],
            "max_percent": v["pay_max_percent"],
        },
        "referral": {
            "referrer_points": v["referral_referrer_points"],
            "friend_points": v["referral_friend_points"],
            "family_points": v["referral_family_points"],
            "min_spend": v["referral_min_spend"],
            "monthly_cap": v["referral_monthly_cap"],
            "family_tiers": [t.strip() for t in form[FAMILY_TIERS].split(",") if t.strip()],
        },
    }
    cleaned: dict[str, Any] = _without_none(document)
    return cleaned


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None or k == "reward_sku"}
    if isinstance(value, list):
        return [_without_none(item) for item in value]
    return value


def _errors_of(
    exc: ValidationError, rows: dict[str, list[dict[str, str]]]
) -> dict[str, tuple[str, dict[str, Any]]]:
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    for err in exc.errors():
        key = _field_key(tuple(err["loc"]), rows)
        errors.setdefault(key, _message(err))
    return errors


def _field_key(loc: tuple[Any, ...], rows: dict[str, list[dict[str, str]]]) -> str:
    if loc in SIMPLE:
        return SIMPLE[loc]
    for prefix, name in LISTS.items():
        if loc[: len(prefix)] != prefix:
            continue
        rest = loc[len(prefix) :]
        if name in ("cat", "sku"):
            keys = [r["key"] for r in rows[name]]
            index = keys.index(rest[0]) if rest and rest[0] in keys else None
            return f"{name}-{index}-percent" if index is not None else name
        if rest and isinstance(rest[0], int):
            field = rest[1] if len(rest) > 1 else None
            bases = {v: k for k, v in TRANSLATED.get(name, {}).items()}
            if field in bases and len(rest) > 2:  # e.g. ("names", "my") -> name_my
                return f"{name}-{rest[0]}-{bases[field]}_{rest[2]}"
            return f"{name}-{rest[0]}-{field}" if field else f"{name}-{rest[0]}"
        return name
    if loc == ("tiers",):
        return "tier"
    if loc[:2] == ("referral", "family_tiers"):
        return FAMILY_TIERS
    if loc[:1] == ("earn",):
        return "cat"  # the multiplier percents are checked together
    return "program"


def _message(err: Any) -> tuple[str, dict[str, Any]]:
    kind, ctx, text = err["type"], err.get("ctx") or {}, str(err.get("msg", ""))
    if kind in ("greater_than_equal", "greater_than"):
        return MESSAGES["too_small"], {"limit": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return MESSAGES["too_large"], {"limit": ctx.get("le", ctx.get("lt"))}
    if kind in ("missing", "string_too_short"):
        return MESSAGES["required"], {}
    if kind == "string_pattern_mismatch":
        return MESSAGES["pattern"], {}
    if kind.startswith("date"):
        return MESSAGES["date"], {}
    for needle, key in (
        ("before start", "order"),
        ("min_spend", "tiers_rise"),
        ("unique", "unique"),
        ("categories or skus", "scope"),
        ("percent must be", "percent"),
    ):
        if needle in text:
            return MESSAGES[key], {}
    return GENERIC, {}
