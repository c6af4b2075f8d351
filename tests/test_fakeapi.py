"""A plain aiogram bot polling the fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.fakeapi import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    FakeAPIError,
    FakeBotAPI,
    Faults,
    HTMLParseError,
    parse_html,
)

TOKEN = "123456:TEST"


def build_router() -> Router:
    router = Router(name="fake-api-test")

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject) -> None:
        menu = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Hỏi đáp", callback_data="menu:ask")],
                [InlineKeyboardButton(text="Tài liệu", url="https://example.org/doc")],
            ]
        )
        await message.answer(
            f"<b>Xin chào</b> {message.from_user.first_name if message.from_user else ''}! "
            f"payload={command.args} &lt;ok&gt;",
            reply_markup=menu,
        )

    @router.message(Command("phim"))
    async def keyboard(message: Message) -> None:
        await message.answer(
            "Chọn:",
            reply_markup=ReplyKeyboardMarkup(
                keyboard=[[KeyboardButton(text="Có"), KeyboardButton(text="Không")]],
                resize_keyboard=True,
            ),
        )

    @router.message(F.text == "Có")
    async def yes(message: Message) -> None:
        await message.answer("Đã ghi nhận.", reply_markup=ReplyKeyboardRemove())

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        buffer = io.BytesIO()
        await bot.download(message.document, destination=buffer)
        data = buffer.getvalue()
        await message.answer_document(
            BufferedInputFile(data.upper(), filename="ket-qua.csv"),
            caption=f"Nhận {len(data)} byte từ {message.document.file_name}",
        )

    @router.callback_query(F.data == "menu:ask")
    async def ask(callback: CallbackQuery) -> None:
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(
            "Bạn muốn hỏi gì?",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="Quay lại", callback_data="back")]]
            ),
        )
        await callback.answer("Đã mở hỏi đáp")

    return router


@dataclass
class Running:
    api: FakeBotAPI
    bot: Bot


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    api = FakeBotAPI(bot_username="TroLyCCHCBot")  # Telegram's rate limits, as by default
    url = await api.start()
    session = AiohttpSession(api=TelegramAPIServer.from_base(url))
    bot = Bot(
        token=TOKEN,
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    dp = Dispatcher()
    dp.include_router(build_router())
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        await api.wait_for_call("getUpdates", timeout=20)
        yield Running(api, bot)
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(task, 10)
        # Close the client before the server, skipping aiogram's 250 ms TLS grace sleep.
        if session._session is not None:
            await session._session.close()
        await api.stop()


async def test_message_button_edit_and_callback_answer(running: Running) -> None:
    api = running.api
    me = await running.bot.get_me()
    assert (me.id, me.username) == (123456, "TroLyCCHCBot")

    user = api.user(1001, first_name="Lan")
    await user.send("/start abc")
    [greeting] = await user.wait_messages(1)
    assert greeting.text == "Xin chào Lan! payload=abc <ok>"
    assert greeting.html is not None and greeting.html.startswith("<b>Xin chào</b>")
    assert greeting.buttons == [
        [("Hỏi đáp", "menu:ask")],
        [("Tài liệu", "https://example.org/doc")],
    ]
    start_update = api.calls_of("getUpdates")
    assert start_update and start_update[-1]["timeout"] == 1

    with pytest.raises(FakeAPIError, match="no callback_data"):
        await user.press("Tài liệu", message=greeting.message_id)
    await user.press("menu:ask")
    [edited] = await user.wait_messages(1)
    assert edited.edited and edited.message_id == greeting.message_id
    assert edited.text == "Bạn muốn hỏi gì?"
    assert edited.buttons == [[("Quay lại", "back")]]
    assert [m.text for m in user.messages] == ["Bạn muốn hỏi gì?"]
    await api.wait_for_call("answerCallbackQuery", timeout=2)
    assert [a.text for a in user.callback_answers] == ["Đã mở hỏi đáp"]

    with pytest.raises(FakeAPIError, match="no button"):
        await user.press("Không có nút này")
    with pytest.raises(TimeoutError, match="expected 1 new bot message"):
        await user.wait_messages(1, timeout=0.2)


async def test_reply_keyboard_is_tracked_and_removed(running: Running) -> None:
    user = running.api.user(1002)
    await user.send("/phim")
    [msg] = await user.wait_messages()
    assert msg.keyboard == [["Có", "Không"]]
    assert user.reply_keyboard == [["Có", "Không"]]
    await user.send("Có")
    [done] = await user.wait_messages()
    assert done.text == "Đã ghi nhận." and done.remove_keyboard
    assert user.reply_keyboard is None


async def test_documents_round_trip(running: Running) -> None:
    user = running.api.user(1003)
    await user.send_document("bang-diem.csv", b"ma,diem\n1.1,2\n")
    [reply] = await user.wait_messages()
    assert reply.document is not None
    assert reply.document.file_name == "ket-qua.csv"
    assert reply.document.content == b"MA,DIEM\n1.1,2\n"
    assert reply.caption == "Nhận 14 byte từ bang-diem.csv"
    file = await running.bot.get_file(reply.document.file_id)
    assert file.file_path and file.file_size == 14


async def test_commands_chat_and_unknown_method(running: Running) -> None:
    bot = running.bot
    await bot.set_my_commands([BotCommand(command="start", description="Bắt đầu")])
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == []
    # A chat's own list wins over the default one, as in Telegram; bad ones are refused.
    await bot.set_my_commands([BotCommand(command="start", description="Bắt đầu")])
    chat_scope = BotCommandScopeChat(chat_id=1004)
    await bot.set_my_commands([BotCommand(command="phieu", description="Phiếu")], chat_scope)
    assert running.api.commands_for(1004) == ["phieu"]
    assert running.api.commands_for(1005) == ["start"]
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.set_my_commands([], BotCommandScopeChat(chat_id=-5))
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Tiến_độ", description="x")])
    await bot.delete_my_commands(chat_scope)
    assert running.api.commands_for(1004) == ["start"]
    chat = await bot.get_chat(1004)
    assert chat.id == 1004 and chat.type == "private"
    await bot.send_chat_action(1004, "typing")

    class Unknown(TelegramMethod[bool]):
        __returning__ = bool
        __api_method__ = "noSuchMethod"

    with pytest.raises(TelegramNotFound, match="method not found"):
        await bot(Unknown())
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=1004, message_id=999)


async def test_rate_limits_and_blocked_users(running: Running) -> None:
    api, bot = running.api, running.bot
    # Slow refills (the test must not depend on how fast this machine is).
    api.per_chat_limit_per_sec, api.per_chat_burst = 0.1, 1
    api.global_limit_per_sec, api.global_burst = 0.1, 3
    await bot.send_message(2001, "một")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(2001, "hai")
    assert info.value.retry_after == 10
    await bot.send_message(2002, "một")
    await bot.send_message(2003, "một")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(2004, "một")
    assert api.rejected_429 == 2
    assert [m.text for m in api.user(2001).messages] == ["một"]

    api.per_chat_limit_per_sec = api.global_limit_per_sec = None
    api.block(2005)
    with pytest.raises(TelegramForbiddenError, match="blocked by the user"):
        await bot.send_message(2005, "xin chào")
    assert api.user(2005).messages == []


async def test_http_test_endpoints(running: Running) -> None:
    base = running.api.base_url
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/_test/users/3001/send", json={"text": "/start"}) as resp:
            assert (await resp.json())["ok"]
        await running.api.user(3001).wait_messages()
        async with http.post(f"{base}/_test/users/3001/press", json={"text": "Hỏi đáp"}) as resp:
            assert (await resp.json())["ok"]
        await running.api.user(3001).wait_messages()
        async with http.get(f"{base}/_test/users/3001/messages") as resp:
            messages = await resp.json()
        async with http.post(f"{base}/_test/users/3001/press", json={"text": "Nope"}) as resp:
            assert resp.status == 400
    assert [m["text"] for m in messages] == ["Bạn muốn hỏi gì?"]
    assert messages[0]["buttons"] == [[["Quay lại", "back"]]]


# -- as strict as Telegram ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("<b>Đậm</b> &lt;x&gt; &amp; &quot;q&quot; &#273;&#x1EA1;", 'Đậm <x> & "q" đạ'),
        ('<a href="https://t.me/x?a=1&amp;b=2">link</a>', "link"),
        ('<span class="tg-spoiler">ẩn</span><tg-spoiler>!</tg-spoiler>', "ẩn!"),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        ("AT&T &nbsp; & ;", "AT&T &nbsp; & ;"),  # Telegram keeps a bare & as it is
        ("<B>hoa</B>", "hoa"),
    ],
)
def test_html_parse_mode_as_telegram(source: str, plain: str) -> None:
    assert parse_html(source) == plain


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("Dòng 1<br>Dòng 2", 'Unsupported start tag "br" at byte offset 7'),
        ("điểm < 5", 'Unsupported start tag "" at byte offset 8'),
        ("<b>đậm", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler"'),
    ],
)
def test_broken_html_is_refused_like_telegram(source: str, error: str) -> None:
    with pytest.raises(HTMLParseError, match=re.escape(error)):
        parse_html(source)


async def test_broken_html_and_long_texts_are_400_and_nothing_is_sent(running: Running) -> None:
    api, bot = running.api, running.bot
    # Dozens of sends to one chat: not a rate-limit test.
    api.per_chat_limit_per_sec = api.global_limit_per_sec = None
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Unsupported start tag"):
        await bot.send_message(4001, "Điểm <5 là thấp")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(4001, "<b>chưa đóng")
    # The limit counts what the user sees: markup does not count, escaped entities count once.
    await bot.send_message(4001, "<b>" + "&amp;" * MAX_TEXT_LENGTH + "</b>")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(4001, "a" * (MAX_TEXT_LENGTH + 1))
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(4001, "<b> </b>")
    # Without parse mode, tags are plain text.
    await bot.send_message(4001, "<br> & <b>", parse_mode=None)
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(
            4001, BufferedInputFile(b"x", "a.txt"), caption="c" * (MAX_CAPTION_LENGTH + 1)
        )
    await bot.send_document(4001, BufferedInputFile(b"x", "a.txt"), caption="c" * 1024)
    sent = api.user(4001).messages
    assert [len(m.text) for m in sent] == [MAX_TEXT_LENGTH, 10, 1024]
    assert sent[1].text == "<br> & <b>"

    first = sent[0]
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.edit_message_text("<i>x</b>", chat_id=4001, message_id=first.message_id)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.edit_message_text("é" * 4097, chat_id=4001, message_id=first.message_id)
    assert api.user(4001).messages[0].text == "&" * MAX_TEXT_LENGTH


async def test_callback_data_is_at_most_64_bytes(running: Running) -> None:
    bot = running.bot

    def markup(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Nút", callback_data=data)]]
        )

    ok = await bot.send_message(4002, "Chọn", reply_markup=markup("đ" * 32))  # 64 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(4002, "Chọn", reply_markup=markup("đ" * 32 + "x"))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.edit_message_reply_markup(
            chat_id=4002, message_id=ok.message_id, reply_markup=markup("x" * 65)
        )
    assert [m.buttons for m in running.api.user(4002).messages] == [[[("Nút", "đ" * 32)]]]


async def test_a_callback_query_is_answered_once(running: Running) -> None:
    api, bot = running.api, running.bot
    user = api.user(4003)
    await user.send("/start")
    await user.wait_messages()
    query_id = await user.press("Hỏi đáp")
    await user.wait_messages()
    await api.wait_until(lambda: not api.unanswered_callbacks, timeout=5)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id, text="lần hai")
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("no-such-query")
    assert [a.text for a in user.callback_answers] == ["Đã mở hỏi đáp"]


async def test_per_chat_bursts_then_the_rate(running: Running) -> None:
    api, bot = running.api, running.bot
    api.per_chat_limit_per_sec, api.per_chat_burst = 0.5, 3
    for n in range(3):
        await bot.send_message(4004, f"tin {n}")
    with pytest.raises(TelegramRetryAfter) as info:
        await bot.send_message(4004, "tin 3")
    assert info.value.retry_after in (1, 2)
    await bot.send_message(4005, "chat khác")  # another chat has its own bucket
    await asyncio.sleep(info.value.retry_after)
    await bot.send_message(4004, "tin 4")
    assert [m.text for m in api.user(4004).messages] == ["tin 0", "tin 1", "tin 2", "tin 4"]
    assert api.rejected_429 == 1


# -- fault injection ------------------------------------------------------------------------


def test_faults_are_checked() -> None:
    with pytest.raises(ValueError, match="fault kinds"):
        Faults(kinds=("boom",))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Faults(rate=2)


async def _outcomes(bot: Bot, count: int) -> list[str]:
    out = []
    for n in range(count):
        try:
            await bot.send_message(5001, f"tin {n}")
            out.append("ok")
        except TelegramRetryAfter as exc:
            out.append(f"429:{exc.retry_after}")
        except TelegramServerError:
            out.append("5xx")
        except TelegramNetworkError:
            out.append("network")
    return out


async def test_faults_are_injected_deterministically_by_seed(running: Running) -> None:
    api, bot = running.api, running.bot
    # Only the injected 429s, none of the rate limits'.
    api.per_chat_limit_per_sec = api.global_limit_per_sec = None
    faults = Faults(
        rate=0.5, seed=7, kinds=("429", "5xx", "drop"), methods=frozenset({"sendMessage"})
    )
    api.set_faults(faults)
    first = await _outcomes(bot, 30)
    injected = list(api.injected)
    delivered = [m.text for m in api.user(5001).messages]

    api.injected.clear()
    api.set_faults(faults)  # same seed: the same faults on the same calls
    again = await _outcomes(bot, 30)
    assert again == first and api.injected == injected
    assert {"ok", "429:1", "5xx", "network"} <= set(first)
    # A failed call delivers nothing: exactly the "ok" calls reached the chat, both times.
    assert len(delivered) == first.count("ok")
    assert len(api.user(5001).messages) == 2 * first.count("ok")
    assert 5 <= len(injected) <= 25

    api.set_faults(Faults(rate=0.5, seed=8, kinds=("429", "5xx", "drop")))
    assert await _outcomes(bot, 30) != first  # another seed, other faults

    api.set_faults(None)
    assert await _outcomes(bot, 5) == ["ok"] * 5


async def test_a_hung_request_times_out_on_the_client(running: Running) -> None:
    api = running.api
    api.set_faults(
        Faults(rate=1.0, kinds=("timeout",), hang_seconds=1.0, methods=frozenset({"sendMessage"}))
    )
    impatient = Bot(
        token=TOKEN,
        session=AiohttpSession(api=TelegramAPIServer.from_base(api.base_url), timeout=0.3),
    )
    try:
        with pytest.raises(TelegramNetworkError, match="timeout"):
            await impatient.send_message(5002, "chờ mãi")
        # A client that waits longer sees the connection closed after the hang.
        with pytest.raises(TelegramNetworkError):
            await running.bot.send_message(5002, "chờ mãi")
    finally:
        await impatient.session.close()
    assert api.injected == [("sendMessage", "timeout")] * 2
    assert api.user(5002).messages == []
    assert await running.bot.get_me()  # other methods are untouched


async def test_telegram_rate_limits_are_on_by_default(running: Running) -> None:
    """Without options the fake API is as strict as Telegram: a burst to one chat, then 429
    with retry_after; the other chats are not affected."""
    api, bot = running.api, running.bot
    assert (api.global_limit_per_sec, api.per_chat_limit_per_sec) == (30, 1)
    for n in range(5):
        await bot.send_message(4101, f"tin {n}")
    with pytest.raises(TelegramRetryAfter) as refused:
        await bot.send_message(4101, "tin 6")
    assert refused.value.retry_after >= 1
    await bot.send_message(4102, "chat khác")
    assert [m.text for m in api.user(4101).messages] == [f"tin {n}" for n in range(5)]
    assert api.rejected_429 == 1
