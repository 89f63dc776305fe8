"""Tenant tables. `merchants` is the root every other table hangs from by merchant_id."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.ids import new_id
from regulars.kit.models import Base, TenantMixin


class Role(StrEnum):
    owner = "owner"
    manager = "manager"
    cashier = "cashier"

    @property
    def rank(self) -> int:
        return {"cashier": 1, "manager": 2, "owner": 3}[self.value]


ROLE_CHECK = "role IN ('owner', 'manager', 'cashier')"


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    timezone: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Store(TenantMixin, Base):
    __tablename__ = "stores"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "code"),
    )

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class StaffUser(TenantMixin, Base):
    """Staff sign in by email, unique across the deployment, so login needs no shop."""

    __tablename__ = "staff_users"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        CheckConstraint(ROLE_CHECK, name="role"),
    )

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_login_at: Mapped[datetime | None]


class ApiKey(TenantMixin, Base):
    """Only a SHA-256 of the key is kept; the key itself is shown once. Keys carry 160 random
    bits, so a fast hash is safe here (argon2 is for low-entropy passwords)."""

    __tablename__ = "api_keys"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        CheckConstraint(ROLE_CHECK, name="role"),
    )

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEvent(TenantMixin, Base):
    """Who changed what. `changes` names fields, never personal values (RELIABILITY: no PII)."""

    __tablename__ = "audit_events"
    __table_args__ = (ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),)

    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[uuid.UUID | None]
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID | None]
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ScheduledRun(TenantMixin, Base):
    """One daily job's run for one merchant's local day (`regulars/daily.py`). The row is the
    claim: however many server processes run the schedule, each (merchant, job, day) is taken
    by one of them; `finished_at` stays empty until the job is done."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "job", "run_date"),
    )

    job: Mapped[str] = mapped_column(String(40))
    run_date: Mapped[date]
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)


__all__ = ["ApiKey", "AuditEvent", "Merchant", "Role", "ScheduledRun", "StaffUser", "Store"]
