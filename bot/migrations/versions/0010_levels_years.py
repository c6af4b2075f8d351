"""Levels and years: every row holding a criterion code knows its set; assessments have a year.

Existing rows were made when the bot knew one set, the district sample: questions, tickets and
rulings get ``set_id = huyen-2021``; an assessment keeps its set id and gets that set's year
(the trailing year of the id, 2021 for the shipped set). One assessment per unit and year
replaces one per unit and set (a province may keep a set for a second year). New tables:
the years opened per level by ``cchc-bot year open``, and the level a guest chose.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_SET = "huyen-2021"
LEGACY_YEAR = 2021
CODED_TABLES = ("question_log", "ticket", "ruling_suggestion")


def _year_of(set_id: str) -> int:
    found = re.search(r"(?:^|\D)((?:19|20)\d\d)$", set_id)
    return int(found.group(1)) if found else LEGACY_YEAR


def upgrade() -> None:
    op.create_table(
        "assessment_year",
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("set_id", sa.String(length=64), nullable=False),
        sa.Column("opened_by", sa.BigInteger(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("level", "year", name=op.f("pk_assessment_year")),
    )
    op.create_table(
        "level_choice",
        sa.Column("telegram_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("telegram_id", name=op.f("pk_level_choice")),
    )
    bind = op.get_bind()
    for name in CODED_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(sa.Column("set_id", sa.String(length=64), nullable=True))
        table = sa.table(name, sa.column("set_id", sa.String()))
        bind.execute(sa.update(table).values(set_id=LEGACY_SET))
        with op.batch_alter_table(name) as batch:
            batch.alter_column("set_id", existing_type=sa.String(length=64), nullable=False)

    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("year", sa.Integer(), nullable=True))
    assessment = sa.table(
        "assessment", sa.column("set_id", sa.String()), sa.column("year", sa.Integer())
    )
    set_ids = bind.execute(sa.select(assessment.c.set_id).distinct()).scalars().all()
    for set_id in set_ids:
        bind.execute(
            sa.update(assessment)
            .where(assessment.c.set_id == set_id)
            .values(year=_year_of(set_id))
        )
    with op.batch_alter_table("assessment") as batch:
        batch.alter_column("year", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint("uq_assessment_unit_id", type_="unique")
        batch.create_unique_constraint("uq_assessment_unit_id", ["unit_id", "year"])


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_constraint("uq_assessment_unit_id", type_="unique")
        batch.create_unique_constraint("uq_assessment_unit_id", ["unit_id", "set_id"])
        batch.drop_column("year")
    for name in reversed(CODED_TABLES):
        with op.batch_alter_table(name) as batch:
            batch.drop_column("set_id")
    op.drop_table("level_choice")
    op.drop_table("assessment_year")
