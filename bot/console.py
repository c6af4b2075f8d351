"""``cchc-bot console``: chat with the real bot in the terminal through the fake Bot API.

The bot runs exactly as ``cchc-bot run`` does (same dispatcher, handlers, database), only its
Bot API base URL points at an in-process :class:`~bot.fakeapi.FakeBotAPI`.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import CchcError, os_reason
from bot.fakeapi import FakeAPIError, FakeBotAPI, FakeUser, SentMessage

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

TOKEN = "123456:CONSOLE-FAKE-TOKEN"
CONSOLE_DB = "console.db"
DEMO_UNIT = ("DEMO", "UBND huyện Thử nghiệm")
# Calls that are not a reaction the person is waiting for.
_BACKGROUND_METHODS = frozenset({"getUpdates", "getMe", "sendChatAction", "getFile"})
_FIRST_REPLY_SECONDS = 15.0
_INTERACTIVE_FIRST_REPLY_SECONDS = 5.0
_QUIET_SECONDS = 0.4


@dataclass(frozen=True)
class Persona:
    key: str
    aliases: tuple[str, ...]
    user_id: int
    first_name: str
    label: str
    invite_role: str | None = None
    department: str | None = None


PERSONAS = (
    Persona("khach", ("guest",), 1001, "Khách", "khách, chưa đăng ký"),
    Persona("canbo", ("officer",), 1002, "Bình", "cán bộ Phòng Tư pháp", "officer", "TP"),
    Persona(
        "dieuphoi", ("coordinator",), 1003, "Hà", "điều phối, Phòng Nội vụ", "coordinator", "NV"
    ),
    Persona("so", ("contact",), 1005, "Minh", "đầu mối Sở Nội vụ", "contact", "SNV"),
    Persona("quantri", ("admin",), 1004, "Quản trị", "quản trị viên"),
)
ADMIN_PERSONA = PERSONAS[-1]

HELP = """\
Gõ nội dung để nhắn cho bot, gõ số để bấm nút tương ứng (ví dụ 1).
Lệnh của bảng điều khiển:
  :nguoi <tên>   đổi người dùng thử (khach, canbo, dieuphoi, so, quantri) — hoặc :user <name>
  :ds            danh sách người dùng thử
  :tep <đường dẫn>  gửi một tệp cho bot (tài liệu kiểm chứng…)
  :bam <nhãn>    bấm nút theo nhãn hoặc dữ liệu nút
  :gui <nội dung>   gửi nguyên văn (ví dụ một con số, không coi là bấm nút)
  :giup          xem lại hướng dẫn này
  :thoat         thoát (hoặc Ctrl-D, Ctrl-C)"""


@dataclass(frozen=True)
class Choice:
    number: int
    text: str
    data: str | None
    inline: bool
    message_id: int | None


def console_settings(settings: Settings, database: Path | None = None) -> Settings:
    """The settings the console runs with: its own SQLite file (``database``, by default
    ``console.db`` in the data directory) and no Redis, so that nothing it does reaches the
    real bot's database or conversation states; the admin persona is added to ADMIN_IDS."""
    admins = tuple(dict.fromkeys([*settings.admin_ids, ADMIN_PERSONA.user_id]))
    path = (database or settings.data_dir / CONSOLE_DB).resolve()
    return settings.model_copy(
        update={
            "admin_ids": admins,
            "database_url": f"sqlite+aiosqlite:///{path}",
            "redis_url": None,
        }
    )


def choices_for(user: FakeUser) -> list[Choice]:
    """Numbered buttons: those under the bot's last message, then the reply keyboard."""
    out: list[Choice] = []
    last = user.last
    if last is not None:
        for buttons in last.buttons:
            for text, data in buttons:
                out.append(Choice(len(out) + 1, text, data, True, last.message_id))
    for labels in user.reply_keyboard or []:
        for label in labels:
            out.append(Choice(len(out) + 1, label, None, False, None))
    return out


def _is_url(data: str | None) -> bool:
    return bool(data) and str(data).startswith(("http://", "https://", "tg://"))


