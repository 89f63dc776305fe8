"""Every domain's tables, imported once so metadata (and Alembic) sees the whole schema."""

from regulars.checkout.models import Purchase, PurchaseLine, Refund
from regulars.customers.models import Consent, Customer, ImportJob, Note, PortalCode
from regulars.kit.idempotency import IdempotencyKey
from regulars.kit.models import Base
from regulars.loyalty.models import (
    LoyaltyAccount,
    PointsEntry,
    ProgramVersion,
    Reward,
    StampProgress,
    TierChange,
    Voucher,
)
from regulars.merchants.models import (
    ApiKey,
    AuditEvent,
    Merchant,
    ScheduledRun,
    StaffUser,
    Store,
)

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Consent",
    "Customer",
    "IdempotencyKey",
    "ImportJob",
    "LoyaltyAccount",
    "Merchant",
    "Note",
    "PointsEntry",
    "PortalCode",
    "ProgramVersion",
    "Purchase",
    "PurchaseLine",
    "Refund",
    "Reward",
    "ScheduledRun",
    "StaffUser",
    "StampProgress",
    "Store",
    "TierChange",
    "Voucher",
    "metadata",
]
