"""A local fake Telegram Bot API server for end-to-end tests and the console simulator.

aiogram talks to it over real HTTP (``TelegramAPIServer.from_base(api.base_url)``); tests and the
console drive it in-process through :class:`FakeUser` handles, or out-of-process through the
``/_test/...`` HTTP endpoints. Private chats (a user's chat id is their id) and, minimally,
group chats (:meth:`FakeBotAPI.group`, negative ids) are modelled.

It is as strict as Telegram where a bot can get things wrong: HTML parse mode is parsed like
Telegram does (unsupported or unbalanced tags are a 400 "can't parse entities"), texts are at most
4096 characters and captions 1024 after entity parsing, callback_data is 1-64 bytes, a callback
query is answered at most once, and per-chat / global rate limits (token buckets, with bursts)
answer 429 with retry_after. :class:`Faults` makes a share of calls fail the way a real network
and a real Bot API do (429, 5xx, hung requests, dropped connections), deterministically by seed.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import html
import itertools
import json
import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)

Params = dict[str, Any]
Button = tuple[str, str | None]

# Form values that must stay strings even when they look like JSON ("123", "true").
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "action",
        "file_id",
        "language_code",
        "url",
        "description",
        "short_description",
        "name",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "secret_token",
        "ip_address",
        "emoji",
    }
)
# Methods that deliver a message to a chat: blocked users and rate limits apply to them.
_SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto", "copyMessage"})
# Settings-like methods aiogram apps commonly call at start; they are accepted and logged.
_ACCEPTED_TRUE_METHODS = frozenset(
    {
        "setMyDescription",
        "setMyShortDescription",
        "setMyName",
        "setChatMenuButton",
        "setMyDefaultAdministratorRights",
        "logOut",
        "close",
    }
)
_TAG_RE = re.compile(r"<[^>]+>")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
# Telegram's limits (https://core.telegram.org/bots/api): after entity parsing.
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
# The tags Telegram's HTML parse mode accepts (anything else: "Unsupported start tag").
_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,8}|[a-zA-Z]{1,10});")
_HTML_ATTR_RE = re.compile(
    r"""\s*([a-zA-Z][a-zA-Z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?"""
)


class FakeAPIError(Exception):
    """A driving-API misuse in a test: no such button, unknown user, timeout, ..."""


class _Dropped(web.HTTPException):
    """The connection was closed on purpose (an injected fault): nothing is answered."""

    status_code = 500


class _MethodError(Exception):
    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


class HTMLParseError(ValueError):
    """Telegram's "can't parse entities" for an HTML text it refuses."""


def _decode_entity(match: re.Match[str]) -> str | None:
    name = match.group(1)
    if not name.startswith("#"):
        return _HTML_NAMED_ENTITIES.get(name)
    try:
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
    except ValueError:
        return None
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None


def parse_html(source: str) -> str:
    """The plain text of a Telegram-HTML string, parsed as Telegram parses it.

    Raises :class:`HTMLParseError` with Telegram's wording for what it refuses: an unsupported
    tag, a tag left open, an end tag that does not match, a ``<`` that starts no tag. Like
    Telegram, ``&`` that starts no known entity is kept as it is.
    """
    out: list[str] = []
    stack: list[str] = []
    i, n = 0, len(source)

    def offset(pos: int) -> int:
        return len(source[:pos].encode("utf-8"))

    while i < n:
        char = source[i]
        if char == "&":
            match = _HTML_ENTITY_RE.match(source, i)
            decoded = _decode_entity(match) if match else None
            if match is not None and decoded is not None:
                out.append(decoded)
                i = match.end()
            else:
                out.append("&")
                i += 1
            continue
        if char != "<":
            out.append(char)
            i += 1
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise HTMLParseError(f"Unexpected end tag at byte offset {offset(begin)}")
            end = source.find(">", i)
            if end < 0:
                raise HTMLParseError(f"Unclosed end tag at byte offset {offset(begin)}")
            name = source[i + 1 : end].strip().lower()
            if name != stack[-1]:
                raise HTMLParseError(
                    f"Unmatched end tag at byte offset {offset(begin)}, expected "
                    f'"</{stack[-1]}>", found "</{name}>"'
                )
            stack.pop()
            i = end + 1
            continue
        j = i
        while j < n and not source[j].isspace() and source[j] != ">":
            j += 1
        if j >= n:
            raise HTMLParseError(f"Unclosed start tag at byte offset {offset(begin)}")
        name = source[i:j].lower()
        if name not in _HTML_TAGS:
            raise HTMLParseError(f'Unsupported start tag "{name}" at byte offset {offset(begin)}')
        attributes: dict[str, str] = {}
        while True:
            while j < n and source[j].isspace():
                j += 1
            if j >= n:
                raise HTMLParseError(f"Unclosed start tag at byte offset {offset(begin)}")
            if source[j] == ">":
                break
            attr = _HTML_ATTR_RE.match(source, j)
            if attr is None or attr.end() == j:
                raise HTMLParseError(
                    f'Empty attribute name in the tag "{name}" at byte offset {offset(begin)}'
                )
            value = next((g for g in attr.groups()[1:] if g is not None), "")
            attributes[attr.group(1).lower()] = html.unescape(value)
            j = attr.end()
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise HTMLParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}'
            )
        stack.append(name)
        i = j + 1
    if stack:
        raise HTMLParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)


