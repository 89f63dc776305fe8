"""import jobs record when they last moved (an interrupted job is found and closed); scheduled
runs of the daily jobs, one per merchant, job and local day

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import regulars.kit.models

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("started_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("merchant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_scheduled_runs_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", "id", name=op.f("pk_scheduled_runs")),
        sa.UniqueConstraint(
            "merchant_id",
            "job",
            "run_date",
            name=op.f("uq_scheduled_runs_merchant_id_job_run_date"),
        ),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", regulars.kit.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    op.drop_table("scheduled_runs")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
