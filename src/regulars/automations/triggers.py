"""The automations an event causes, written to the outbox in the event's own transaction:
welcome (a customer is created), thank-you, tier up and reward unlocked (a sale's RECORD step),
restock (the restock call).

On the sale path the settings come from memory (`config.snapshot`), nothing is rendered (the
worker words the message when it sends it) and each message is one INSERT without a dedupe
key: a sale is recorded once (a replay stops before RECORD), so its messages are too.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from regulars.automations import audience, config
from regulars.checkout import history
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import Conflict, InvalidField
from regulars.loyalty import tiers
from regulars.merchants import service as merchants
from regulars.messaging.outbox import enqueue

if TYPE_CHECKING:
    from regulars.checkout.service import Sale
    from regulars.customers.models import Customer


def _write(session: Session, ctx: Ctx, kind: str, customer_id: uuid.UUID,
           payload: dict[str, Any], key: str | None = None) -> bool:  # fmt: skip
    found = enqueue(
        session, merchant_id=ctx.merchant_id, kind=kind, category="marketing",
        customer_id=customer_id, payload=payload, dedupe_key=key,
    )  # fmt: skip
    return found is not None


def customer_created(session: Session, ctx: Ctx, customer: Customer) -> None:
    if not config.snapshot(session, ctx).enabled("welcome"):
        return
    payload = {"points": customer.points_balance, "reason": f"joined ({customer.source})"}
    _write(session, ctx, "welcome", customer.id, payload, f"welcome:{customer.id}")


def sale_recorded(session: Session, ctx: Ctx, sale: Sale, purchase_id: uuid.UUID) -> None:
    """The sale's `messages` RECORD step."""
    member = sale.member
    if member is None:
        return
    snap = config.snapshot(session, ctx)
    if not snap.on:
        return
    cid, receipt = member.customer_id, sale.body.receipt_id
    balance = sale.balance if sale.balance is not None else member.balance
    thanks = snap.on.get("thank_you")
    if thanks is not None and sale.total >= thanks["min_total"]:
        payload = {"total": sale.total, "points_earned": sale.points_earned, "balance": balance,
                   "receipt_id": receipt, "reason": f"sale {receipt}"}  # fmt: skip
        _write(session, ctx, "thank_you", cid, payload)
    outcome = sale.loyalty
    move = outcome.move if outcome is not None else None
    if move is not None and "tier_up" in snap.on and _is_up(sale, move):
        to = tiers.by_code(sale.program, move.to_tier)
        before = tiers.by_code(sale.program, move.from_tier)
        payload = {"tier": to.name if to else move.to_tier, "from_tier": before.name if before
                   else "", "reason": f"tier {move.from_tier or '-'} to {move.to_tier} by sale "
                   f"{receipt}"}  # fmt: skip
        _write(session, ctx, "tier_up", cid, payload)
    if "reward_unlocked" in snap.on:
        reward = _unlocked(snap, sale, member.balance, balance)
        if reward is not None:
            payload = {"reward": reward, "balance": balance,
                       "reason": f"{reward} unlocked by sale {receipt}"}  # fmt: skip
            _write(session, ctx, "reward_unlocked", cid, payload)


def _is_up(sale: Sale, move: tiers.TierMove) -> bool:
    to = tiers.by_code(sale.program, move.to_tier)
    before = tiers.by_code(sale.program, move.from_tier)
    return to is not None and (before is None or to.min_spend > before.min_spend)


def _unlocked(snap: config.Snapshot, sale: Sale, before: int, after: int) -> str | None:
    """The dearest reward the balance reached with this sale, else a stamp card's reward."""
    reached = [name for cost, name in snap.rewards if before < cost <= after]
    if reached:
        return reached[-1]
    outcome = sale.loyalty
    for move in outcome.stamps if outcome is not None else ():
        if move.completed_now:
            card = next((c for c in sale.program.stamp_cards if c.code == move.card), None)
            if card is not None:
                return card.reward_name
    return None


def restock(session: Session, ctx: Ctx, sku: str, name: str | None) -> dict[str, Any]:
    """Tells every reachable customer who favours `sku` (bought it on `min_visits` visits,
    docs/automations.md) that it is back; once per customer, item and local day."""
    merchants.require_role(ctx, "manager")
    sku = sku.strip()
    if not sku or len(sku) > 64:
        raise InvalidField("sku", "1 to 64 characters")
    on, settings = config.settings_of(session, ctx, "restock")
    if not on:
        raise Conflict("the restock automation is off; switch it on first")
    fans = history.favoured_by(session, ctx, sku, settings["min_visits"])
    ok = set(audience.reachable(session, ctx, [cid for cid, _n in fans]))
    day = clock.today(ctx.merchant.timezone).isoformat()
    notified = already = 0
    for cid, line_name in fans:
        if cid not in ok:
            continue
        payload = {"item": name or line_name, "sku": sku, "reason": f"{sku} back in stock"}
        if _write(session, ctx, "restock", cid, payload, f"restock:{sku}:{cid}:{day}"):
            notified += 1
        else:
            already += 1
    return {"sku": sku, "notified": notified, "already": already}
