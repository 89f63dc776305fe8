"""Loyalty facts as the pages show them: translated ledger reasons, tier progress, money typed in
major units. Shared by the POS screen, the staff customer page and the portal."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.money import exponent, to_decimal
from regulars.loyalty import ledger, referral, signup
from regulars.loyalty import rewards as loyalty_rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program, in_language
from regulars.web import i18n
from regulars.web.i18n import N_

KINDS = {
    "earn": N_("Earned"),
    "bonus": N_("Bonus"),
    "redeem": N_("Reward"),
    "payment": N_("Paid with points"),
    "refund": N_("Refund"),
    "expire": N_("Expired"),
    "adjust": N_("Adjustment"),
    "referral": N_("Referral"),
}
FIXED_REASONS = {
    "base": N_("Points for the purchase"),
    "birthday_month": N_("Birthday month bonus"),
    "first_purchase": N_("First purchase bonus"),
    signup.SIGNUP: N_("Sign-up bonus"),
    ledger.SALE_PAYMENT: N_("Points used as payment"),
    ledger.REFUND_PAYMENT: N_("Points payment given back (refund)"),
    ledger.REFUND_EARNED: N_("Points of returned items taken back"),
    ledger.EXPIRY: N_("Points expired"),
    referral.WELCOME: N_("Welcome points for joining with a friend's code"),
    referral.REWARD: N_("A friend you invited made their first purchase"),
    referral.CLAWBACK: N_("Your friend's first purchase was refunded"),
}
# Other digits a cashier's keyboard may type; money is read as ASCII digits.
_DIGITS = str.maketrans("၀၁၂၃၄၅၆၇၈၉໐໑໒໓໔໕໖໗໘໙٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 4)


def reason_text(
    reason: str,
    lang: str,
    program: Program | None = None,
    kind: str | None = None,
    rewards: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """A ledger reason or earning rule in the reader's language (tier and reward names too, where
    the shop gave them: `rewards` maps a reward's name to its other names); free text (a
    manager's adjustment reason) is shown as written."""
    if kind == "adjust":
        return reason
    _ = i18n.gettext_for(lang).gettext
    if reason in FIXED_REASONS:
        return _(FIXED_REASONS[reason])
    head, _sep, rest = reason.partition(":")
    rest = rest.strip()
    if head == "tier" and rest:
        tier = next((t for t in program.tiers.levels if t.code == rest), None) if program else None
        name = in_language(tier.name, tier.names, lang) if tier else rest
        return _("%(tier)s tier bonus") % {"tier": name}
    if head == "club" and rest:
        return _("%(club)s bonus") % {"club": rest}
    if head == "double_points" and rest:
        return _("Double points: %(name)s") % {"name": rest}
    if head == "reward" and rest:
        name = in_language(rest, (rewards or {}).get(rest), lang)
        return _("Reward: %(name)s") % {"name": name}
    return reason


def reward_names(session: Session, ctx: Ctx) -> dict[str, dict[str, str]]:
    """Each reward's name -> its names in other languages (for ledger reasons)."""
    return {r.name: dict(r.names or {}) for r in loyalty_rewards.list_rewards(session, ctx)}


class Named:
    """A voucher (or any row) as a page shows it: its attributes, with `name` in the reader's
    language; the row itself is not touched."""

    def __init__(self, row: Any, name: str) -> None:
        self._row, self.name = row, name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._row, attr)


