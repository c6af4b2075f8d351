"""Inline keyboards without deep copies.

aiogram's builder deep-copies every button it holds on each ``button()``, ``adjust()`` and
``as_markup()`` (``export()`` is a ``deepcopy``): hundreds of copied objects per reply. The
buttons are frozen pydantic models, so sharing them is safe; this builder copies the rows
only. Same interface: import it instead of aiogram's.
"""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton
from aiogram.utils.keyboard import InlineKeyboardBuilder as _AiogramBuilder


class InlineKeyboardBuilder(_AiogramBuilder):
    def export(self) -> list[list[InlineKeyboardButton]]:
        return [list(row) for row in self._markup]
