"""Why a coupon may not be used: a stable reason code and words a cashier can read out (marked
for translation; shown in the customer's language)."""

from __future__ import annotations

from regulars.web.i18n import N_, choose, translations

REASONS: dict[str, str] = {
    "unknown": N_("This code is not known here. Check the spelling."),
    "inactive": N_("This offer is paused."),
    "not_started": N_("This offer has not started yet."),
    "expired": N_("This code has expired."),
    "used": N_("This code was already used."),
    "exhausted": N_("This offer has been fully used up."),
    "customer_limit": N_("This customer has already used this offer as often as allowed."),
    "needs_customer": N_("Find the customer first: this offer is for members."),
    "other_customer": N_("This code belongs to another customer."),
    "tier": N_("This offer is for members of another tier."),
    "min_spend": N_("The basket does not reach the minimum spend for this offer."),
    "not_in_basket": N_("Nothing in the basket is part of this offer."),
    "not_stackable": N_("This offer cannot be combined with the other coupon in this sale."),
    "duplicate": N_("This offer is already in the sale."),
}
VALID = N_("This code can be used.")


def reason_text(reason_code: str | None, *langs: str | None) -> str:
    """The reason in the first shipped language of `langs`."""
    text = VALID if reason_code is None else REASONS[reason_code]
    return translations(choose(*langs)).gettext(text)
