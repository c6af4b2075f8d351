"""Browsing the criteria tree (/tieuchi) through the real dispatcher."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import BotData
from bot.settings import Settings
from criteria.loader import Catalogue
from handlers.callbacks import BrowseAskCb, BrowseCb
from knowledge.search import SearchIndex
from tests.recording import Harness, Sent, build_harness


def _edit(sent: list[Sent]) -> Sent:
    edits = [s for s in sent if s.method == "editMessageText"]
    assert len(edits) == 1, [(s.method, s.text) for s in sent]
    return edits[0]


def _labels(sent: Sent) -> list[str]:
    return [text for text, _ in sent.buttons]


def _alert(sent: list[Sent]) -> Sent:
    assert [s.method for s in sent] == ["answerCallbackQuery"], [(s.method, s.text) for s in sent]
    assert sent[0].show_alert
    return sent[0]


async def test_tieuchi_lists_areas(harness: Harness, shipped: tuple[BotData, SearchIndex]) -> None:
    cset = shipped[0].catalogue.current
    sent = await harness.send(harness.user(1), "/tieuchi")
    assert [s.method for s in sent] == ["sendMessage"]
    assert cset.title in sent[0].text
    assert "8 lĩnh vực" in sent[0].text
    labels = _labels(sent[0])
    assert len(labels) == 8  # eight areas fit on one page: no ◀ ▶
    assert labels[2].startswith("3. Cải cách thủ tục hành chính")
    assert "◀" not in labels and "▶" not in labels


async def test_menu_button_opens_the_tree(harness: Harness) -> None:
    user = harness.user(2)
    menu = await harness.send(user, "/start")
    sent = await harness.press(user, menu[0].button("📚 Tra cứu tiêu chí"))
    message = next(s for s in sent if s.method == "sendMessage")
    assert "Chọn một lĩnh vực" in message.text
    assert len(message.buttons) == 8


async def test_navigate_down_to_a_leaf_and_back(harness: Harness) -> None:
    user = harness.user(3)
    root = await harness.send(user, "/tieuchi")

    area = _edit(await harness.press(user, root[0].button("3. ")))
    assert "<b>Lĩnh vực 3</b>: Cải cách thủ tục hành chính" in area.text
    assert "Điểm tối đa: <b>14</b>" in area.text
    assert any(label.startswith("3.4. ") for label in _labels(area))

    group = _edit(await harness.press(user, area.button("3.4. ")))
    assert "<b>Tiêu chí 3.4</b>" in group.text
    assert [lbl.split(".", 3)[:3] for lbl in _labels(group)[:3]] == [
        ["3", "4", "1"],
        ["3", "4", "2"],
        ["3", "4", "3"],
    ]

    leaf = _edit(await harness.press(user, group.button("3.4.1. ")))
    card = "<b>Tiêu chí thành phần 3.4.1</b>: Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn"
    assert card in leaf.text
    assert "Điểm tối đa: <b>2,5</b>" in leaf.text
    for line in (
        "≥ 100 %: 2,5 điểm",
        "98 % đến dưới 100 %: 2 điểm",
        "95 % đến dưới 98 %: 1,5 điểm",
        "90 % đến dưới 95 %: 1 điểm",
        "dưới 90 %: 0 điểm",
    ):
        assert line in leaf.text
    assert "Phụ trách: Văn phòng HĐND và UBND" in leaf.text
    # A leaf has no children: only ask, back and top.
    assert _labels(leaf) == ["❓ Câu hỏi thường gặp", "⬅️ Quay lại", "📚 Danh sách lĩnh vực"]

    back = _edit(await harness.press(user, leaf.button("⬅️ Quay lại")))
    assert "<b>Tiêu chí 3.4</b>" in back.text
    up = _edit(await harness.press(user, back.button("⬅️ Quay lại")))
    assert "<b>Lĩnh vực 3</b>" in up.text
    top = _edit(await harness.press(user, up.button("⬅️ Quay lại")))
    assert "Chọn một lĩnh vực" in top.text


async def test_tieuchi_with_a_code_opens_the_node(harness: Harness) -> None:
    sent = await harness.send(harness.user(4), "/tieuchi tc 7.2")
    assert "<b>Tiêu chí 7.2</b>" in sent[0].text
    unknown = await harness.send(harness.user(4), "/tieuchi 9.9.9")
    assert "Không có mã «9.9.9»" in unknown[0].text
    escaped = await harness.send(harness.user(4), "/tieuchi <b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in escaped[0].text


async def test_forged_code_or_page_gives_a_message_and_edits_nothing(harness: Harness) -> None:
    user = harness.user(5)
    unknown = _alert(await harness.press(user, BrowseCb(code="99.1", page=0).pack()))
    assert "Không tìm thấy mã này" in unknown.text
    for page in (1, -1, 1000):
        bad = _alert(await harness.press(user, BrowseCb(code="3.4", page=page).pack()))
        assert "Trang này không tồn tại" in bad.text, page
    bad_root = _alert(await harness.press(user, BrowseCb(code="", page=1).pack()))
    assert "Trang này không tồn tại" in bad_root.text
    bad_ask = _alert(await harness.press(user, BrowseAskCb(code="3.4.1", page=7).pack()))
    assert "Trang này không tồn tại" in bad_ask.text
    ask_unknown = _alert(await harness.press(user, BrowseAskCb(code="0", page=0).pack()))
    assert "Không tìm thấy mã này" in ask_unknown.text
    # Not even a number: the button is treated as stale by the fallback.
    stale = _alert(await harness.press(user, "t:3.4:abc"))
    assert "hết hiệu lực" in stale.text


async def test_questions_about_a_node_open_their_answers(
    harness: Harness, shipped: tuple[BotData, SearchIndex]
) -> None:
    data, index = shipped
    user = harness.user(6)
    card = await harness.send(user, "/tieuchi 3.4.1")
    listed = _edit(await harness.press(user, card[0].button("❓ Câu hỏi thường gặp")))
    linked = index.entries_for("3.4.1")
    assert linked, "the shipped knowledge base has entries on 3.4.1"
    assert f"Có {len(linked)} câu hỏi" in listed.text
    entry = linked[0]
    opened = await harness.press(user, listed.buttons[0][1])
    answer = next(s for s in opened if s.method == "sendMessage")
    assert entry.question.split()[0] in answer.text
    assert data.by_id[entry.id].answer.split()[0] in answer.text
    back = _edit(await harness.press(user, listed.button("⬅️ Về Tiêu chí thành phần 3.4.1")))
    assert "<b>Tiêu chí thành phần 3.4.1</b>" in back.text


async def test_questions_of_an_area_are_paged(
    harness: Harness, shipped: tuple[BotData, SearchIndex]
) -> None:
    _, index = shipped
    cset = shipped[0].catalogue.current
    ids = {e.id for c in cset.by_code()["8"].walk() for e in index.entries_for(c.code)}
    assert len(ids) > 8
    user = harness.user(7)
    first = _edit(await harness.press(user, BrowseAskCb(code="8", page=0).pack()))
    assert len([b for b in _labels(first) if b not in {"▶", "⬅️ Về Lĩnh vực 8"}]) == 8
    assert "▶" in _labels(first) and "◀" not in _labels(first)
    seen = {data.split(":", 2)[2] for _, data in first.buttons if data.startswith("a:e:")}
    page = first
    while "▶" in _labels(page):
        page = _edit(await harness.press(user, page.button("▶")))
        seen |= {data.split(":", 2)[2] for _, data in page.buttons if data.startswith("a:e:")}
    assert "◀" in _labels(page)
    assert seen == ids


# --- A set with more than eight children under one node, to page the tree ------------------


@pytest.fixture
async def wide(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> AsyncIterator[Harness]:
    data, index = shipped
    cset = data.catalogue.current
    leaf = cset.by_code()["3.4.1"]
    area = cset.areas[0].model_copy(
        update={
            "code": "9",
            "title": "Lĩnh vực thử phân trang",
            "max": leaf.max,
            "children": tuple(
                leaf.model_copy(update={"code": f"9.{i}", "title": f"Tiêu chí thử số {i}"})
                for i in range(1, 12)
            ),
        }
    )
    wide_set = cset.model_copy(update={"areas": (*cset.areas, area)})
    catalogue = Catalogue(sets={wide_set.id: wide_set}, routing=data.catalogue.routing)
    yield build_harness(
        settings, BotData(catalogue=catalogue, entries=data.entries), index, session_factory
    )


async def test_paging_children(wide: Harness) -> None:
    user = wide.user(8)
    root = await wide.send(user, "/tieuchi")
    assert "9 lĩnh vực" in root[0].text
    # Nine areas: eight on the first page, then ▶.
    assert _labels(root[0])[-1] == "▶" and len(root[0].buttons) == 9
    second = _edit(await wide.press(user, root[0].button("▶")))
    assert "Trang 2/2" in second.text
    assert _labels(second) == ["9. Lĩnh vực thử phân trang (2,5 đ)", "◀"]

    area = _edit(await wide.press(user, second.button("9. ")))
    assert "Trang 1/2" in area.text
    children = [lbl for lbl in _labels(area) if lbl.startswith("9.")]
    assert children == [f"9.{i}. Tiêu chí thử số {i} (2,5 đ)" for i in range(1, 9)]
    assert "▶" in _labels(area) and "◀" not in _labels(area)

    page2 = _edit(await wide.press(user, area.button("▶")))
    assert "Trang 2/2" in page2.text
    children = [lbl for lbl in _labels(page2) if lbl.startswith("9.")]
    assert children == [f"9.{i}. Tiêu chí thử số {i} (2,5 đ)" for i in range(9, 12)]
    assert "◀" in _labels(page2) and "▶" not in _labels(page2)

    # Back from a child on the second page returns to that page, and from the area to page 2
    # of the areas.
    leaf = _edit(await wide.press(user, page2.button("9.10. ")))
    assert "<b>Tiêu chí 9.10</b>" in leaf.text
    back = _edit(await wide.press(user, leaf.button("⬅️ Quay lại")))
    assert "Trang 2/2" in back.text and "<b>Lĩnh vực 9</b>" in back.text
    assert BrowseCb(code="", page=1).pack() in [d for _, d in area.buttons]

    _alert(await wide.press(user, BrowseCb(code="9", page=2).pack()))
