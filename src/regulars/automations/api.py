from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends

from regulars.automations import config, log, triggers
from regulars.automations.schemas import (
    AutomationIn,
    AutomationOut,
    LogEntry,
    RestockIn,
    RestockOut,
)
from regulars.merchants.auth import Tx, tx

router = APIRouter(tags=["automations"])


@router.get("/automations", response_model=list[AutomationOut])
def list_automations(t: Tx = Depends(tx)) -> object:
    return t(config.list_all)


@router.get("/automations/log", response_model=list[LogEntry])
def automation_log(
    kind: str | None = None,
    customer_id: uuid.UUID | None = None,
    limit: int = 100,
    t: Tx = Depends(tx),
) -> object:
    """The messages the automations wrote, newest first: why, and what became of each."""
    return t(log.entries, kind, customer_id, limit)


@router.get("/automations/{kind}", response_model=AutomationOut)
def get_automation(kind: str, t: Tx = Depends(tx)) -> object:
    return t(config.get_one, kind)


@router.put("/automations/{kind}", response_model=AutomationOut)
def put_automation(kind: str, body: AutomationIn, t: Tx = Depends(tx)) -> object:
    """`enabled` and settings side by side, e.g. `{"enabled": true, "days": 45}`."""
    return t(config.put, kind, body)


@router.post("/products/{sku}/restock", response_model=RestockOut)
def restock(sku: str, body: RestockIn | None = None, t: Tx = Depends(tx)) -> object:
    """Tells the customers whose favourites include `sku` that it is back (409 while the
    restock automation is off)."""
    return t(triggers.restock, sku, body.name if body else None)
