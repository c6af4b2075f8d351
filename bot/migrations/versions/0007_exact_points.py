"""Points stored exactly: answer.points, answer.max and assessment_extra.points as text.

The columns were NUMERIC(6, 2): two decimals, and on SQLite through float (16.875 was stored
as 16.88, 2.675 as 2.67). They become the plain text of the Decimal (``ExactDecimal`` in the
models). Existing rows are converted exactly: each old value is the two-decimal figure the old
column held, read back from its text form and written as that figure (``16.88``, ``2.00``) —
no float on the way. The downgrade goes back to NUMERIC(6, 2) and so rounds to 2 decimals.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("answer", "points", False),
    ("answer", "max", False),
    ("assessment_extra", "points", True),
)
_OLD = sa.Numeric(precision=6, scale=2)
_NEW = sa.String(length=64)
_CENT = Decimal("0.01")


def _old_text(value: object) -> str:
    """The exact figure an old NUMERIC(6, 2) value stood for, as plain text.

    SQLite hands back what it stored (an int, a float such as 16.88 or 0.30000000000000004,
    or text after the type change): its shortest repr, quantized to the column's two decimals,
    is the figure that was meant. PostgreSQL's numeric text is already exact.
    """
    text = repr(value) if isinstance(value, float) else str(value)
    return format(Decimal(text).quantize(_CENT), "f")


def upgrade() -> None:
    bind = op.get_bind()
    for table, column, nullable in COLUMNS:
        t = sa.table(table, sa.column("id", sa.Integer()), sa.column(column))
        # Read the old figures before the type changes (SQLite's CAST would print floats).
        rows = bind.execute(sa.select(t.c.id, t.c[column])).all()
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=_OLD,
                type_=_NEW,
                existing_nullable=nullable,
                postgresql_using=f"{column}::text",
            )
        for row_id, value in rows:
            if value is None:
                continue
            bind.execute(sa.update(t).where(t.c.id == row_id).values({column: _old_text(value)}))


def downgrade() -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=_NEW,
                type_=_OLD,
                existing_nullable=nullable,
                postgresql_using=f"{column}::numeric(6, 2)",
            )
