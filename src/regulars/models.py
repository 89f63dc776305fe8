"""Every domain's tables, imported once so that the metadata (and Alembic) sees the whole schema.
A new domain adds its package's name to DOMAINS; its `models.py` defines its tables."""

from importlib import import_module

import regulars.kit.idempotency  # noqa: F401  (the idempotency_keys table)
from regulars.kit.models import Base

DOMAINS = (
    "merchants",
    "customers",
    "loyalty",
    "checkout",
    "referrals",
    "offers",
    "events",
    "messaging",
    "feedback",
    "aftercare",
    "message_templates",
    "automations",
    "plans",
    "analytics",
)

for _domain in DOMAINS:
    import_module(f"regulars.{_domain}.models")

metadata = Base.metadata

__all__ = ["DOMAINS", "metadata"]
