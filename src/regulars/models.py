"""Every domain's tables, imported once so metadata (and Alembic) sees the whole schema."""

from regulars.customers.models import Consent, Customer, ImportJob, Note, PortalCode
from regulars.kit.models import Base
from regulars.merchants.models import ApiKey, AuditEvent, Merchant, StaffUser, Store

metadata = Base.metadata

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Consent",
    "Customer",
    "ImportJob",
    "Merchant",
    "Note",
    "PortalCode",
    "StaffUser",
    "Store",
    "metadata",
]
