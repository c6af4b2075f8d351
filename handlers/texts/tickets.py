"""User-facing texts of the tickets journey (Vietnamese)."""

from __future__ import annotations
