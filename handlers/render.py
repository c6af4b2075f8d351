"""Splitting long HTML replies below Telegram's 4,096-character limit."""

from __future__ import annotations

LIMIT = 4000


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Split on line boundaries (our HTML tags never span lines); hard-cut only huge lines.
    Leading line breaks are dropped."""
    if len(text) <= limit and not text.startswith("\n"):
        return [text]  # what the loop below gives back for it, without rebuilding it
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts
