"""Plan offers, and who may take them (docs/plans.md, "Eligibility").

Eligibility is read from the customer's history: visits and lifetime spend (checkout's
purchases), and the record of their plans here: no installment overdue now, none paid more than
the offer's `late_days` after its due date, and fewer open plans than the offer's
`max_open_plans`. Every reason that applies is given, each with a code and words in the
customer's language.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from regulars.checkout import spend
from regulars.customers import service as customers
from regulars.customers.models import Customer
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.merchants import service as merchants
from regulars.plans.errors import NotEligible
from regulars.plans.models import Installment, PaymentPlan, PlanOffer
from regulars.plans.reasons import reason_text
from regulars.plans.schemas import OfferCreate, OfferUpdate

OPEN = ("open", "overdue")


def offer_out(ctx: Ctx, offer: PlanOffer) -> dict[str, Any]:
    fields = (
        "id", "name", "installments", "interval_months", "down_payment_percent", "fee",
        "min_price", "max_price", "min_visits", "min_spend", "max_open_plans", "late_days",
        "active", "created_at",
    )  # fmt: skip
    return {f: getattr(offer, f) for f in fields} | {"currency": ctx.merchant.currency}


def _save(session: Session, offer: PlanOffer) -> None:
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except IntegrityError:
        raise InvalidField("name", "another plan offer has this name") from None


def create_offer(session: Session, ctx: Ctx, data: OfferCreate) -> dict[str, Any]:
    merchants.require_role(ctx, "manager")
    if data.max_price < data.min_price:
        raise InvalidField("max_price", "must not be below min_price")
    offer = PlanOffer(merchant_id=ctx.merchant_id, **data.model_dump())
    _save(session, offer)
    merchants.record_audit(session, ctx, "plan_offer.created", "plan_offer", offer.id)
    return offer_out(ctx, offer)


def get_offer_row(session: Session, ctx: Ctx, offer_id: uuid.UUID) -> PlanOffer:
    offer = session.get(PlanOffer, (ctx.merchant_id, offer_id), populate_existing=True)
    if offer is None:
        raise NotFound("plan offer not found", [{"field": "offer_id", "message": "not found"}])
    return offer


def get_offer(session: Session, ctx: Ctx, offer_id: uuid.UUID) -> dict[str, Any]:
    return offer_out(ctx, get_offer_row(session, ctx, offer_id))


def _offers(session: Session, ctx: Ctx) -> Sequence[PlanOffer]:
    q = select(PlanOffer).where(PlanOffer.merchant_id == ctx.merchant_id)
    return session.scalars(q.order_by(PlanOffer.created_at, PlanOffer.id)).all()


def list_offers(session: Session, ctx: Ctx) -> list[dict[str, Any]]:
    return [offer_out(ctx, o) for o in _offers(session, ctx)]


def update_offer(
    session: Session, ctx: Ctx, offer_id: uuid.UUID, data: OfferUpdate
) -> dict[str, Any]:
    merchants.require_role(ctx, "manager")
    offer = get_offer_row(session, ctx, offer_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise InvalidField(field, "may not be null")
    low, high = changes.get("min_price", offer.min_price), changes.get("max_price", offer.max_price)
    if high < low:
        raise InvalidField("max_price", "must not be below min_price")
    for field, value in changes.items():
        setattr(offer, field, value)
    _save(session, offer)
    merchants.record_audit(session, ctx, "plan_offer.updated", "plan_offer", offer.id, changes)
    return offer_out(ctx, offer)


# --- eligibility -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """What eligibility reads of one customer, once for every offer."""

    visits: int
    spend: int
    open_plans: int
    overdue: bool
    worst_late_days: int  # the most days any installment was paid after its due date


def record_of(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> Record:
    visits, spent = spend.visits_and_spend(session, ctx, customer_id)
    of_customer = (
        PaymentPlan.merchant_id == ctx.merchant_id,
        PaymentPlan.customer_id == customer_id,
    )
    open_plans = session.scalar(
        select(func.count())
        .select_from(PaymentPlan)
        .where(*of_customer, PaymentPlan.status.in_(OPEN))
    )
    q = (
        select(Installment.status, Installment.due_on, Installment.paid_on)
        .join(
            PaymentPlan,
            (PaymentPlan.merchant_id == Installment.merchant_id)
            & (PaymentPlan.id == Installment.plan_id),
        )
        .where(*of_customer, (Installment.status == "overdue") | Installment.paid_on.is_not(None))
    )
    overdue, worst = False, 0
    for status, due_on, paid_on in session.execute(q):
        overdue = overdue or status == "overdue"
        if paid_on is not None:
            worst = max(worst, (paid_on - due_on).days)
    return Record(visits, spent, int(open_plans or 0), overdue, worst)


def refusals(offer: PlanOffer, record: Record) -> list[str]:
    out: list[str] = []
    if not offer.active:
        out.append("inactive")
    if record.visits < offer.min_visits:
        out.append("min_visits")
    if record.spend < offer.min_spend:
        out.append("min_spend")
    if record.overdue:
        out.append("overdue")
    if record.worst_late_days > offer.late_days:
        out.append("paid_late")
    if record.open_plans >= offer.max_open_plans:
        out.append("open_plans")
    return out


def reasons_out(codes: list[str], customer: Customer, ctx: Ctx) -> list[dict[str, str]]:
    langs = (customer.locale, ctx.merchant.locale)
    return [{"code": c, "message": reason_text(c, *langs)} for c in codes]


def customer_offers(session: Session, ctx: Ctx, customer_id: uuid.UUID) -> dict[str, Any]:
    customer = customers.get_customer(session, ctx, customer_id, details=False)
    if ctx.actor.kind == "customer" and ctx.actor.id != customer.id:
        raise NotFound("customer not found")
    record = record_of(session, ctx, customer.id)
    choices = []
    for offer in _offers(session, ctx):
        codes = refusals(offer, record)
        if ctx.actor.kind == "customer" and "inactive" in codes:
            continue
        reasons = reasons_out(codes, customer, ctx)
        choices.append({"offer": offer_out(ctx, offer), "eligible": not codes, "reasons": reasons})
    return {
        "customer_id": customer.id,
        "visits": record.visits,
        "lifetime_spend": record.spend,
        "open_plans": record.open_plans,
        "data": choices,
    }


def require_eligible(session: Session, ctx: Ctx, offer: PlanOffer, customer: Customer) -> None:
    codes = refusals(offer, record_of(session, ctx, customer.id))
    if codes:
        reasons = reasons_out(codes, customer, ctx)
        errors = [
            {"field": "customer_id", "code": r["code"], "message": r["message"]} for r in reasons
        ]
        raise NotEligible("; ".join(codes), errors)
