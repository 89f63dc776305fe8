"""Refusals of the plans domain, each with a stable slug."""

from __future__ import annotations

from regulars.kit.errors import Conflict


class NotEligible(Conflict):
    slug, title = "not-eligible", "This customer may not take this plan"


class PaymentIdReused(Conflict):
    slug, title = "payment-id-reused", "This payment_id was used for another payment"
