"""Which automations a merchant has on, with what settings.

The sale path asks `snapshot` (thank-you, tier up, reward unlocked) and must not spend a read
on it: the answer is kept in memory per merchant for CACHE_SECONDS, and a change made through
this process drops it when it commits. Another server process sees a change within
CACHE_SECONDS (docs/automations.md).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from regulars.automations.models import AutomationSetting
from regulars.automations.schemas import SETTINGS, TRIGGERS, AutomationIn
from regulars.db import after_commit
from regulars.kit import clock
from regulars.kit.context import Ctx
from regulars.kit.errors import InvalidField, NotFound
from regulars.loyalty import rewards as loyalty_rewards
from regulars.merchants import service as merchants
from regulars.offers import service as offers

KINDS = tuple(SETTINGS)
CACHE_SECONDS = 30.0
_S = AutomationSetting


def _row(session: Session, ctx: Ctx, kind: str) -> AutomationSetting | None:
    return session.scalar(select(_S).where(_S.merchant_id == ctx.merchant_id, _S.kind == kind))


def check_kind(kind: str) -> None:
    if kind not in SETTINGS:
        raise NotFound(f"no automation {kind!r}")


def settings_of(session: Session, ctx: Ctx, kind: str) -> tuple[bool, dict[str, Any]]:
    """(on?, settings with defaults filled in)."""
    row = _row(session, ctx, kind)
    values = SETTINGS[kind].model_validate(row.settings if row else {}).model_dump(mode="json")
    return (row.enabled if row else False), values


def out(session: Session, ctx: Ctx, kind: str) -> dict[str, Any]:
    row = _row(session, ctx, kind)
    enabled, values = settings_of(session, ctx, kind)
    return {
        "kind": kind,
        "enabled": enabled,
        "settings": values,
        "trigger": TRIGGERS[kind],
        "updated_at": row.updated_at if row else None,
    }


def get_one(session: Session, ctx: Ctx, kind: str) -> dict[str, Any]:
    check_kind(kind)
    return out(session, ctx, kind)


def list_all(session: Session, ctx: Ctx) -> list[dict[str, Any]]:
    return [out(session, ctx, kind) for kind in KINDS]


def put(session: Session, ctx: Ctx, kind: str, data: AutomationIn) -> dict[str, Any]:
    merchants.require_role(ctx, "manager")
    check_kind(kind)
    enabled, current = settings_of(session, ctx, kind)
    given = dict(data.model_extra or {})
    try:
        values = SETTINGS[kind].model_validate(current | given)
    except ValidationError as exc:
        raise InvalidField.many(
            [
                {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
                for e in exc.errors()
            ]
        ) from None
    enabled = enabled if data.enabled is None else data.enabled
    campaign = getattr(values, "campaign_id", None)
    if enabled and kind in ("birthday", "anniversary") and campaign is None:
        raise InvalidField("campaign_id", "needed to give each customer a personal code")
    if campaign is not None:
        try:
            offers.get_campaign(session, ctx, campaign)
        except NotFound:
            raise InvalidField("campaign_id", "no such coupon campaign") from None
    row = _row(session, ctx, kind)
    if row is None:
        row = _S(merchant_id=ctx.merchant_id, kind=kind)
        session.add(row)
    row.enabled, row.settings = enabled, values.model_dump(mode="json")
    row.updated_at = clock.now()
    session.flush()
    merchants.record_audit(
        session, ctx, "automation.updated", "automation", row.id,
        {"kind": kind, "enabled": enabled, "fields": sorted(given)},
    )  # fmt: skip
    merchant_id = ctx.merchant_id
    after_commit(session, lambda: forget(merchant_id))
    return out(session, ctx, kind)


# --- the sale path's view ----------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    on: dict[str, dict[str, Any]]  # kind -> settings, the automations switched on
    rewards: tuple[tuple[int, str], ...] = field(
        default=()
    )  # (cost in points, name), cheapest first

    def enabled(self, kind: str) -> bool:
        return kind in self.on


_cache: dict[uuid.UUID, tuple[float, Snapshot]] = {}
_lock = threading.Lock()


def forget(merchant_id: uuid.UUID) -> None:
    with _lock:
        _cache.pop(merchant_id, None)


def snapshot(session: Session, ctx: Ctx) -> Snapshot:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(ctx.merchant_id)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    rows = session.execute(
        select(_S.kind, _S.settings).where(_S.merchant_id == ctx.merchant_id, _S.enabled.is_(True))
    ).all()
    on = {
        k: SETTINGS[k].model_validate(s).model_dump(mode="json") for k, s in rows if k in SETTINGS
    }
    rewards: tuple[tuple[int, str], ...] = ()
    if "reward_unlocked" in on:
        rewards = tuple(
            (r.cost_points, r.name) for r in loyalty_rewards.list_rewards(session, ctx, True)
        )
    found = Snapshot(on, rewards)
    with _lock:
        _cache[ctx.merchant_id] = (now, found)
    return found
