"""The Score journey's keyboards (handlers/scoring/keys.py) are aiogram's, built cheaply."""

from __future__ import annotations

import pytest
from aiogram.utils.keyboard import InlineKeyboardBuilder

from handlers.callbacks import ScoreCb
from handlers.scoring.keys import Keys, score_cb


@pytest.mark.parametrize(
    "fields",
    [
        {"action": "go"},
        {"action": "ov", "aid": 12},
        {"action": "y", "aid": 7, "code": "2.1", "part": 1},
        {"action": "t", "aid": 123456, "code": "10.3.2", "part": 0, "value": 3},
        {"action": "pick", "aid": 1, "value": -1},
    ],
)
def test_score_cb_is_the_packed_callback(fields: dict[str, object]) -> None:
    packed = ScoreCb(**fields).pack()  # type: ignore[arg-type]
    assert score_cb(**fields) == packed  # type: ignore[arg-type]
    assert ScoreCb.unpack(packed) == ScoreCb(**fields)  # type: ignore[arg-type]


def test_score_cb_refuses_what_pack_refuses() -> None:
    with pytest.raises(ValueError):
        score_cb("ok", 1, "a:b")
    with pytest.raises(ValueError):
        score_cb("ok", 1, "x" * 60)


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(3, ()), (11, ()), (7, (2, 2, 2, 1)), (9, (1, 1, 2)), (5, (2,)), (4, (1, 1, 1, 1, 1, 1))],
)
def test_keys_lay_out_rows_as_aiogram(count: int, sizes: tuple[int, ...]) -> None:
    ours, theirs = Keys(), InlineKeyboardBuilder()
    for i in range(count):
        ours.button(text=f"b{i}", callback_data=score_cb("go", i))
        theirs.button(text=f"b{i}", callback_data=ScoreCb(action="go", aid=i))
    if sizes:
        ours.adjust(*sizes)
        theirs.adjust(*sizes)
    assert ours.as_markup() == theirs.as_markup()
    with pytest.raises(ValueError):
        Keys().adjust(0)
