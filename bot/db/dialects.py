"""The INSERT … ON CONFLICT of the database in use.

SQLAlchemy's PostgreSQL dialect (~2 MB of modules kept for the process's life) is imported
only when the database is PostgreSQL: a bot on its embedded SQLite file never needs it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import sqlite


def conflict_insert(dialect: str) -> Any:
    """``insert`` of ``dialect`` ("postgresql", else SQLite's), with ``on_conflict_do_*``."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    return sqlite.insert
