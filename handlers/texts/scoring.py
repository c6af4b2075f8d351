"""User-facing texts of the scoring journey (Vietnamese)."""

from __future__ import annotations
