"""The key of the draft a ticket was sent from (a draft sent again finds its ticket).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("draft_key", sa.String(length=32), nullable=True))
        batch.create_unique_constraint(op.f("uq_ticket_draft_key"), ["draft_key"])


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_constraint(op.f("uq_ticket_draft_key"), type_="unique")
        batch.drop_column("draft_key")