def html_to_text(source: str) -> str:
    """Plain text of a Telegram-HTML string, as the recipient sees it."""
    try:
        return parse_html(source)
    except HTMLParseError:
        return html.unescape(_TAG_RE.sub("", source))


def visible_text(value: Any, parse_mode: Any, *, caption: bool = False) -> str:
    """What Telegram makes of a text or caption: parsed, checked against the length limit.

    Raises ``_MethodError`` 400 with Telegram's descriptions.
    """
    source = "" if value is None else str(value)
    if str(parse_mode or "").upper() == "HTML":
        try:
            plain = parse_html(source)
        except HTMLParseError as exc:
            raise _MethodError(400, f"Bad Request: can't parse entities: {exc}") from None
    else:
        plain = source
    if caption and len(plain) > MAX_CAPTION_LENGTH:
        raise _MethodError(400, "Bad Request: message caption is too long")
    if not caption and len(plain) > MAX_TEXT_LENGTH:
        raise _MethodError(400, "Bad Request: message is too long")
    if not caption and not plain.strip():
        raise _MethodError(400, "Bad Request: message text is empty")
    return plain


def _check_markup(markup: Any) -> None:
    """Inline keyboards as Telegram checks them: callback_data of 1-64 bytes."""
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard") or []:
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, dict) or "callback_data" not in button:
                continue
            size = len(str(button["callback_data"]).encode("utf-8"))
            if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                raise _MethodError(400, "Bad Request: BUTTON_DATA_INVALID")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class StoredFile:
    """A file known to the server: uploaded by the bot or sent by a fake user."""

    file_id: str
    file_unique_id: str
    file_path: str
    file_name: str
    content: bytes
    mime_type: str | None = None

    @property
    def size(self) -> int:
        return len(self.content)


FAULT_KINDS = ("429", "5xx", "timeout", "drop")


@dataclass
class Faults:
    """Make a share of the bot's calls fail, deterministically for a seed.

    Each Bot API call draws from ``random.Random(seed)`` in the order calls arrive: with
    probability ``rate`` it fails with one of ``kinds`` (chosen evenly) and changes nothing:

    * ``"429"``: Too Many Requests with ``retry_after`` seconds;
    * ``"5xx"``: 500 Internal Server Error or 502 Bad Gateway (alternately);
    * ``"timeout"``: no answer for ``hang_seconds``, then the connection is closed (a client
      whose request timeout is shorter sees a timeout);
    * ``"drop"``: the connection is closed at once, no HTTP answer at all.

    ``methods`` limits the faults to those Bot API methods (None: every method but those in
    ``exclude``). File downloads and the ``/_test`` endpoints never fail.
    """

    rate: float = 0.1
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    methods: frozenset[str] | None = None
    exclude: frozenset[str] = frozenset()
    retry_after: int = 1
    hang_seconds: float = 2.0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(FAULT_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be among {FAULT_KINDS}, got {self.kinds}")
        if not 0 <= self.rate <= 1:
            raise ValueError("fault rate must be between 0 and 1")


class _Bucket:
    """A token bucket: ``rate`` per second on average, up to ``capacity`` at once."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, max(1.0, capacity)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def retry_after(self) -> int:
        """0 when a token is there, else whole seconds until there is one."""
        return 0 if self.tokens >= 1 else max(1, math.ceil((1 - self.tokens) / self.rate))


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class SentMessage:
    """A message the bot sent to a chat, in its current state (edits applied)."""

    message_id: int
    chat_id: int
    date: int
    html: str | None = None
    """Text or caption exactly as the bot sent it (markup included)."""
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    edited: bool = False
    deleted: bool = False
    at: float = field(default_factory=time.monotonic)
    """When the server accepted it (``time.monotonic()``; edits: when edited)."""

    @property
    def text(self) -> str:
        """What the user sees: markup removed for HTML, entities unescaped."""
        if self.html is None:
            return ""
        if (self.parse_mode or "").upper() == "HTML":
            return html_to_text(self.html)
        return self.html

    @property
    def caption(self) -> str | None:
        if self.document is None and self.photo is None:
            return None
        return self.text

    @property
    def buttons(self) -> list[list[Button]]:
        """Inline keyboard as rows of (text, callback_data or url)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [(str(b.get("text", "")), b.get("callback_data", b.get("url"))) for b in row]
            for row in rows
        ]

    @property
    def keyboard(self) -> list[list[str]]:
        """Reply keyboard button texts (empty if the message carries none)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]

    @property
    def remove_keyboard(self) -> bool:
        return bool((self.reply_markup or {}).get("remove_keyboard"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "date": self.date,
            "text": self.text,
            "html": self.html,
            "parse_mode": self.parse_mode,
            "buttons": [[list(b) for b in row] for row in self.buttons],
            "keyboard": self.keyboard,
            "remove_keyboard": self.remove_keyboard,
            "edited": self.edited,
            "deleted": self.deleted,
        }
        for kind in ("document", "photo"):
            stored: StoredFile | None = getattr(self, kind)
            out[kind] = (
                None
                if stored is None
                else {
                    "file_id": stored.file_id,
                    "file_name": stored.file_name,
                    "size": stored.size,
                }
            )
        return out


@dataclass
class _Chat:
    user: FakeUser
    messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    events: list[SentMessage] = field(default_factory=list)
    cursor: int = 0
    reply_keyboard: list[list[str]] | None = None
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    next_message_id: int = 1
    bucket: _Bucket | None = None


class FakeUser:
    """A Telegram user chatting privately with the bot; the handle tests drive."""

    def __init__(
        self, api: FakeBotAPI, user_id: int, first_name: str, username: str | None
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.username = username

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "vi",
        }
        if self.username:
            data["username"] = self.username
        return data

    def chat_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data

    @property
    def _chat(self) -> _Chat:
        return self.api._chats[self.id]

    async def send(self, text: str) -> int:
        """Send a text message to the bot; returns its message_id."""
        return await self.api._user_message(self, {"text": text, **_command_entities(text)})

    async def send_document(
        self,
        file_name: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
    ) -> int:
        """Send a file to the bot; its file_id can be downloaded through getFile."""
        stored = self.api._store_file("documents", file_name, content, mime_type)
        extra: dict[str, Any] = {"document": self.api._document_dict(stored)}
        if caption:
            extra["caption"] = caption
        return await self.api._user_message(self, extra)

    async def press(self, button: str, message: SentMessage | int | None = None) -> str:
        """Press an inline button (by text or callback_data); returns the callback query id.

        Without ``message`` the latest bot message with an inline keyboard is used.
        """
        return await self.api._press(self, button, message)

    async def wait_messages(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - documented API
    ) -> list[SentMessage]:
        """Wait for ``count`` new bot messages or edits in this chat since the last wait.

        Returns exactly ``count`` snapshots, oldest first; any further ones stay pending for
        the next call (see :meth:`drain`).
        """
        chat = self._chat

        def ready() -> bool:
            return len(chat.events) - chat.cursor >= count

        try:
            await self.api._wait_for(ready, timeout)
        except TimeoutError:
            got = [m.text for m in chat.events[chat.cursor :]]
            raise TimeoutError(
                f"user {self.id}: expected {count} new bot message(s) within {timeout}s, "
                f"got {len(got)}: {got!r}"
            ) from None
        out = chat.events[chat.cursor : chat.cursor + count]
        chat.cursor += count
        return out

    def drain(self) -> list[SentMessage]:
        """All pending (not yet waited for) messages and edits; marks them as seen."""
        chat = self._chat
        out = chat.events[chat.cursor :]
        chat.cursor = len(chat.events)
        return out

    @property
    def messages(self) -> list[SentMessage]:
        """All bot messages in this chat, current state, deleted ones left out."""
        return [m for m in self._chat.messages.values() if not m.deleted]

    @property
    def last(self) -> SentMessage | None:
        msgs = self.messages
        return msgs[-1] if msgs else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown in this chat, if any."""
        return self._chat.reply_keyboard

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self._chat.callback_answers


