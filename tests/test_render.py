"""Splitting long replies (handlers/render.py)."""

from __future__ import annotations

import itertools

from handlers.render import split_message


def _by_lines(text: str, limit: int) -> list[str]:
    """The loop of split_message without its shortcut for a text that fits."""
    return split_message("\n" + text, limit)


def test_a_text_that_fits_is_sent_as_it_is_as_the_loop_would() -> None:
    pieces = ["", "a", "dòng", "\n", "<b>x</b>", " "]
    for n in range(1, 6):
        for combo in itertools.product(pieces, repeat=n):
            text = "".join(combo)
            for limit in (4, 10, 4000):
                got = split_message(text, limit)
                assert got == _by_lines(text, limit), (text, limit)
                assert all(len(part) <= limit for part in got)


def test_long_texts_are_split_on_lines() -> None:
    text = "\n".join(f"dòng {i}" for i in range(2000))
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= 4000 for p in parts)
    assert "\n".join(parts) == text
