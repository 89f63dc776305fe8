"""Message templates (a merchant's own wording per kind and language) and automation settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 18:12:32.117269
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import regulars.kit.models

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "automation_settings",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_automation_settings_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_automation_settings")),
        sa.UniqueConstraint(
            "merchant_id", "kind", name=op.f("uq_automation_settings_merchant_id_kind")
        ),
    )
    op.create_table(
        "message_templates",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchants.id"],
            name=op.f("fk_message_templates_merchant_id_merchants"),
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint(
            "merchant_id",
            "kind",
            "locale",
            name=op.f("uq_message_templates_merchant_id_kind_locale"),
        ),
    )


def downgrade() -> None:
    op.drop_table("message_templates")
    op.drop_table("automation_settings")