class FakeGroup(FakeUser):
    """A group or supergroup chat the bot is a member of; its members write with
    :meth:`send_as` and press buttons with :meth:`press_as`. What the bot sends to the
    chat is read as for a user (``wait_messages``, ``messages``, ``callback_answers``)."""

    def __init__(self, api: FakeBotAPI, chat_id: int, title: str, kind: str) -> None:
        super().__init__(api, chat_id, title, None)
        self.title = title
        self.kind = kind

    def __repr__(self) -> str:
        return f"FakeGroup(id={self.id}, type={self.kind!r}, title={self.title!r})"

    def chat_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.kind, "title": self.title}

    async def send(self, text: str) -> int:
        raise FakeAPIError("a group does not write itself: use send_as(member, text)")

    async def send_as(self, member: FakeUser, text: str) -> int:
        """``member`` writes ``text`` in the group; returns its message_id."""
        extra = {"text": text, **_command_entities(text)}
        return await self.api._user_message(self, extra, sender=member)

    async def press_as(
        self, member: FakeUser, button: str, message: SentMessage | int | None = None
    ) -> str:
        """``member`` presses an inline button of a bot message in the group."""
        return await self.api._press(self, button, message, sender=member)


def _command_entities(text: str) -> dict[str, Any]:
    if not text.startswith("/"):
        return {}
    command = text.split(maxsplit=1)[0]
    return {"entities": [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]}


