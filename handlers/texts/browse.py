"""User-facing texts of the browse journey (Vietnamese)."""

from __future__ import annotations
