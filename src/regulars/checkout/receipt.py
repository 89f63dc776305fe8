"""Receipt lines in the customer's language (gettext catalogs, Babel number formats, and the
shop's names of cards and tiers in that language where it gave them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from regulars.kit.money import format_money, format_number
from regulars.loyalty.program import in_language
from regulars.web.i18n import choose, translations


def receipt_lines(result: Mapping[str, Any], locale: str | None, shop_locale: str) -> list[str]:
    lang = choose(locale, shop_locale)
    _ = translations(lang).gettext
    currency = result["currency"]

    def n(value: int) -> str:
        return format_number(value, lang)

    lines = [_("Total: %(amount)s") % {"amount": format_money(result["total"], currency, lang)}]
    if result["discount_total"]:
        saved = format_money(result["discount_total"], currency, lang)
        lines.append(_("You saved: %(amount)s") % {"amount": saved})
    if result["customer_id"] is None:
        return lines
    if result["points_redeemed"]:
        lines.append(_("Points used: %(points)s") % {"points": n(result["points_redeemed"])})
    lines.append(_("Points earned: %(points)s") % {"points": n(result["points_earned"])})
    if result["balance"] is not None:
        lines.append(_("Balance: %(points)s points") % {"points": n(result["balance"])})
    for stamp in result["stamps"]:
        if stamp["completed_now"]:
            reward = in_language(stamp["reward_name"], stamp.get("reward_names"), lang)
            lines.append(_("Free item earned: %(name)s") % {"name": reward})
        lines.append(
            _("%(card)s: %(stamps)s of %(required)s stamps")
            % {
                "card": in_language(stamp["name"], stamp.get("names"), lang),
                "stamps": n(stamp["stamps"]),
                "required": n(stamp["required"]),
            }
        )
    tier = result["tier"]
    if tier and tier["name"]:
        name = in_language(tier["name"], tier.get("names"), lang)
        lines.append(_("Tier: %(tier)s") % {"tier": name})
    if tier and tier["next_name"] and tier["spend_to_next"]:
        lines.append(
            _("Spend %(amount)s more to reach %(tier)s")
            % {
                "amount": format_money(tier["spend_to_next"], currency, lang),
                "tier": in_language(tier["next_name"], tier.get("next_names"), lang),
            }
        )
    return lines
