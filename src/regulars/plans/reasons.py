"""Why a customer may not take a plan offer: a stable reason code and words the customer reads
(marked for translation; shown in the customer's language)."""

from __future__ import annotations

from regulars.web.i18n import N_, choose, translations

REASONS: dict[str, str] = {
    "inactive": N_("This plan is not offered at the moment."),
    "min_visits": N_("This plan is for customers with more visits to the shop."),
    "min_spend": N_("This plan is for customers who have spent more at the shop."),
    "overdue": N_("An installment of another plan is overdue."),
    "paid_late": N_("An earlier installment was paid too late."),
    "open_plans": N_("You already have as many open plans as allowed."),
}


def reason_text(code: str, *langs: str | None) -> str:
    return translations(choose(*langs)).gettext(REASONS[code])
