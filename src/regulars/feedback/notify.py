"""What feedback tells people, written to the outbox in the transaction that causes it: a
survey's link to the customer (a marketing message: consent, caps and quiet hours apply at send
time) and an SLA breach to the shop's managers (transactional, by email). Texts are composed here
in the reader's language; the dedupe keys make a job run twice enqueue once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.customers.models import Customer
from regulars.feedback.models import Survey, Ticket
from regulars.feedback.surveys import link_path
from regulars.kit.context import Ctx
from regulars.merchants.models import StaffUser
from regulars.messaging import outbox, runtime
from regulars.web import i18n
from regulars.web.i18n import N_

PRIORITY_NAMES = {
    "urgent": N_("Urgent"),
    "high": N_("High"),
    "normal": N_("Normal"),
    "low": N_("Low"),
}
SURVEY_SUBJECT = N_("How was your visit to %(shop)s?")
SURVEY_BODY = N_(
    "%(shop)s: thank you for your visit. How likely are you to recommend us to a friend? "
    "Answer in one tap: %(link)s"
)
CSAT_BODY = N_("%(shop)s: thank you for your visit. How happy were you with it? %(link)s")
BREACH_SUBJECT = N_("Complaint past its deadline: %(subject)s")
BREACH_FIRST = N_(
    'The complaint "%(subject)s" (%(priority)s) has had no reply by its first-response '
    "deadline, %(due)s. Open it: %(link)s"
)
BREACH_RESOLUTION = N_(
    'The complaint "%(subject)s" (%(priority)s) is not resolved by its deadline, %(due)s. '
    "Open it: %(link)s"
)


def survey_invite(
    session: Session, ctx: Ctx, customer: Customer, survey: Survey, token: str
) -> None:
    lang = i18n.choose(customer.locale, ctx.merchant.locale)
    _ = i18n.gettext_for(lang).gettext
    link = runtime.current().public_url + link_path(ctx.merchant.slug, token)
    body = SURVEY_BODY if survey.kind == "nps" else CSAT_BODY
    outbox.enqueue(
        session,
        merchant_id=ctx.merchant_id,
        kind="survey",
        category="marketing",
        customer_id=customer.id,
        locale=lang,
        subject=_(SURVEY_SUBJECT) % {"shop": ctx.merchant.name},
        body=_(body) % {"shop": ctx.merchant.name, "link": link},
        payload={"survey_id": str(survey.id)},
        dedupe_key=f"survey:{survey.id}",
    )


def breach(session: Session, ctx: Ctx, ticket: Ticket, kind: str) -> int:
    """Emails every active owner and manager; returns how many were told."""
    managers = session.scalars(
        select(StaffUser).where(
            StaffUser.merchant_id == ctx.merchant_id,
            StaffUser.active.is_(True),
            StaffUser.role.in_(("owner", "manager")),
        )
    ).all()
    lang = i18n.choose(ctx.merchant.locale)
    _ = i18n.gettext_for(lang).gettext
    text = BREACH_FIRST if kind == "first_response" else BREACH_RESOLUTION
    due = ticket.first_response_due_at if kind == "first_response" else ticket.resolution_due_at
    values = {
        "subject": ticket.subject,
        "priority": _(PRIORITY_NAMES[ticket.priority]),
        "due": i18n.moment(due, lang, ctx.merchant.timezone),
        "link": f"{runtime.current().public_url}/tickets/{ticket.id}",
    }
    for staff in managers:
        outbox.enqueue(
            session,
            merchant_id=ctx.merchant_id,
            kind="sla_breach",
            category="transactional",
            channel="email",
            address=staff.email,
            locale=lang,
            subject=_(BREACH_SUBJECT) % {"subject": ticket.subject},
            body=_(text) % values,
            payload={"ticket_id": str(ticket.id), "breach": kind},
            dedupe_key=f"sla:{ticket.id}:{kind}:{staff.id}",
        )
    return len(managers)
