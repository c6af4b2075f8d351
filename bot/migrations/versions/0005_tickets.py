"""Tickets to the provincial departments and suggested rulings (the Escalate journey).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("criterion_code", sa.String(length=32), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("asker_id", sa.BigInteger(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("awaiting_info", sa.Boolean(), nullable=False),
        sa.Column("attachment_id", sa.String(length=255), nullable=True),
        sa.Column("attachment_kind", sa.String(length=16), nullable=True),
        sa.Column("question_log_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=255), nullable=True),
        sa.Column("reminder_level", sa.Integer(), nullable=False),
        sa.Column("route_count", sa.Integer(), nullable=False),
        sa.Column("due_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_ticket_unit_id_unit")),
        sa.ForeignKeyConstraint(
            ["question_log_id"],
            ["question_log.id"],
            name=op.f("fk_ticket_question_log_id_question_log"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
    )
    op.create_index(op.f("ix_ticket_unit_id"), "ticket", ["unit_id"])
    op.create_index(op.f("ix_ticket_asker_id"), "ticket", ["asker_id"])
    op.create_index(op.f("ix_ticket_department"), "ticket", ["department"])
    op.create_index(op.f("ix_ticket_status"), "ticket", ["status"])
    op.create_index(op.f("ix_ticket_created_at"), "ticket", ["created_at"])

    op.create_table(
        "ticket_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("department", sa.String(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_event_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_event")),
    )
    op.create_index(op.f("ix_ticket_event_ticket_id"), "ticket_event", ["ticket_id"])

    op.create_table(
        "ticket_follower",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_follower_ticket_id_ticket")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_ticket_follower_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_follower")),
        sa.UniqueConstraint(
            "ticket_id", "telegram_id", name=op.f("uq_ticket_follower_ticket_id")
        ),
    )
    op.create_index(op.f("ix_ticket_follower_ticket_id"), "ticket_follower", ["ticket_id"])
    op.create_index(op.f("ix_ticket_follower_telegram_id"), "ticket_follower", ["telegram_id"])

    op.create_table(
        "ruling_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("criterion_code", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.BigInteger(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ruling_suggestion_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruling_suggestion")),
    )
    op.create_index(op.f("ix_ruling_suggestion_ticket_id"), "ruling_suggestion", ["ticket_id"])
    op.create_index(op.f("ix_ruling_suggestion_status"), "ruling_suggestion", ["status"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ruling_suggestion_status"), table_name="ruling_suggestion")
    op.drop_index(op.f("ix_ruling_suggestion_ticket_id"), table_name="ruling_suggestion")
    op.drop_table("ruling_suggestion")
    op.drop_index(op.f("ix_ticket_follower_telegram_id"), table_name="ticket_follower")
    op.drop_index(op.f("ix_ticket_follower_ticket_id"), table_name="ticket_follower")
    op.drop_table("ticket_follower")
    op.drop_index(op.f("ix_ticket_event_ticket_id"), table_name="ticket_event")
    op.drop_table("ticket_event")
    op.drop_index(op.f("ix_ticket_created_at"), table_name="ticket")
    op.drop_index(op.f("ix_ticket_status"), table_name="ticket")
    op.drop_index(op.f("ix_ticket_department"), table_name="ticket")
    op.drop_index(op.f("ix_ticket_asker_id"), table_name="ticket")
    op.drop_index(op.f("ix_ticket_unit_id"), table_name="ticket")
    op.drop_table("ticket")
