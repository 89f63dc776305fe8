"""Merging two customers who are one person (C6). The survivor keeps its id, member code and
profile; it takes the other's sales, points history, vouchers, stamps, notes and consent, and
fills its empty profile fields from the other's. The other is erased and points at the survivor.
docs/loyalty.md ("Merging customers") states the rules.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from regulars.checkout import merge as checkout_merge
from regulars.checkout.reads import qualifying_spend
from regulars.customers import service as customers
from regulars.customers.models import Consent, Customer, Note
from regulars.customers.schemas import CustomerMerge
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField
from regulars.loyalty import merge as loyalty_merge
from regulars.merchants import service as merchants
from regulars.referrals import service as referrals

# Filled on the survivor only where it has none; tags and custom fields are combined.
_GAPS = ("name", "phone", "email", "birthday", "anniversary", "locale")


def merge_customers(
    session: Session, ctx: Ctx, survivor_id: uuid.UUID, data: CustomerMerge
) -> Customer:
    merchants.require_role(ctx, "manager")
    if data.other_id == survivor_id:
        raise InvalidField("other_id", "a customer cannot be merged into itself")
    survivor, other = customers.lock_pair(session, ctx, survivor_id, data.other_id)
    purchases = checkout_merge.move_purchases(session, ctx, other.id, survivor.id)
    moved = loyalty_merge.merge_into(session, ctx, survivor.id, other.id, spend=qualifying_spend)
    notes = _move_notes(session, ctx, other.id, survivor.id)
    referred = referrals.merge_into(session, ctx, survivor.id, other.id)
    _take_consent(session, ctx, survivor, other)
    profile = _profile_gaps(survivor, other)
    customers.blank(session, ctx, other)  # frees its phone and email for the survivor
    other.merged_into_id = survivor.id
    for key, value in profile.items():
        setattr(survivor, key, value)
    survivor.updated_at = clock.now()
    session.flush()
    merchants.record_audit(
        session,
        ctx,
        "customer.merged_into",
        "customer",
        other.id,
        {"survivor_id": str(survivor.id)},
    )
    merchants.record_audit(
        session,
        ctx,
        "customer.merged",
        "customer",
        survivor.id,
        {
            "other_id": str(other.id),
            "purchases": purchases,
            "ledger_entries": moved.entries,
            "vouchers": moved.vouchers,
            "notes": notes,
            "referrals": referred,
            "stamp_cards_completed": moved.stamp_cards_completed,
            "fields": sorted(profile),
        },
    )
    session.expire(survivor)
    return customers.get_customer(session, ctx, survivor.id)


def _move_notes(session: Session, ctx: Ctx, from_id: uuid.UUID, to_id: uuid.UUID) -> int:
    moved = session.execute(
        update(Note)
        .where(Note.merchant_id == ctx.merchant_id, Note.customer_id == from_id)
        .values(customer_id=to_id)
        .returning(Note.id)
        .execution_options(synchronize_session=False)
    )
    return len(moved.all())


def _take_consent(session: Session, ctx: Ctx, survivor: Customer, other: Customer) -> None:
    """Per channel, the person's latest answer wins, with the date and source it was given."""
    mine = survivor.consent
    for channel, theirs in other.consent.items():
        kept = mine.get(channel)
        if kept is not None and (kept.updated_at >= theirs.updated_at):
            continue
        if kept is None:
            survivor.consents.append(
                Consent(
                    merchant_id=ctx.merchant_id,
                    channel=channel,
                    granted=theirs.granted,
                    source=theirs.source,
                    updated_at=theirs.updated_at,
                )
            )
        elif kept.granted != theirs.granted:
            kept.granted, kept.source, kept.updated_at = (
                theirs.granted,
                theirs.source,
                theirs.updated_at,
            )
        else:
            continue
        merchants.record_audit(
            session,
            ctx,
            "customer.consent_changed",
            "customer",
            survivor.id,
            {"channel": channel, "granted": theirs.granted, "source": "merge"},
        )


def _profile_gaps(survivor: Customer, other: Customer) -> dict[str, Any]:
    values: dict[str, Any] = {
        key: getattr(other, key)
        for key in _GAPS
        if getattr(survivor, key) in (None, "") and getattr(other, key) not in (None, "")
    }
    if "name" in values:
        values["name_search"] = other.name_search
    tags = survivor.tags + [t for t in other.tags if t not in survivor.tags]
    if tags != survivor.tags:
        values["tags"] = tags[:30]
    attributes = other.attributes | survivor.attributes
    if attributes != survivor.attributes:
        values["attributes"] = attributes
    return values