def localize_stamps(stamps: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    return [
        s
        | {
            "name": in_language(s["name"], s.get("names"), lang),
            "reward_name": in_language(s["reward_name"], s.get("reward_names"), lang),
        }
        for s in stamps
    ]


def localize_tier(tier: dict[str, Any], lang: str) -> dict[str, Any]:
    out = dict(tier)
    if tier.get("name"):
        out["name"] = in_language(tier["name"], tier.get("names"), lang)
    out["perks"] = in_language(tier.get("perks") or "", tier.get("perks_i18n"), lang)
    if tier.get("next_name"):
        out["next_name"] = in_language(tier["next_name"], tier.get("next_names"), lang)
    out["next_perks"] = in_language(tier.get("next_perks") or "", tier.get("next_perks_i18n"), lang)
    return out


def voucher_name(voucher: Any, program: Program, lang: str) -> str:
    """A reward voucher carries its reward's names; a stamp card's free item has its card's."""
    names: Mapping[Any, str] | None = voucher.names
    if not names and voucher.source == "stamp_card":
        card = next((c for c in program.stamp_cards if c.reward_name == voucher.name), None)
        names = card.reward_names if card else None
    return in_language(voucher.name, names, lang)


def kind_text(kind: str, lang: str) -> str:
    return i18n.gettext_for(lang).gettext(KINDS[kind]) if kind in KINDS else kind


def to_minor(text: str, currency: str) -> int:
    """A price typed in major units ("5,000", "12.50", "၅၀၀၀") as an integer in minor units.
    Exact (Decimal); more decimals than the currency has is an error, never a rounding."""
    cleaned = text.translate(_DIGITS).replace(",", "").replace(" ", "").replace("\u00a0", "")
    if not cleaned or cleaned.startswith(("+", "-")):
        raise ValueError("empty or signed")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a number")
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError("too many decimals")
    return int(minor)


def major_text(minor: int, currency: str) -> str:
    """Plain major units for an input field: 5000 (MMK), 12.50 (MYR)."""
    return str(to_decimal(minor, currency))


def tier_progress(tier: dict[str, Any]) -> int:
    """Percent of the way from nothing to the next tier's qualifying spend (0..100)."""
    to_next = tier.get("spend_to_next")
    spend = int(tier.get("qualifying_spend") or 0)
    if to_next is None:
        return 100
    target = spend + int(to_next)
    return 100 if target <= 0 else min(100, spend * 100 // target)


def times_text(percent: int | None, lang: str) -> str | None:
    """A tier's points multiplier in the reader's number format (150 -> "1.5", Lao "1,5"); None
    for 1x, which adds nothing worth saying."""
    if not percent or percent == 100:
        return None
    return str(format_decimal(Decimal(percent) / 100, locale=lang))


def tier_view(tier: dict[str, Any], currency: str, lang: str) -> dict[str, Any]:
    """`loyalty.service.tier_out` with what the pages add: progress, money and multipliers as
    text, names and perks in the reader's language. What the next tier adds is its multiplier,
    its perks and the spend still needed."""
    out = localize_tier(tier, lang)
    out["progress"] = tier_progress(out)
    if out.get("spend_to_next"):
        out["to_next_text"] = i18n.money(out["spend_to_next"], currency, lang)
    out["multiplier_text"] = times_text(out.get("multiplier"), lang)
    out["next_multiplier_text"] = times_text(out.get("next_multiplier"), lang)
    return out


def birthday_this_month(birthday: date | None, timezone: str) -> bool:
    return birthday is not None and birthday.month == clock.today(timezone).month


def card(session: Session, ctx: Ctx, customer_id: uuid.UUID, lang: str) -> dict[str, Any]:
    """The customer's loyalty card for the till and the pages, money already formatted."""
    customer = customers.get_customer(session, ctx, customer_id)
    found = loyalty.summary(session, ctx, customer.id)
    program = loyalty.current_program(session, ctx)[1]
    currency = ctx.merchant.currency
    tier = tier_view(found["tier"], currency, lang)
    rewards = [
        {
            "id": str(r.id),
            "name": in_language(r.name, r.names, lang),
            "cost": r.cost_points,
            "affordable": r.cost_points <= found["balance"] and r.stock != 0,
            "stock": r.stock,
            # Still in its early access: shown with the day it opens to everyone.
            "early_until": r.early_access_until
            if r.early_access_until and r.early_access_until > clock.now()
            else None,
        }
        for r in loyalty_rewards.offered_rewards(session, ctx, tier.get("code"))
    ]
    return {
        "customer": customer,
        "balance": found["balance"],
        "lifetime_earned": found["lifetime_earned"],
        "expiring_soon": found["expiring_soon"],
        "expiring_days": found["expiring_days"],
        "tier": tier,
        "stamps": localize_stamps(found["stamps"], lang),
        "vouchers": [Named(v, voucher_name(v, program, lang)) for v in found["vouchers"]],
        "rewards": rewards,
        "birthday_month": birthday_this_month(customer.birthday, ctx.merchant.timezone),
    }
