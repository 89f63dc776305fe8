"""The daily `tiers.recompute` job, one customer per transaction (see loyalty/tasks.py)."""

from __future__ import annotations

from functools import partial

from regulars.checkout import tiers
from regulars.db import Database
from regulars.kit.context import Ctx
from regulars.loyalty import service as loyalty


def recompute_tiers(db: Database, ctx: Ctx) -> dict[str, int]:
    """Rolling windows move without any sale: tiers fall (after the grace period) or rise."""
    program = db.run(lambda s: loyalty.current_program(s, ctx)[1], write=False)
    customers = db.run(lambda s: loyalty.accounts(s, ctx), write=False)
    changed = 0
    for customer_id in customers:
        changed += db.run_job(
            partial(tiers.recompute_one, ctx=ctx, program=program, customer_id=customer_id)
        )
    return {"customers": len(customers), "tier_changes": changed}
