"""A merchant's own wording of a message kind in one language (the shipped files are the
default)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from regulars.kit import clock
from regulars.kit.models import Base, TenantMixin


class MessageTemplate(TenantMixin, Base):
    __tablename__ = "message_templates"
    __table_args__ = (
        ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        UniqueConstraint("merchant_id", "kind", "locale"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


__all__ = ["MessageTemplate"]
