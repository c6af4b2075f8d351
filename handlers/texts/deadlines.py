"""User-facing texts of the deadlines journey (Vietnamese)."""

from __future__ import annotations
