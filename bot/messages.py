"""Splitting long HTML messages below Telegram's 4,096-character limit (replies and the
outbox alike)."""

from __future__ import annotations

import re

LIMIT = 4000

# A tag, an entity, a run of plain text, or a lone "<" or "&" (never ours: we escape them).
_TOKEN = re.compile(r"<[^<>]*>|&#?[A-Za-z0-9]+;|[^<&]+|[<&]")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Split on line boundaries (our HTML tags never span lines); a line longer than
    ``limit`` is cut between its tags and entities, never inside one, the tags open at the
    cut closed before it and opened again after it (a long escaped question in ``<b>``).
    Leading line breaks are dropped."""
    if len(text) <= limit and not text.startswith("\n"):
        return [text]  # what the loop below gives back for it, without rebuilding it
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        if len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            *heads, line = _cut(line, limit)
            parts.extend(heads)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def _cut(line: str, limit: int) -> list[str]:
    """``line`` in pieces of at most ``limit`` characters, each with its tags balanced."""
    pieces: list[str] = []
    stack: list[tuple[str, str]] = []  # the open tags: (name, the opening tag as written)
    piece = ""
    closing = ""  # what closes ``stack``
    for found in _TOKEN.finditer(line):
        token = found.group()
        while token:
            room = limit - len(piece) - len(closing)
            tag = _TAG.match(token) if token.startswith("<") else None
            after = _closing_after(stack, tag) if tag else closing
            if len(token) + len(after) - len(closing) <= room:
                piece += token
                if tag:
                    _follow(stack, tag, token)
                    closing = after
                break
            if tag is None and not token.startswith("&") and room > 0:
                # plain text: as much of it as fits here
                piece += token[:room]
                token = token[room:]
            elif piece == _opening(stack):
                # not even one tag or entity fits an empty piece (a tiny limit): cut it raw
                piece += token[: max(room, 1)]
                token = token[max(room, 1) :]
            pieces.append(piece + closing)
            piece = _opening(stack)
    pieces.append(piece + closing)
    return [p for p in pieces if p] or [""]


def _opening(stack: list[tuple[str, str]]) -> str:
    return "".join(opening for _, opening in stack)


def _closing_after(stack: list[tuple[str, str]], tag: re.Match[str]) -> str:
    names = [name for name, _ in stack]
    if tag.group(1):  # a closing tag: its element ends
        if tag.group(2).lower() in names:
            names = names[: len(names) - 1 - names[::-1].index(tag.group(2).lower())]
    else:
        names.append(tag.group(2).lower())
    return "".join(f"</{name}>" for name in reversed(names))


def _follow(stack: list[tuple[str, str]], tag: re.Match[str], token: str) -> None:
    name = tag.group(2).lower()
    if tag.group(1):
        for k in range(len(stack) - 1, -1, -1):
            if stack[k][0] == name:
                del stack[k:]
                break
    else:
        stack.append((name, token))