class Console:
    def __init__(
        self, api: FakeBotAPI, out: TextIO, first_reply_seconds: float | None = None
    ) -> None:
        self.api = api
        self.out = out
        # Piped input waits longer so that replies stay in order with the input lines;
        # interactively a late reply is printed whenever it comes.
        self.first_reply_seconds = first_reply_seconds
        self.users = {p.key: api.user(p.user_id, first_name=p.first_name) for p in PERSONAS}
        self.current = PERSONAS[0]
        self.shown = 0  # index into api.sent_log
        self.toasts_shown = 0
        self.downloads = Path(tempfile.gettempdir()) / "cchc-console"

    @property
    def user(self) -> FakeUser:
        return self.users[self.current.key]

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    # -- showing what the bot sent ---------------------------------------------------------

    def _persona_of(self, chat_id: int) -> Persona | None:
        return next((p for p in PERSONAS if p.user_id == chat_id), None)

    def flush(self) -> None:
        """Print every bot message, edit and toast not shown yet."""
        log_ = self.api.sent_log
        while self.shown < len(log_):
            self._show(log_[self.shown])
            self.shown += 1
        answers = self.api.calls_of("answerCallbackQuery")
        for params in answers[self.toasts_shown :]:
            if params.get("text"):
                mark = "⚠️" if params.get("show_alert") else "💬"
                self.say(f"   {mark} {params['text']}")
        self.toasts_shown = len(answers)

    def _show(self, msg: SentMessage) -> None:
        persona = self._persona_of(msg.chat_id)
        mine = persona == self.current
        who = "" if mine else f" → {persona.key if persona else msg.chat_id}"
        head = "🤖 (sửa tin trước)" if msg.edited else "🤖"
        self.say(f"{head}{who}:")
        for line in msg.text.splitlines() or [""]:
            self.say(f"   {line}")
        stored = msg.document or msg.photo
        if stored is not None:
            path = self._save(stored.file_name, stored.content)
            self.say(f"   📎 {stored.file_name} ({stored.size} byte) → {path}")
        numbers = (
            {(c.message_id, c.text): c.number for c in choices_for(self.user)} if mine else {}
        )
        for row in msg.buttons:
            cells = []
            for text, data in row:
                number = numbers.get((msg.message_id, text))
                suffix = " ↗" if _is_url(data) else ""
                cells.append(f"[{number if number else '·'}] {text}{suffix}")
            self.say("   " + "  ".join(cells))
        if msg.keyboard:
            reply = {c.text: c.number for c in choices_for(self.user) if not c.inline}
            for labels in msg.keyboard:
                cells = [f"[{reply.get(t, '·') if mine else '·'}] {t}" for t in labels]
                self.say("   ⌨ " + "  ".join(cells))

    def _save(self, name: str, content: bytes) -> Path:
        self.downloads.mkdir(parents=True, exist_ok=True)
        path = self.downloads / Path(name).name
        path.write_bytes(content)
        return path

    def _activity(self) -> int:
        return sum(1 for name, _ in self.api.calls if name not in _BACKGROUND_METHODS)

    async def settle(self, before: int) -> None:
        """Wait for the bot's reaction to what was just sent: a first call, then quiet."""
        try:
            await self.api.wait_until(
                lambda: self._activity() > before,
                self.first_reply_seconds or _FIRST_REPLY_SECONDS,
            )
        except TimeoutError:
            self.say("   (bot chưa trả lời)")
            return
        seen, quiet_since = self._activity(), time.monotonic()
        while time.monotonic() - quiet_since < _QUIET_SECONDS:
            await asyncio.sleep(0.05)
            now = self._activity()
            if now != seen or self.api.pending_updates:
                seen, quiet_since = now, time.monotonic()
        self.flush()

    # -- acting on input -------------------------------------------------------------------

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return await self._command(text)
        if text.isdigit():
            choice = next((c for c in choices_for(self.user) if c.number == int(text)), None)
            if choice is not None:
                await self._choose(choice)
                return True
        await self._send(text)
        return True

    async def _send(self, text: str) -> None:
        before = self._activity()
        await self.user.send(text)
        await self.settle(before)

    async def _choose(self, choice: Choice) -> None:
        if not choice.inline:
            await self._send(choice.text)
            return
        if choice.data is None or _is_url(choice.data):
            self.say(f"   ↗ Liên kết: {choice.data}")
            return
        before = self._activity()
        await self.user.press(choice.data, message=choice.message_id)
        await self.settle(before)

    async def _command(self, text: str) -> bool:
        name, _, arg = text[1:].partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in {"thoat", "thoát", "quit", "exit", "q"}:
            return False
        if name in {"giup", "giúp", "help", "h", "?"}:
            self.say(HELP)
        elif name in {"ds", "users"}:
            self._list_users()
        elif name in {"nguoi", "người", "user", "u"}:
            self._switch(arg)
        elif name in {"tep", "tệp", "file"}:
            await self._send_file(arg)
        elif name in {"gui", "gửi", "send"} and arg:
            await self._send(arg)
        elif name in {"bam", "bấm", "press"} and arg:
            before = self._activity()
            try:
                await self.user.press(arg)
            except FakeAPIError:
                self.say(f"Không có nút «{arg}» dưới tin nhắn gần nhất có nút.")
                return True
            await self.settle(before)
        else:
            self.say(f"Lệnh không rõ: {text}. Gõ :giup để xem các lệnh.")
        return True

    def _list_users(self) -> None:
        for p in PERSONAS:
            mark = "▶" if p == self.current else " "
            self.say(f" {mark} {p.key:<9} id {p.user_id}  {p.first_name} — {p.label}")

    def _switch(self, arg: str) -> None:
        wanted = arg.lower()
        persona = next(
            (p for p in PERSONAS if wanted in {p.key, *p.aliases, str(p.user_id)}), None
        )
        if persona is None:
            self.say("Không có người dùng này. Gõ :ds để xem danh sách.")
            return
        self.current = persona
        self.say(f"Đang nhắn với tư cách {persona.key} ({persona.first_name}, {persona.label}).")
        if choices_for(self.user):
            cells = [f"[{c.number}] {c.text}" for c in choices_for(self.user)]
            self.say("   Nút đang hiện: " + "  ".join(cells))

    async def _send_file(self, arg: str) -> None:
        if not arg:
            self.say("Cú pháp: :tep <đường dẫn tệp>")
            return
        path = Path(arg)
        try:
            content = await asyncio.to_thread(lambda: path.expanduser().read_bytes())
        except OSError as exc:
            self.say(f"Không đọc được tệp {path}: {os_reason(exc)}")
            return
        before = self._activity()
        await self.user.send_document(path.name, content)
        await self.settle(before)

    def prompt(self) -> str:
        return f"{self.current.key}> "


