"""Splitting long HTML replies below Telegram's 4,096-character limit (``bot.messages``,
shared with the outbox)."""

from __future__ import annotations

from bot.messages import LIMIT, split_message

__all__ = ["LIMIT", "split_message"]
