"""Questions dealt with in /cauhoi (answered, sent on as a ticket, dismissed); messages logged
before the word filter that have no words are marked as noise.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from knowledge.text import has_words

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("handled", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("handled_by", sa.BigInteger(), nullable=True))
    log = sa.table(
        "question_log",
        sa.column("id", sa.Integer()),
        sa.column("text", sa.Text()),
        sa.column("handled", sa.String()),
    )
    bind = op.get_bind()
    noise = [
        row.id for row in bind.execute(sa.select(log.c.id, log.c.text)) if not has_words(row.text)
    ]
    for start in range(0, len(noise), 500):
        bind.execute(
            sa.update(log).where(log.c.id.in_(noise[start : start + 500])).values(handled="noise")
        )


def downgrade() -> None:
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("handled_by")
        batch.drop_column("handled")