async def _register_personas(settings: Settings, api: FakeBotAPI, console: Console) -> list[str]:
    """Seed the demo unit and register the personas through real invites, once: a persona
    already registered in the console's database keeps its registration and its paused
    conversation (no second ``/start <code>``). Returns the registered personas' keys."""
    from bot.data import load_data
    from bot.db.engine import create_engine, create_session_factory
    from bot.services.invites import check_department
    from bot.services.people import Role, add_unit, create_invite, get_person

    catalogue = (await asyncio.to_thread(load_data, settings)).catalogue
    codes: dict[str, str] = {}
    ready: list[str] = []
    engine = create_engine(settings.db_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await add_unit(session, DEMO_UNIT[0], DEMO_UNIT[1], "huyen")
            for persona in PERSONAS:
                if persona.invite_role is None:
                    continue
                person = await get_person(session, persona.user_id)
                if person is not None and person.active and person.role == persona.invite_role:
                    ready.append(persona.key)
                    continue
                role = Role(persona.invite_role)
                invite = await create_invite(
                    session,
                    role=role,
                    unit_code=None if role is Role.CONTACT else DEMO_UNIT[0],
                    department=check_department(catalogue, role, persona.department),
                    created_by=None,
                    ttl=timedelta(hours=1),
                    now=datetime.now(UTC),
                )
                codes[persona.key] = invite.code
    finally:
        await engine.dispose()
    users = [console.users[key] for key in codes]
    for user, code in zip(users, codes.values(), strict=True):
        await user.send(f"/start {code}")
    # Registration replies are not shown; wait for them so they do not leak into the chat.
    with contextlib.suppress(TimeoutError):
        await api.wait_until(lambda: all(u.messages for u in users), _FIRST_REPLY_SECONDS)
        await api.wait_idle(quiet=_QUIET_SECONDS, timeout=_FIRST_REPLY_SECONDS)
    for user in users:
        user.drain()
    ready += [key for key, user in zip(codes, users, strict=True) if user.messages]
    console.shown = len(api.sent_log)
    console.toasts_shown = len(api.calls_of("answerCallbackQuery"))
    return [p.key for p in PERSONAS if p.key in ready]


def _quiet_logs(level: str) -> dict[logging.Logger, int]:
    """Keep per-update INFO lines of the libraries off the chat; DEBUG shows everything."""
    if level == "DEBUG":
        return {}
    saved = {}
    for name in ("aiogram", "alembic", "bot", "handlers", "jobs"):
        logger_ = logging.getLogger(name)
        saved[logger_] = logger_.level
        logger_.setLevel(max(logging.WARNING, logger_.getEffectiveLevel()))
    return saved


def _stdin_fd() -> int | None:
    """The file descriptor of stdin when input() would read it through sys.stdin's buffer
    (anything but a terminal on both stdin and stdout: a pipe, a file, a terminal whose
    output is piped to ``tee``), or None (a terminal for readline; a StringIO in tests)."""
    try:
        fd = sys.stdin.fileno()
        readline = os.isatty(fd) and os.isatty(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # a StringIO, a closed stream
        return None
    return None if readline else fd


def _watch_stdin(
    loop: asyncio.AbstractEventLoop, fd: int, lines: asyncio.Queue[str | None]
) -> Callable[[], None] | None:
    """Read stdin's descriptor on the event loop itself; returns how to stop, or None when
    the loop cannot watch ``fd`` (a regular file under epoll, a loop without add_reader).

    The descriptor is read with os.read only when the loop says it is readable, so nothing
    blocks and no thread is left inside sys.stdin's buffered reader: a reader thread
    blocked there holds the buffer's lock, and the interpreter aborts at shutdown ("Fatal
    Python error: _enter_buffered_busy") when the session ends before the pipe does
    (Ctrl-C, :thoat). sys.stdin's buffer is never used, so no input is lost in it."""
    encoding = sys.stdin.encoding or "utf-8"
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    pending = [""]

    def stop() -> None:
        with contextlib.suppress(Exception):
            loop.remove_reader(fd)

    def readable() -> None:
        try:
            chunk = os.read(fd, 65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        text = pending[0] + decoder.decode(chunk, final=not chunk)
        *complete, pending[0] = text.split("\n")
        for line in complete:
            lines.put_nowait(line.removesuffix("\r"))
        if not chunk:  # end of input: the last line without its newline, then the end
            stop()
            if pending[0]:
                lines.put_nowait(pending[0])
            lines.put_nowait(None)

    try:
        loop.add_reader(fd, readable)
    except (NotImplementedError, OSError, ValueError):
        return None
    return stop


def _start_reader(
    loop: asyncio.AbstractEventLoop,
    lines: asyncio.Queue[str | None],
    ready: threading.Event,
    prompt: list[str],
) -> tuple[Callable[[], None], bool]:
    """Read stdin without ever blocking the loop; returns how to stop reading, and whether
    the reader shows the prompt itself.

    Stdin is read on the loop (see :func:`_watch_stdin`) unless it and stdout are both a
    terminal: then input() reads it in a daemon thread, for readline's line editing and
    prompt, so that Ctrl-C never waits on a blocked input(). That input() goes through
    readline, not sys.stdin's buffer, so the thread does not stand in the way of the
    interpreter's shutdown. The thread also reads what the loop cannot watch (a regular
    file, a StringIO): those never block."""
    fd = _stdin_fd()
    if fd is not None:
        stop = _watch_stdin(loop, fd, lines)
        if stop is not None:
            return stop, False

    def read() -> None:
        while True:
            ready.wait()
            ready.clear()
            try:
                line: str | None = input(prompt[0])
            except (EOFError, KeyboardInterrupt, OSError, UnicodeDecodeError):
                line = None
            loop.call_soon_threadsafe(lines.put_nowait, line)
            if line is None:
                return

    threading.Thread(target=read, name="console-stdin", daemon=True).start()
    return (lambda: None), True


async def run_console(settings: Settings, *, fresh: bool = False) -> None:
    """Run the bot against a local fake Bot API and chat with it on stdin/stdout.

    The console keeps its own database (``console.db`` in the data directory: registrations,
    answers and paused conversations survive a restart); ``fresh`` uses a temporary one."""
    quieted = _quiet_logs(settings.log_level)  # before importing alembic through bot.app
    from bot.app import run_bot

    out = sys.stdout
    interactive = sys.stdin.isatty()
    scratch = tempfile.TemporaryDirectory(prefix="cchc-console-") if fresh else None
    database = Path(scratch.name) / CONSOLE_DB if scratch else settings.data_dir / CONSOLE_DB
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CchcError(
            f"Không tạo được thư mục dữ liệu {database.parent}: {os_reason(exc)}"
        ) from None
    settings = console_settings(settings, database)
    api = FakeBotAPI(bot_username=settings.bot_username)
    url = await api.start(host="127.0.0.1", port=0)
    stop = asyncio.Event()
    bot_task = asyncio.create_task(
        run_bot(settings, api_url=url, token=TOKEN, stop_event=stop, migrate=True),
        name="console-bot",
    )
    console = Console(api, out, _INTERACTIVE_FIRST_REPLY_SECONDS if interactive else None)
    quit_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, quit_requested.set)
    try:
        polling = asyncio.create_task(api.wait_for_call("getUpdates", timeout=120))
        await asyncio.wait({polling, bot_task}, return_when=asyncio.FIRST_COMPLETED)
        if bot_task.done():
            polling.cancel()
            bot_task.result()  # the bot could not start: raise its error (bad data, …)
            return
        await polling
        try:
            registered = await _register_personas(settings, api, console)
        except Exception as exc:  # the console still works for guests and the admin
            log.warning("Could not register the demo officer/coordinator: %s", exc)
            registered = []
        console.say(f"Trợ lý CCHC — bảng điều khiển thử nghiệm (bot @{settings.bot_username}).")
        console.say("Không cần Telegram: bot thật chạy với Bot API giả lập trên máy này.")
        console.say(
            "Dữ liệu thử nằm riêng, không đụng tới dữ liệu của bot thật: "
            + ("cơ sở dữ liệu tạm, xóa khi thoát." if scratch else f"{database}.")
        )
        if registered:
            console.say(
                f"Đã đăng ký sẵn {', '.join(registered)} qua mã mời "
                f"(đơn vị thử: {DEMO_UNIT[1]}, mã {DEMO_UNIT[0]})."
            )
        console.say(HELP)
        console.say("Người dùng thử:")
        console._list_users()
        await _loop(console, interactive, quit_requested, bot_task)
        if bot_task.done():
            bot_task.result()  # the bot died under us: let its error reach the command line
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        stop.set()
        if not bot_task.done():
            try:
                await asyncio.wait_for(bot_task, 15)
            except TimeoutError:
                log.warning("The bot did not stop in time; cancelled")
            except Exception:
                log.exception("The bot stopped with an error")
        await api.stop()
        console.say("Tạm biệt!")
        for logger_, level in quieted.items():
            logger_.setLevel(level)
        if scratch is not None:
            scratch.cleanup()


async def _loop(
    console: Console,
    interactive: bool,
    quit_requested: asyncio.Event,
    bot_task: asyncio.Task[None],
) -> None:
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    ready = threading.Event()
    prompt = [console.prompt() if interactive else ""]
    stop_reading, prompts = _start_reader(asyncio.get_running_loop(), lines, ready, prompt)
    quit_wait = asyncio.create_task(quit_requested.wait())
    try:
        while True:
            console.flush()
            prompt[0] = console.prompt() if interactive else ""
            ready.set()
            if interactive and not prompts:
                console.out.write(prompt[0])
                console.out.flush()
            # Messages arriving while the person types (reminders, relays) are shown too.
            while True:
                getter = asyncio.create_task(lines.get())
                changed = asyncio.create_task(
                    console.api.wait_until(lambda: len(console.api.sent_log) > console.shown, None)
                )
                done, _ = await asyncio.wait(
                    {getter, changed, quit_wait, bot_task}, return_when=asyncio.FIRST_COMPLETED
                )
                changed.cancel()
                if getter not in done:
                    getter.cancel()
                if quit_wait in done or bot_task in done:
                    return
                if getter in done:
                    break
                console.flush()
                if interactive:
                    console.out.write(prompt[0])
                    console.out.flush()
            line = getter.result()
            if line is None:
                return
            if not interactive:
                console.say(f"{console.prompt()}{line}")
            if not await console.handle(line):
                return
    finally:
        stop_reading()
        quit_wait.cancel()
