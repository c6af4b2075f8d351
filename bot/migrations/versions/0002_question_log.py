"""Questions asked in the bot: decision, feedback, and the ones meant for the province.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=True),
        sa.Column("criterion_code", sa.String(length=32), nullable=True),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("for_province", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_question_log_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_log")),
    )
    op.create_index(op.f("ix_question_log_telegram_id"), "question_log", ["telegram_id"])
    op.create_index(op.f("ix_question_log_unit_id"), "question_log", ["unit_id"])
    op.create_index(op.f("ix_question_log_created_at"), "question_log", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_question_log_created_at"), table_name="question_log")
    op.drop_index(op.f("ix_question_log_unit_id"), table_name="question_log")
    op.drop_index(op.f("ix_question_log_telegram_id"), table_name="question_log")
    op.drop_table("question_log")
