"""Ask journey through the real dispatcher: answer, clarify, none, feedback, related, split."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiogram.types import Chat, Message, PhotoSize, Update
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.data import BotData
from bot.db.models import QuestionLog
from bot.settings import Settings
from criteria.schema import node_label
from handlers.callbacks import AskCb
from handlers.texts import level_words
from knowledge.schema import MAX_ID_LENGTH, Entry
from knowledge.search import SearchIndex, SearchResult
from tests.recording import Harness, Sent, build_harness

ENTRY_QUESTION = "Hồ sơ trễ hạn thì có phải gửi thư xin lỗi người dân không?"
OFF_TOPIC = "Thời tiết ở Huế cuối tuần này có mưa không?"


def _messages(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.method == "sendMessage"]


async def _log(factory: async_sessionmaker[AsyncSession], telegram_id: int) -> list[QuestionLog]:
    async with factory() as session:
        query = select(QuestionLog).where(QuestionLog.telegram_id == telegram_id)
        return list((await session.execute(query.order_by(QuestionLog.id))).scalars())


async def test_code_question_answers_with_card_and_buttons(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    sent = await harness.send(harness.user(101), "tiêu chí 3.4.1 chấm điểm thế nào?")
    (reply,) = _messages(sent)
    card = "📌 <b>Tiêu chí thành phần 3.4.1</b>: Tỷ lệ hồ sơ cấp huyện giải quyết đúng hạn"
    assert card in reply.text
    assert "Điểm tối đa: <b>2,5</b>" in reply.text
    assert "Phụ trách: Văn phòng HĐND và UBND" in reply.text
    assert "Nguồn:" in reply.text
    related = [data for _, data in reply.buttons if data.startswith("a:e:")]
    assert 1 <= len(related) <= 3
    assert ("👍 Hữu ích", f"a:up:{_id_of(reply)}") in reply.buttons
    assert ("👎 Chưa đúng", f"a:down:{_id_of(reply)}") in reply.buttons
    (row,) = await _log(session_factory, 101)
    assert (row.decision, row.criterion_code, row.unit_id, row.helpful) == (
        "answer",
        "3.4.1",
        None,
        None,
    )
    assert row.text == "tiêu chí 3.4.1 chấm điểm thế nào?"


def _id_of(reply: Sent) -> str:
    return reply.button("👍").rsplit(":", 1)[1]


async def test_entry_answer_shows_answer_card_and_related(
    harness: Harness, shipped: tuple[BotData, SearchIndex]
) -> None:
    data, index = shipped
    best = index.search(ENTRY_QUESTION, top=4).best
    assert best is not None and best.kind == "entry" and best.code
    entry = data.by_id[cast(str, best.entry_id)]
    sent = await harness.send(harness.user(102), ENTRY_QUESTION)
    (reply,) = _messages(sent)
    assert reply.text.startswith(f"❓ <b>{entry.question}</b>")
    assert entry.answer.split("\n")[0][:60] in reply.text
    assert f"<b>{node_label(entry.criteria[0])}</b>" in reply.text
    related = [(text, cb) for text, cb in reply.buttons if cb.startswith("a:")]
    related = [(t, d) for t, d in related if not d.startswith(("a:up:", "a:down:"))]
    assert 1 <= len(related) <= 3
    assert f"a:e:{entry.id}" not in [d for _, d in related]

    # A related question opens its own answer.
    _, button = related[0]
    opened = _messages(await harness.press(harness.user(102), button))
    assert len(opened) == 1
    ref = AskCb.unpack(button).ref
    if button.startswith("a:e:"):
        shown = level_words(data.by_id[ref].question)  # "tiêu chí thành phần 3.4.3"
        assert shown in opened[0].text.replace("&quot;", '"')
    else:
        assert f"<b>{node_label(ref)}</b>" in opened[0].text


async def test_feedback_is_stored(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = harness.user(103)
    (reply,) = _messages(await harness.send(user, "tc 6.5"))
    up = await harness.press(user, reply.button("👍"))
    assert [(s.method, s.text) for s in up] == [("answerCallbackQuery", "Cảm ơn bạn đã đánh giá!")]
    assert (await _log(session_factory, 103))[0].helpful is True
    down = await harness.press(user, reply.button("👎"))
    assert "xem lại" in down[0].text
    assert (await _log(session_factory, 103))[0].helpful is False


async def test_forged_feedback_on_someone_elses_question_is_refused(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    (reply,) = _messages(await harness.send(harness.user(104), "tiêu chí 7.2.2"))
    intruder = harness.user(105)
    for data in (reply.button("👎"), reply.button("👍")):
        refused = await harness.press(intruder, data)
        assert [s.method for s in refused] == ["answerCallbackQuery"]
        assert refused[0].show_alert and "không có quyền" in refused[0].text
    question_id = int(_id_of(reply))
    forged = await harness.press(intruder, AskCb(action="hs", ref=str(question_id)).pack())
    assert forged[0].show_alert and "không có quyền" in forged[0].text
    (row,) = await _log(session_factory, 104)
    assert (row.helpful, row.for_province) == (None, False)
    # Not a number, or nobody's question: refused too.
    assert (await harness.press(intruder, "a:up:12abc"))[0].show_alert
    assert (await harness.press(intruder, "a:down:987654"))[0].show_alert


async def test_none_is_honest_and_can_go_to_the_province(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = harness.user(106)
    (reply,) = _messages(await harness.send(user, OFF_TOPIC))
    assert "chưa có câu trả lời" in reply.text
    assert [t for t, _ in reply.buttons] == ["📨 Gửi câu hỏi lên Sở"]
    (row,) = await _log(session_factory, 106)
    assert (row.decision, row.entry_id, row.for_province) == ("none", None, False)
    sent = await harness.press(user, reply.button("📨"))
    (told,) = _messages(sent)
    # A guest cannot open a ticket: the question reaches the admins, and the guest is told so.
    assert "quản trị viên" in told.text and "nhắn lại cho bạn" in told.text
    (row,) = await _log(session_factory, 106)
    assert row.for_province is True


async def test_stale_entry_button(harness: Harness) -> None:
    sent = await harness.press(harness.user(107), AskCb(action="e", ref="khong-ton-tai").pack())
    assert sent[0].show_alert and "hết hiệu lực" in sent[0].text
    sent = await harness.press(harness.user(107), AskCb(action="c", ref="42.42").pack())
    assert sent[0].show_alert and "hết hiệu lực" in sent[0].text


async def test_escalate_entries_say_to_confirm_with_so_noi_vu(
    harness: Harness, shipped: tuple[BotData, SearchIndex]
) -> None:
    data, _ = shipped
    flagged = next(e for e in data.entries if e.escalate)
    plain = next(e for e in data.entries if not e.escalate)
    user = harness.user(108)
    (hinted,) = _messages(await harness.press(user, AskCb(action="e", ref=flagged.id).pack()))
    assert "nên hỏi Sở Nội vụ để chắc chắn" in hinted.text
    (quiet,) = _messages(await harness.press(user, AskCb(action="e", ref=plain.id).pack()))
    assert "nên hỏi Sở Nội vụ" not in quiet.text


async def test_a_photo_gets_a_friendly_message(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = harness.user(109)
    message = Message(
        message_id=77,
        date=datetime.now(UTC),
        chat=Chat(id=user.id, type="private"),
        from_user=user,
        photo=[PhotoSize(file_id="f1", file_unique_id="u1", width=90, height=90)],
    )
    sent = await harness._feed(Update(update_id=9999, message=message))
    (reply,) = _messages(sent)
    assert "tin nhắn dạng chữ" in reply.text
    assert await _log(session_factory, 109) == []


# --- Scripted decisions: clarify, a long answer, text that needs escaping -------------------

LONG = Entry(
    id="thu-tra-loi-dai",
    question="Câu hỏi thử có câu trả lời rất dài <dài>",
    answer="\n".join(
        f"Đoạn {i}: hồ sơ & tài liệu kiểm chứng <bản sao> phải đủ số, ngày ký. " * 6
        for i in range(1, 40)
    ),
    criteria=("3.4.1",),
    source="Văn bản thử <số 1> & phụ lục",
)


class ScriptedIndex:
    """The real index, except that some questions get a decision fixed by the test."""

    def __init__(self, real: SearchIndex, scripted: dict[str, SearchResult]) -> None:
        self.real = real
        self.scripted = scripted

    def search(self, query: str, top: int = 3) -> SearchResult:
        return self.scripted.get(query) or self.real.search(query, top)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
async def scripted(
    settings: Settings,
    shipped: tuple[BotData, SearchIndex],
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[Harness]:
    data, _ = shipped
    entries = (*data.entries, LONG)
    real = SearchIndex.build(entries, [data.catalogue.current])
    hits = [
        real.entry_hit("tc-1-1-1-cach-cham"),
        real.entry_hit("tc-7-1-1-ke-hoach-cntt"),
        real.criterion_hit("1.1"),
    ]
    long_hit = real.entry_hit(LONG.id)
    assert all(hits) and long_hit is not None
    index = ScriptedIndex(
        real,
        {
            "kế hoạch năm nay": SearchResult("kế hoạch năm nay", "clarify", [*filter(None, hits)]),
            "câu trả lời dài": SearchResult("câu trả lời dài", "answer", [long_hit]),
        },
    )
    yield build_harness(
        settings,
        BotData(catalogue=data.catalogue, entries=entries),
        cast(SearchIndex, index),
        session_factory,
    )


async def test_clarify_offers_choices_and_the_province(
    scripted: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = scripted.user(110)
    (reply,) = _messages(await scripted.send(user, "kế hoạch năm nay"))
    assert "<b>Có phải bạn hỏi…</b>" in reply.text
    labels = [t for t, _ in reply.buttons]
    assert len(labels) == 4 and labels[-1] == "Không phải — hỏi Sở"
    (row,) = await _log(session_factory, 110)
    # Each choice carries the question it answers (the log row), so the pick is recorded.
    assert [d for _, d in reply.buttons[:3]] == [
        f"a:e:tc-1-1-1-cach-cham:{row.id}",
        f"a:e:tc-7-1-1-ke-hoach-cntt:{row.id}",
        f"a:c:1.1:{row.id}",
    ]
    (card,) = _messages(await scripted.press(user, reply.buttons[2][1]))
    assert "<b>Tiêu chí 1.1</b>" in card.text
    (row,) = await _log(session_factory, 110)
    assert (row.decision, row.for_province) == ("clarify", False)
    assert (row.entry_id, row.criterion_code) == (None, "1.1")
    told = _messages(await scripted.press(user, reply.button("Không phải")))
    assert "quản trị viên" in told[0].text
    assert (await _log(session_factory, 110))[0].for_province is True


async def test_long_answer_is_split_and_escaped(scripted: Harness) -> None:
    assert len(LONG.answer) > 8000
    sent = _messages(await scripted.send(scripted.user(111), "câu trả lời dài"))
    assert len(sent) >= 3
    assert all(len(s.text) < 4096 for s in sent)
    # Buttons (feedback, related) only under the last part.
    assert all(not s.buttons for s in sent[:-1])
    assert sent[-1].button("👍")
    whole = "\n".join(s.text for s in sent)
    assert "Câu hỏi thử có câu trả lời rất dài &lt;dài&gt;" in whole
    assert whole.count("Đoạn ") == 39 * 6  # nothing lost between the parts
    assert "&lt;bản sao&gt;" in whole and "<bản sao>" not in whole
    assert "hồ sơ &amp; tài liệu" in whole
    assert "Văn bản thử &lt;số 1&gt; &amp; phụ lục" in whole
    assert "<b>Tiêu chí thành phần 3.4.1</b>" in sent[-1].text


# --- Picks (clarify choices, related questions) carry the question ------------------------


async def test_clarify_pick_is_recorded_and_gets_feedback(
    scripted: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = scripted.user(112)
    (reply,) = _messages(await scripted.send(user, "kế hoạch năm nay"))
    (row,) = await _log(session_factory, 112)
    assert (row.decision, row.entry_id) == ("clarify", "tc-1-1-1-cach-cham")  # the best guess
    (opened,) = _messages(await scripted.press(user, reply.button("Tiêu chí thành phần 7.1.1 ")))
    assert "<b>Tiêu chí thành phần 7.1.1</b>" in opened.text
    assert opened.buttons == [
        ("👍 Hữu ích", f"a:up:{row.id}"),
        ("👎 Chưa đúng", f"a:down:{row.id}"),
    ]
    (row,) = await _log(session_factory, 112)
    assert (row.entry_id, row.criterion_code, row.helpful) == (
        "tc-7-1-1-ke-hoach-cntt",
        "7.1.1",
        None,
    )
    # The 👎 under the picked answer judges the same question.
    down = await scripted.press(user, opened.button("👎"))
    assert "xem lại" in down[0].text and not down[0].show_alert
    (row,) = await _log(session_factory, 112)
    assert (row.entry_id, row.helpful) == ("tc-7-1-1-ke-hoach-cntt", False)


async def test_related_pick_is_recorded_and_gets_feedback(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = harness.user(113)
    (reply,) = _messages(await harness.send(user, ENTRY_QUESTION))
    (row,) = await _log(session_factory, 113)
    picks = [AskCb.unpack(d) for _, d in reply.buttons if d.startswith(("a:e:", "a:c:"))]
    assert picks and all(p.q == row.id for p in picks)
    pick = next(p for p in picks if p.action == "e")
    assert pick.ref != row.entry_id
    (opened,) = _messages(await harness.press(user, pick.pack()))
    assert opened.button("👍") == f"a:up:{row.id}"
    assert opened.button("👎") == f"a:down:{row.id}"
    (after,) = await _log(session_factory, 113)
    assert after.entry_id == pick.ref
    assert after.decision == "answer" and after.text == ENTRY_QUESTION


async def test_forged_pick_opens_the_entry_but_records_nothing(
    scripted: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    owner, intruder = scripted.user(114), scripted.user(115)
    (reply,) = _messages(await scripted.send(owner, "kế hoạch năm nay"))
    (before,) = await _log(session_factory, 114)
    button = reply.button("Tiêu chí thành phần 7.1.1 ")  # an entry
    for data in (button, AskCb(action="c", ref="7.1", q=before.id).pack()):
        sent = await scripted.press(intruder, data)
        assert [s.method for s in sent] == ["answerCallbackQuery", "sendMessage"]
        assert not sent[0].show_alert and not sent[0].text
        assert "<b>Tiêu chí thành phần 7.1.1" in sent[1].text or "<b>Tiêu chí 7.1<" in sent[1].text
        assert sent[1].buttons == []  # no 👍/👎 on someone else's question
    # A log id that does not exist: opens, records nothing.
    forged = AskCb(action="e", ref="tc-7-1-1-ke-hoach-cntt", q=987654321).pack()
    (opened,) = _messages(await scripted.press(owner, forged))
    assert "<b>Tiêu chí thành phần 7.1.1</b>" in opened.text and opened.buttons == []
    (after,) = await _log(session_factory, 114)
    assert (after.entry_id, after.criterion_code, after.updated_at) == (
        before.entry_id,
        before.criterion_code,
        before.updated_at,
    )
    assert await _log(session_factory, 115) == []
    # No log id at all (a list: browse, related): the opening is its own question, with 👍/👎.
    listed = AskCb(action="e", ref="tc-7-1-1-ke-hoach-cntt").pack()
    (opened,) = _messages(await scripted.press(owner, listed))
    first, mine = await _log(session_factory, 114)
    assert first.id == before.id and (mine.decision, mine.entry_id) == (
        "answer",
        "tc-7-1-1-ke-hoach-cntt",
    )
    assert opened.buttons == [
        ("👍 Hữu ích", f"a:up:{mine.id}"),
        ("👎 Chưa đúng", f"a:down:{mine.id}"),
    ]
    # A stale entry with a valid question id is still refused as stale, and changes nothing.
    stale = await scripted.press(owner, AskCb(action="e", ref="khong-ton-tai", q=before.id).pack())
    assert stale[0].show_alert and "hết hiệu lực" in stale[0].text
    assert (await _log(session_factory, 114))[0].entry_id == before.entry_id


def test_entry_ids_fit_in_a_pick_button() -> None:
    longest = "a" * MAX_ID_LENGTH
    Entry(id=longest, question="q", answer="a", source="s")
    packed = AskCb(action="e", ref=longest, q=10**14 - 1).pack()
    assert len(packed.encode()) < 64 and AskCb.unpack(packed).q == 10**14 - 1
    with pytest.raises(ValidationError, match=r"mã mục dài 45 ký tự, tối đa 44"):
        Entry(id=longest + "b", question="q", answer="a", source="s")
    # Old three-part data (sent before picks carried the question) still unpacks.
    assert AskCb.unpack("a:e:tc-1-1-1-cach-cham") == AskCb(action="e", ref="tc-1-1-1-cach-cham")


async def test_figures_in_the_question_add_an_estimate_from_the_rule(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    user = harness.user(131)
    sent = await harness.send(user, "tc 3.4.1 bên em đạt 97,6 % thì được mấy điểm ạ")
    (reply,) = _messages(sent)
    assert reply.text.startswith(
        "🧮 Ước tính: 97,6 % → mức 95–&lt;98 % → 1,5/2,5 điểm theo tiêu chí thành phần 3.4.1 "
        "(cần xác nhận khi tự chấm).\n\n📌 <b>Tiêu chí thành phần 3.4.1</b>"
    )
    (late,) = _messages(await harness.send(user, "tiêu chí 1.2 trễ 2 báo cáo thì sao"))
    assert "🧮 Ước tính: 2 báo cáo gửi chậm hạn × 0,25 = −0,5 → 0,5/1 điểm" in late.text
    # Without figures, or with figures the rule cannot use, no estimate.
    (plain,) = _messages(await harness.send(user, "tc 3.4.1 tính thế nào"))
    (dates,) = _messages(await harness.send(user, "tc 3.4.1 hạn nộp 15/11 phải không"))
    assert "Ước tính" not in plain.text and "Ước tính" not in dates.text
    rows = await _log(session_factory, 131)
    assert [r.criterion_code for r in rows] == ["3.4.1", "1.2", "3.4.1", "3.4.1"]


def test_an_entry_answer_shows_the_estimate_after_the_answer(
    shipped: tuple[BotData, SearchIndex],
) -> None:
    from handlers.ask import reply_body

    data, index = shipped
    hit = index.entry_hit("tc-1-6-nhiem-vu-tinh-giao")
    assert hit is not None
    question = "bên em có 3 nhiệm vụ quá hạn thì được mấy điểm"
    body = reply_body(SearchResult(question, "answer", [hit]), data, data.catalogue.current)
    assert body is not None
    answer_at = body.index(data.by_id["tc-1-6-nhiem-vu-tinh-giao"].answer[:40])
    estimate_at = body.index(
        "🧮 Ước tính: 3 nhiệm vụ quá hạn × 0,25 = −0,75 → 1,25/2 điểm theo tiêu chí 1.6"
    )
    assert answer_at < estimate_at < body.index("📌 <b>Tiêu chí 1.6</b>")
    clarify = reply_body(SearchResult(question, "clarify", [hit]), data, data.catalogue.current)
    assert clarify is None


def test_ask_data_is_askcb_packed() -> None:
    """The question's buttons format their callback data directly: as ``AskCb.pack`` does,
    errors included."""
    import pytest as _pytest

    from handlers.ask import ask_data
    from handlers.callbacks import AskCb

    for action, ref, q in [
        ("e", "tc-3-2-cong-khai-tthc", 12),
        ("c", "3.4.1", None),
        ("up", "7", None),
    ]:
        assert ask_data(action, ref, q) == AskCb(action=action, ref=ref, q=q).pack()
    for action, ref in [("e", "a:b"), ("e", "x" * 70)]:
        with _pytest.raises(ValueError):
            AskCb(action=action, ref=ref).pack()
        with _pytest.raises(ValueError):
            ask_data(action, ref)


async def test_control_characters_in_a_question_are_kept_out_of_the_database(
    harness: Harness, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    # NUL makes PostgreSQL refuse the whole row; a vertical tab (Word's line break, pasted)
    # would stop a spreadsheet export. The question is answered and logged without them.
    sent = await harness.send(harness.user(102), "tiêu chí 3.4.1\x00 chấm\x0bđiểm thế nào?")
    (reply,) = _messages(sent)
    assert "Tiêu chí thành phần 3.4.1" in reply.text
    (row,) = await _log(session_factory, 102)
    assert row.text == "tiêu chí 3.4.1 chấm\nđiểm thế nào?"
