"""Loyalty facts as the pages show them: translated ledger reasons, tier progress, money typed in
major units. Shared by the POS screen, the staff customer page and the portal."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from regulars.customers import service as customers
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.money import exponent, to_decimal
from regulars.loyalty import ledger
from regulars.loyalty import rewards as loyalty_rewards
from regulars.loyalty import service as loyalty
from regulars.loyalty.program import Program
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
}
FIXED_REASONS = {
    "base": N_("Points for the purchase"),
    "birthday_month": N_("Birthday month bonus"),
    "first_purchase": N_("First purchase bonus"),
    ledger.SALE_PAYMENT: N_("Points used as payment"),
    ledger.REFUND_PAYMENT: N_("Points payment given back (refund)"),
    ledger.REFUND_EARNED: N_("Points of returned items taken back"),
    ledger.EXPIRY: N_("Points expired"),
}
# Other digits a cashier's keyboard may type; money is read as ASCII digits.
_DIGITS = str.maketrans("၀၁၂၃၄၅၆၇၈၉໐໑໒໓໔໕໖໗໘໙٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 4)


def reason_text(
    reason: str, lang: str, program: Program | None = None, kind: str | None = None
) -> str:
    """A ledger reason or earning rule in the reader's language; free text (a manager's
    adjustment reason) is shown as written."""
    if kind == "adjust":
        return reason
    _ = i18n.gettext_for(lang).gettext
    if reason in FIXED_REASONS:
        return _(FIXED_REASONS[reason])
    head, _sep, rest = reason.partition(":")
    rest = rest.strip()
    if head == "tier" and rest:
        tiers = {t.code: t.name for t in program.tiers.levels} if program else {}
        return _("%(tier)s tier bonus") % {"tier": tiers.get(rest, rest)}
    if head == "double_points" and rest:
        return _("Double points: %(name)s") % {"name": rest}
    if head == "reward" and rest:
        return _("Reward: %(name)s") % {"name": rest}
    return reason


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
    text. What the next tier adds is its multiplier, its perks and the spend still needed."""
    out = dict(tier)
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
    currency = ctx.merchant.currency
    tier = tier_view(found["tier"], currency, lang)
    rewards = [
        {
            "id": str(r.id),
            "name": r.name,
            "cost": r.cost_points,
            "affordable": r.cost_points <= found["balance"] and r.stock != 0,
            "stock": r.stock,
        }
        for r in loyalty_rewards.list_rewards(session, ctx, active_only=True)
    ]
    return {
        "customer": customer,
        "balance": found["balance"],
        "lifetime_earned": found["lifetime_earned"],
        "expiring_soon": found["expiring_soon"],
        "expiring_days": found["expiring_days"],
        "tier": tier,
        "stamps": found["stamps"],
        "vouchers": list(found["vouchers"]),
        "rewards": rewards,
        "birthday_month": birthday_this_month(customer.birthday, ctx.merchant.timezone),
    }
