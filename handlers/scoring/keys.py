"""The Score journey's inline keyboards, built cheaply: every step reply carries 6–12 buttons.

aiogram's builder validates a ``ScoreCb`` model and a button model per button and packs the
callback data through a model dump. Here the callback data is the same string formatted
directly (:func:`score_cb`, checked against ``ScoreCb.pack`` in the tests), and each button is
made once per (text, data) and shared between replies (buttons are frozen models).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import chain, repeat

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.callbacks import ScoreCb

_PREFIX = ScoreCb.__prefix__
_SEP = ScoreCb.__separator__
MAX_CALLBACK_BYTES = 64
MAX_WIDTH = 8  # aiogram's InlineKeyboardBuilder


def score_cb(action: str, aid: int = 0, code: str = "", part: int = 0, value: int = 0) -> str:
    """``ScoreCb(action=..., aid=..., code=..., part=..., value=...).pack()``, formatted."""
    if _SEP in action or _SEP in code:
        raise ValueError(f"Separator symbol {_SEP!r} can not be used in {action!r}/{code!r}")
    data = f"{_PREFIX}{_SEP}{action}{_SEP}{aid}{_SEP}{code}{_SEP}{part}{_SEP}{value}"
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"Resulted callback data is too long! len({data!r}.encode()) > 64")
    return data


@lru_cache(maxsize=8192)
def _button(text: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data)


class Keys:
    """``InlineKeyboardBuilder``'s ``button`` / ``adjust`` / ``as_markup`` for callback
    buttons, with the same row layout."""

    __slots__ = ("_buttons", "_sizes")

    def __init__(self) -> None:
        self._buttons: list[InlineKeyboardButton] = []
        self._sizes: tuple[int, ...] = ()

    def button(self, *, text: str, callback_data: str) -> Keys:
        self._buttons.append(_button(text, callback_data))
        return self

    def adjust(self, *sizes: int) -> Keys:
        """Rows of ``sizes`` buttons, the last size repeated for the rest (as aiogram)."""
        for size in sizes:
            if not 1 <= size <= MAX_WIDTH:
                raise ValueError(f"Row size {size} is not allowed, range: [1, {MAX_WIDTH}]")
        self._sizes = sizes
        return self

    def as_markup(self) -> InlineKeyboardMarkup:
        sizes = chain(self._sizes or (MAX_WIDTH,), repeat((self._sizes or (MAX_WIDTH,))[-1]))
        rows: list[list[InlineKeyboardButton]] = []
        buttons = self._buttons
        start = 0
        while start < len(buttons):
            size = next(sizes)
            rows.append(buttons[start : start + size])
            start += size
        return InlineKeyboardMarkup(inline_keyboard=rows)