class FakeBotAPI:
    """An aiohttp server emulating the parts of the Bot API this project uses."""

    TELEGRAM_LIMITS: dict[str, Any] = {  # noqa: RUF012 - read-only preset
        "global_limit_per_sec": 30,
        "per_chat_limit_per_sec": 1,
        "per_chat_burst": 5,
    }
    UNLIMITED: dict[str, Any] = {  # noqa: RUF012 - read-only preset
        "global_limit_per_sec": None,
        "per_chat_limit_per_sec": None,
        "per_chat_burst": None,
    }

    def __init__(
        self,
        *,
        bot_username: str = "TroLyCCHCBot",
        bot_first_name: str = "Trợ lý CCHC",
        global_limit_per_sec: float | None = TELEGRAM_LIMITS["global_limit_per_sec"],
        per_chat_limit_per_sec: float | None = TELEGRAM_LIMITS["per_chat_limit_per_sec"],
        per_chat_burst: int | None = TELEGRAM_LIMITS["per_chat_burst"],
        global_burst: int | None = None,
        auto_create_chats: bool = True,
        faults: Faults | None = None,
    ) -> None:
        """``global_limit_per_sec`` / ``per_chat_limit_per_sec``: Telegram's send limits, on
        by default as :attr:`TELEGRAM_LIMITS` (30/s overall, 1/s per chat after a burst of
        ``per_chat_burst``; ``global_burst`` defaults to one second's worth), as token buckets;
        beyond them a send gets 429 with ``retry_after``. None turns a limit off: pass
        :attr:`UNLIMITED` for a test that must send faster than Telegram allows."""
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.global_limit_per_sec = global_limit_per_sec
        self.per_chat_limit_per_sec = per_chat_limit_per_sec
        self.per_chat_burst = per_chat_burst
        self.global_burst = global_burst
        self.auto_create_chats = auto_create_chats
        self.calls: list[tuple[str, Params]] = []
        self.rejected_429 = 0
        self.faults: Faults | None = None
        self.injected: list[tuple[str, str]] = []
        """(method, fault kind) of every injected fault, in order."""
        self._fault_rng = random.Random(0)
        self.set_faults(faults)
        self.sent_log: list[SentMessage] = []
        """Every bot message and edit, all chats, in order (snapshots)."""
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.files: dict[str, StoredFile] = {}
        self.base_url = ""
        self._chats: dict[int, _Chat] = {}
        self._blocked: set[int] = set()
        self._updates: list[dict[str, Any]] = []
        # Like Telegram's, update ids do not start again at 1 for a new server: a console or
        # test restarted on the same database must not look like a redelivery (bot.dedup).
        self._update_ids = itertools.count(int(time.time() * 1000) % 2**31)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._open_callbacks: dict[str, int] = {}
        self._allowed_updates: list[str] | None = None
        self._global_bucket: _Bucket | None = None
        self._changed = asyncio.Condition()
        self._stopping = False
        self._bot_id = 0
        self._runner: web.AppRunner | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; returns the base URL for ``TelegramAPIServer.from_base``."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle_method)
        app.router.add_get("/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_test/users/{user_id}/send", self._handle_test_send)
        app.router.add_post("/_test/users/{user_id}/press", self._handle_test_press)
        app.router.add_post("/_test/users/{user_id}/document", self._handle_test_document)
        app.router.add_get("/_test/users/{user_id}/messages", self._handle_test_messages)
        app.router.add_get("/_test/calls", self._handle_test_calls)
        self._stopping = False
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        real_port = sockets[0].getsockname()[1] if sockets else port
        self.base_url = f"http://{host}:{real_port}"
        logger.info("Fake Bot API listening on %s", self.base_url)
        return self.base_url

    async def stop(self) -> None:
        """Wake pending long polls and shut the server down."""
        self._stopping = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- driving API -----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        username: str | None = None,
    ) -> FakeUser:
        """The handle of a private-chat user (created on first use)."""
        chat = self._chats.get(user_id)
        if chat is None:
            handle = FakeUser(self, user_id, first_name or f"User {user_id}", username)
            self._chats[user_id] = _Chat(user=handle)
            return handle
        if first_name:
            chat.user.first_name = first_name
        if username:
            chat.user.username = username
        return chat.user

    def group(self, chat_id: int, title: str = "Nhóm CCHC", kind: str = "supergroup") -> FakeGroup:
        """The handle of a group or supergroup chat (ids are negative, as in Telegram)."""
        if chat_id >= 0 or kind not in ("group", "supergroup"):
            raise FakeAPIError("a group needs a negative id and type group or supergroup")
        chat = self._chats.get(chat_id)
        if chat is None:
            handle = FakeGroup(self, chat_id, title, kind)
            self._chats[chat_id] = _Chat(user=handle)
            return handle
        assert isinstance(chat.user, FakeGroup)
        return chat.user

    @property
    def users(self) -> list[FakeUser]:
        return [chat.user for chat in self._chats.values()]

    def set_faults(self, faults: Faults | None) -> None:
        """Start (or, with None, stop) injecting faults; the random stream restarts at the seed."""
        self.faults = faults
        self._fault_rng = random.Random(faults.seed if faults else 0)

    @property
    def unanswered_callbacks(self) -> list[str]:
        """Ids of callback queries the bot has not answered yet (the user sees a spinner)."""
        return list(self._open_callbacks)

    def block(self, user_id: int) -> None:
        """Make sends to this user fail with 403, as if they blocked the bot."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def calls_of(self, method: str) -> list[Params]:
        return [params for name, params in self.calls if name == method]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def pending_updates_from(self, user_id: int) -> int:
        """Updates from ``user_id`` the bot has not confirmed yet (not fetched, or fetched by
        a process that died before asking for the next ones)."""
        return sum(
            1
            for update in self._updates
            for kind, body in update.items()
            if kind != "update_id"
            and isinstance(body, dict)
            and (body.get("from") or {}).get("id") == user_id
        )

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> None:
        """Wait until ``predicate()`` holds; it is re-checked on every request and update."""
        await self._wait_for(predicate, timeout)

    async def wait_for_call(
        self,
        method: str,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> Params:
        """Wait until the bot has called ``method`` at least once; returns the latest params."""
        await self._wait_for(lambda: any(name == method for name, _ in self.calls), timeout)
        return self.calls_of(method)[-1]

    async def wait_idle(
        self,
        quiet: float = 0.3,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the bot has consumed all updates and sent nothing for ``quiet`` s."""
        deadline = time.monotonic() + timeout
        seen = -1
        while time.monotonic() < deadline:
            if not self._updates and seen == len(self.sent_log):
                return
            seen = len(self.sent_log)
            await asyncio.sleep(quiet)
        raise TimeoutError("fake Bot API: the bot did not become idle")

    # -- internals: state ------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait_for(self, predicate: Callable[[], bool], seconds: float | None) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), seconds)

    def _chat_for(self, chat_id: Any) -> _Chat:
        try:
            cid = int(chat_id)
        except (TypeError, ValueError):
            raise _MethodError(400, "Bad Request: chat not found") from None
        chat = self._chats.get(cid)
        if chat is None:
            if not self.auto_create_chats or cid <= 0:
                raise _MethodError(400, "Bad Request: chat not found")
            self.user(cid)
            chat = self._chats[cid]
        return chat

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self._bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _store_file(
        self, folder: str, file_name: str, content: bytes, mime_type: str | None
    ) -> StoredFile:
        n = next(self._file_ids)
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = StoredFile(
            file_id=f"FAKEFILE{n:06d}",
            file_unique_id=f"U{n:06d}",
            file_path=f"{folder}/file_{n}.{ext}",
            file_name=file_name,
            content=content,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _document_dict(stored: StoredFile) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name,
            "file_size": stored.size,
        }
        if stored.mime_type:
            data["mime_type"] = stored.mime_type
        return data

    @staticmethod
    def _photo_list(stored: StoredFile) -> list[dict[str, Any]]:
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 800,
                "height": 600,
                "file_size": stored.size,
            }
        ]

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: payload})
        return update_id

    async def _user_message(
        self, user: FakeUser, extra: dict[str, Any], sender: FakeUser | None = None
    ) -> int:
        """A message in ``user``'s chat (a group's, written by ``sender``)."""
        chat = self._chats[user.id]
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": user.chat_dict(),
            "from": (sender or user).as_dict(),
            **extra,
        }
        chat.user_messages[message_id] = message
        self._enqueue("message", message)
        await self._notify()
        return message_id

    def _find_target(self, chat: _Chat, message: SentMessage | int | None) -> SentMessage:
        if message is not None:
            message_id = message if isinstance(message, int) else message.message_id
            target = chat.messages.get(message_id)
            if target is None or target.deleted:
                raise FakeAPIError(f"user {chat.user.id}: no bot message {message_id}")
            return target
        for candidate in reversed(list(chat.messages.values())):
            if not candidate.deleted and candidate.buttons:
                return candidate
        raise FakeAPIError(f"user {chat.user.id}: no bot message with an inline keyboard")

    async def _press(
        self,
        user: FakeUser,
        button: str,
        message: SentMessage | int | None,
        sender: FakeUser | None = None,
    ) -> str:
        chat = self._chats[user.id]
        target = self._find_target(chat, message)
        flat = [b for row in target.buttons for b in row]
        raw = [b for row in (target.reply_markup or {}).get("inline_keyboard", []) for b in row]
        match = next((raw[i] for i, (text, _) in enumerate(flat) if text == button), None) or next(
            (b for b in raw if b.get("callback_data") == button), None
        )
        if match is None:
            labels = [text for text, _ in flat]
            raise FakeAPIError(
                f"user {user.id}: no button {button!r} on message {target.message_id}; "
                f"buttons: {labels!r}"
            )
        if "callback_data" not in match:
            raise FakeAPIError(f"user {user.id}: button {button!r} has no callback_data")
        query_id = f"{user.id}{next(self._callback_ids):08d}"
        self._open_callbacks[query_id] = user.id
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": (sender or user).as_dict(),
                "message": self._message_dict(target),
                "chat_instance": f"ci{user.id}",
                "data": match["callback_data"],
            },
        )
        await self._notify()
        return query_id

    def _message_dict(self, msg: SentMessage) -> dict[str, Any]:
        chat = self._chats[msg.chat_id]
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat.user.chat_dict(),
            "from": self._bot_user(),
        }
        if msg.edited:
            data["edit_date"] = int(time.time())
        if msg.document is not None:
            data["document"] = self._document_dict(msg.document)
        if msg.photo is not None:
            data["photo"] = self._photo_list(msg.photo)
        if msg.html is not None:
            data["caption" if msg.document or msg.photo else "text"] = msg.text
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        return data

    def _record(self, chat: _Chat, msg: SentMessage) -> None:
        msg.at = time.monotonic()
        snapshot = copy.copy(msg)
        chat.events.append(snapshot)
        self.sent_log.append(snapshot)

    def _check_rate(self, chat: _Chat) -> None:
        now = time.monotonic()
        if self.global_limit_per_sec is None:
            self._global_bucket = None
        elif self._global_bucket is None or self._global_bucket.rate != self.global_limit_per_sec:
            rate = self.global_limit_per_sec
            self._global_bucket = _Bucket(rate, self.global_burst or rate)
        if self.per_chat_limit_per_sec is None:
            chat.bucket = None
        elif chat.bucket is None or chat.bucket.rate != self.per_chat_limit_per_sec:
            rate = self.per_chat_limit_per_sec
            chat.bucket = _Bucket(rate, self.per_chat_burst or rate)
        buckets = [b for b in (self._global_bucket, chat.bucket) if b is not None]
        for bucket in buckets:
            bucket.refill(now)
        retry_after = max((b.retry_after() for b in buckets), default=0)
        if retry_after:
            self.rejected_429 += 1
            raise _MethodError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        for bucket in buckets:
            bucket.tokens -= 1

    def _new_message(
        self,
        chat: _Chat,
        params: Params,
        *,
        text_key: str,
        document: StoredFile | None = None,
        photo: StoredFile | None = None,
    ) -> dict[str, Any]:
        text = params.get(text_key)
        if text_key == "text" or text is not None:
            visible_text(text, params.get("parse_mode"), caption=text_key == "caption")
        markup = params.get("reply_markup")
        _check_markup(markup)
        msg = SentMessage(
            message_id=chat.next_message_id,
            chat_id=chat.user.id,
            date=int(time.time()),
            html=None if text is None else str(text),
            parse_mode=params.get("parse_mode"),
            reply_markup=markup if isinstance(markup, dict) else None,
            document=document,
            photo=photo,
        )
        chat.next_message_id += 1
        chat.messages[msg.message_id] = msg
        if msg.keyboard:
            chat.reply_keyboard = msg.keyboard
        elif msg.remove_keyboard:
            chat.reply_keyboard = None
        self._record(chat, msg)
        return self._message_dict(msg)

    def _edit_target(self, params: Params) -> tuple[_Chat, SentMessage]:
        if "inline_message_id" in params:
            raise _MethodError(400, "Bad Request: inline messages are not supported here")
        chat = self._chat_for(params.get("chat_id"))
        msg = chat.messages.get(int(params.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise _MethodError(400, "Bad Request: message to edit not found")
        return chat, msg

    def _upload(self, params: Params, key: str, folder: str) -> StoredFile:
        value = params.get(key)
        if isinstance(value, StoredFile):
            return value
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
            return self._store_file(folder, name, b"", None)
        raise _MethodError(400, f"Bad Request: there is no {key} in the request")

    # -- method implementations ------------------------------------------------------------

    def _m_getMe(self, params: Params) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_deleteWebhook(self, params: Params) -> Any:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_setWebhook(self, params: Params) -> Any:
        return True

    def _m_getWebhookInfo(self, params: Params) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _COMMAND_SCOPES:
            raise _MethodError(400, "Bad Request: invalid scope type specified")
        if scope["type"] in {"chat", "chat_administrators", "chat_member"}:
            self._chat_for(scope.get("chat_id"))  # Telegram: "chat not found"
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_setMyCommands(self, params: Params) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _MethodError(400, "Bad Request: commands must be a list of at most 100")
        for item in commands:
            command = item.get("command") if isinstance(item, dict) else None
            described = item.get("description") if isinstance(item, dict) else None
            if not isinstance(command, str) or not _COMMAND_RE.fullmatch(command):
                raise _MethodError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not isinstance(described, str) or not 1 <= len(described) <= 256:
                raise _MethodError(400, "Bad Request: command description is invalid")
        self.commands[self._commands_key(params)] = commands
        return True

    def commands_for(self, chat_id: int) -> list[str]:
        """The commands a user sees in their private chat with the bot, as Telegram resolves
        them: the chat's own list, else all private chats', else the default list."""
        for scope in (
            {"type": "chat", "chat_id": chat_id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ):
            found = self.commands.get((json.dumps(scope, sort_keys=True), ""))
            if found is not None:
                return [c["command"] for c in found]
        return []

    def _m_deleteMyCommands(self, params: Params) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _m_getMyCommands(self, params: Params) -> Any:
        return self.commands.get(self._commands_key(params), [])

    def _m_sendMessage(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        return self._new_message(chat, params, text_key="text")

    def _m_sendDocument(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        stored = self._upload(params, "document", "documents")
        return self._new_message(chat, params, text_key="caption", document=stored)

    def _m_sendPhoto(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        stored = self._upload(params, "photo", "photos")
        return self._new_message(chat, params, text_key="caption", photo=stored)

    def _m_copyMessage(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        source_chat = self._chat_for(params.get("from_chat_id"))
        source_id = int(params.get("message_id") or 0)
        copied: Params = {"reply_markup": params.get("reply_markup")}
        if source_id in source_chat.messages:
            src = source_chat.messages[source_id]
            copied |= {"text": src.html, "caption": src.html, "parse_mode": src.parse_mode}
            doc, photo = src.document, src.photo
        elif source_id in source_chat.user_messages:
            src_dict = source_chat.user_messages[source_id]
            copied |= {"text": src_dict.get("text"), "caption": src_dict.get("caption")}
            doc_dict = src_dict.get("document")
            doc = self.files.get(doc_dict["file_id"]) if doc_dict else None
            photo = None
        else:
            raise _MethodError(400, "Bad Request: message to copy not found")
        if "caption" in params:
            copied |= {"caption": params["caption"], "parse_mode": params.get("parse_mode")}
        key = "caption" if doc or photo else "text"
        result = self._new_message(chat, copied, text_key=key, document=doc, photo=photo)
        return {"message_id": result["message_id"]}

    def _m_editMessageText(self, params: Params) -> Any:
        chat, msg = self._edit_target(params)
        text = str(params.get("text") or "")
        parse_mode = params.get("parse_mode")
        visible_text(text, parse_mode)
        markup = _markup(params)
        _check_markup(markup)
        if msg.html == text and msg.reply_markup == markup and msg.parse_mode == parse_mode:
            raise _MethodError(400, "Bad Request: message is not modified")
        msg.html, msg.parse_mode, msg.reply_markup, msg.edited = text, parse_mode, markup, True
        self._record(chat, msg)
        return self._message_dict(msg)

    def _m_editMessageCaption(self, params: Params) -> Any:
        chat, msg = self._edit_target(params)
        if msg.document is None and msg.photo is None:
            raise _MethodError(400, "Bad Request: there is no caption in the message to edit")
        if params.get("caption") is not None:
            visible_text(params.get("caption"), params.get("parse_mode"), caption=True)
        markup = _markup(params)
        _check_markup(markup)
        msg.html, msg.parse_mode = params.get("caption"), params.get("parse_mode")
        msg.reply_markup, msg.edited = markup, True
        self._record(chat, msg)
        return self._message_dict(msg)

    def _m_editMessageReplyMarkup(self, params: Params) -> Any:
        chat, msg = self._edit_target(params)
        markup = _markup(params)
        _check_markup(markup)
        if msg.reply_markup == markup:
            raise _MethodError(400, "Bad Request: message is not modified")
        msg.reply_markup, msg.edited = markup, True
        self._record(chat, msg)
        return self._message_dict(msg)

    def _m_deleteMessage(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        message_id = int(params.get("message_id") or 0)
        msg = chat.messages.get(message_id)
        if msg is not None and not msg.deleted:
            msg.deleted = True
            return True
        if chat.user_messages.pop(message_id, None) is not None:
            return True
        raise _MethodError(400, "Bad Request: message to delete not found")

    def _m_answerCallbackQuery(self, params: Params) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        # Telegram accepts one answer per query; a second one (or an unknown id) is refused.
        user_id = self._open_callbacks.pop(query_id, None)
        if user_id is None:
            raise _MethodError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is "
                "invalid",
            )
        self._chats[user_id].callback_answers.append(
            CallbackAnswer(
                callback_query_id=query_id,
                text=params.get("text"),
                show_alert=bool(params.get("show_alert")),
                url=params.get("url"),
            )
        )
        return True

    def _m_sendChatAction(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        if chat.user.id in self._blocked:
            raise _MethodError(403, "Forbidden: bot was blocked by the user")
        return True

    def _m_getFile(self, params: Params) -> Any:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _MethodError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }

    def _m_getChat(self, params: Params) -> Any:
        chat = self._chat_for(params.get("chat_id"))
        return {
            **chat.user.chat_dict(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_updates(self, params: Params) -> Any:
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            # Telegram remembers the last non-empty list; an empty one means "all default".
            self._allowed_updates = allowed or None
        raw_limit, raw_timeout = params.get("limit"), params.get("timeout")
        limit = raw_limit if isinstance(raw_limit, int) and 0 < raw_limit <= 100 else 100
        timeout = float(raw_timeout) if isinstance(raw_timeout, int | float) else 0.0

        def deliverable() -> list[dict[str, Any]]:
            if self._allowed_updates is not None:
                allowed_set = set(self._allowed_updates)
                # Updates of types the bot did not ask for are never delivered.
                self._updates = [
                    u for u in self._updates if (set(u) - {"update_id"}) & allowed_set
                ]
            return self._updates[:limit]

        if not deliverable() and timeout > 0 and not self._stopping:
            try:
                await self._wait_for(lambda: bool(self._updates) or self._stopping, timeout)
            except TimeoutError:
                return []
        return [] if self._stopping else deliverable()

    # -- HTTP layer ------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> Params:
        params: Params = {}
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            raw.update(body if isinstance(body, dict) else {})
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                raw[key] = value
        for key, value in raw.items():
            if isinstance(value, web.FileField):
                continue
            if isinstance(value, str) and key not in _STRING_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        # aiogram uploads files as "attach://<field>" pointing at another multipart field.
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                upload = raw.get(value.removeprefix("attach://"))
                if isinstance(upload, web.FileField):
                    folder = "photos" if key == "photo" else "documents"
                    params[key] = self._store_file(
                        folder,
                        upload.filename or key,
                        upload.file.read(),
                        upload.content_type,
                    )
        return params

    def _method_handlers(self) -> dict[str, Callable[[Params], Any]]:
        return {
            name.removeprefix("_m_"): getattr(self, name)
            for name in dir(self)
            if name.startswith("_m_")
        }

    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            return _error(401, "Unauthorized")
        self._bot_id = int(bot_id)
        try:
            params = await self._read_params(request)
        except ValueError as exc:
            return _error(400, f"Bad Request: {exc}")
        self.calls.append((method, params))
        await self._notify()  # wakes wait_for_call()
        handlers = self._method_handlers()
        # Bot API method names are case-insensitive.
        names = [*handlers, "getUpdates", *_ACCEPTED_TRUE_METHODS]
        canonical = next((n for n in names if n.lower() == method.lower()), None)
        fault = self._draw_fault(canonical or method)
        if fault is not None:
            return await self._inject(request, canonical or method, fault)
        if canonical in _ACCEPTED_TRUE_METHODS:
            return web.json_response({"ok": True, "result": True})
        if canonical is None:
            return _error(404, "Not Found: method not found")
        try:
            if canonical in _SEND_METHODS:
                chat = self._chat_for(params.get("chat_id"))
                if chat.user.id in self._blocked:
                    raise _MethodError(403, "Forbidden: bot was blocked by the user")
                self._check_rate(chat)
            if canonical == "getUpdates":
                result = await self._get_updates(params)
            else:
                result = handlers[canonical](params)
                await self._notify()
        except _MethodError as exc:
            return _error(exc.status, exc.description, exc.parameters)
        except (TypeError, ValueError, KeyError) as exc:
            logger.warning("Fake Bot API: bad %s request: %s", method, exc)
            return _error(400, f"Bad Request: {exc}")
        return web.json_response({"ok": True, "result": result})

    def _draw_fault(self, method: str) -> str | None:
        faults = self.faults
        if faults is None or faults.rate <= 0:
            return None
        if method in faults.exclude:
            return None
        if faults.methods is not None and method not in faults.methods:
            return None
        if self._fault_rng.random() >= faults.rate:
            return None
        return self._fault_rng.choice(faults.kinds)

    async def _inject(self, request: web.Request, method: str, kind: str) -> web.Response:
        assert self.faults is not None
        self.injected.append((method, kind))
        logger.info("Fake Bot API: injected %s on %s", kind, method)
        if kind == "429":
            wait = self.faults.retry_after
            return _error(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        if kind == "5xx":
            if sum(1 for _, k in self.injected if k == "5xx") % 2:
                return _error(500, "Internal Server Error")
            return _error(502, "Bad Gateway")
        if kind == "timeout":
            await asyncio.sleep(self.faults.hang_seconds)
        # "drop" (and a hung request at the end): close the connection, answer nothing.
        if request.transport is not None:
            request.transport.abort()
        raise _Dropped

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        stored = next((f for f in self.files.values() if f.file_path == path), None)
        if stored is None:
            return _error(404, "Not Found")
        return web.Response(body=stored.content, content_type="application/octet-stream")

    def _test_user(self, request: web.Request, body: dict[str, Any]) -> FakeUser:
        user_id = int(request.match_info["user_id"])
        return self.user(user_id, body.get("first_name"), body.get("username"))

    async def _test_json(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        body = await request.json()
        return body if isinstance(body, dict) else {}

    async def _handle_test_send(self, request: web.Request) -> web.Response:
        body = await self._test_json(request)
        user = self._test_user(request, body)
        message_id = await user.send(str(body.get("text", "")))
        return web.json_response({"ok": True, "result": {"message_id": message_id}})

    async def _handle_test_document(self, request: web.Request) -> web.Response:
        body = await self._test_json(request)
        user = self._test_user(request, body)
        content = base64.b64decode(str(body.get("content_base64", "")))
        message_id = await user.send_document(
            str(body.get("file_name", "file.bin")), content, caption=body.get("caption")
        )
        return web.json_response({"ok": True, "result": {"message_id": message_id}})

    async def _handle_test_press(self, request: web.Request) -> web.Response:
        body = await self._test_json(request)
        user = self._test_user(request, body)
        button = body.get("data", body.get("text"))
        if not isinstance(button, str):
            return _error(400, "Bad Request: give 'data' or 'text'")
        try:
            query_id = await user.press(button, body.get("message_id"))
        except FakeAPIError as exc:
            return _error(400, str(exc))
        return web.json_response({"ok": True, "result": {"callback_query_id": query_id}})

    async def _handle_test_messages(self, request: web.Request) -> web.Response:
        user = self._test_user(request, {})
        return web.json_response([m.to_dict() for m in user.messages])

    async def _handle_test_calls(self, request: web.Request) -> web.Response:
        def plain(params: Params) -> Params:
            return {
                k: (v.file_name if isinstance(v, StoredFile) else v) for k, v in params.items()
            }

        return web.json_response([[name, plain(params)] for name, params in self.calls])


def _markup(params: Params) -> dict[str, Any] | None:
    markup = params.get("reply_markup")
    return markup if isinstance(markup, dict) else None


def _error(
    status: int, description: str, parameters: dict[str, Any] | None = None
) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


__all__ = [
    "FAULT_KINDS",
    "MAX_CALLBACK_DATA_BYTES",
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "CallbackAnswer",
    "FakeAPIError",
    "FakeBotAPI",
    "FakeGroup",
    "FakeUser",
    "Faults",
    "HTMLParseError",
    "SentMessage",
    "StoredFile",
    "html_to_text",
    "parse_html",
    "visible_text",
]
