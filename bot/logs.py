"""Logging set-up: one structured line per record, secrets (the bot token) kept out.

Every line is ``key=value`` pairs (logfmt): ``time``, ``level``, ``logger``, the ``update_id``
(and its type) of the update being handled when there is one, ``msg``, and ``exc`` with the
traceback folded into the same line. Log messages carry ids, counts and types — never the text
a user wrote (handlers must not log message contents; a test checks a handled text update).

Each configured secret (the bot token, the webhook secret, database and Redis passwords) is
replaced by ``***`` in every log record, its traceback included, and in the report of
uncaught exceptions (``sys.excepthook``, threads, unraisable exceptions), which do not go
through logging but are written as the same one line (``logger=crash level=CRITICAL``).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TextIO

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

current_update: ContextVar[tuple[int, str] | None] = ContextVar("current_update", default=None)
"""(update_id, update type) of the update this task is handling, for the log lines."""


# user:password@ in any URL, whatever the password (also one not configured here).
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")


class Redactor:
    """Replaces every secret (longest first) and any URL password by ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _URL_PASSWORD.sub(r"\g<head>***@", text)


class RedactSecrets(logging.Filter):
    """Replace each secret in a record's message, arguments and traceback by ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_excepthook(secrets: Iterable[str]) -> None:
    """Report uncaught exceptions (main thread, other threads, unraisable) as one redacted
    log line on stderr, the traceback folded into its ``exc`` field like any logged error."""
    redact = Redactor(secrets)

    def emit(
        message: str,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        record = logging.LogRecord(
            "crash", logging.CRITICAL, __file__, 0, redact(message), None, None
        )
        if kind is not None:
            text = "".join(traceback.format_exception(kind, value, tb)).rstrip("\n")
            record.exc_text = redact(text)
        sys.stderr.write(OneLineFormatter().format(record) + "\n")
        sys.stderr.flush()

    def write(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        emit("Uncaught exception", kind, value, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread else "?"
        value = args.exc_value or args.exc_type()
        emit(f"Uncaught exception in thread {name}", args.exc_type, value, args.exc_traceback)

    def unraisable_hook(unraisable: Any) -> None:
        message = f"{unraisable.err_msg or 'Exception ignored in'}: {unraisable.object!r}"
        emit(message, unraisable.exc_type, unraisable.exc_value, unraisable.exc_traceback)

    sys.excepthook = write
    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook


_AIOGRAM_UPDATE = re.compile(r"Update id=(\d+) ")


def traceback_without_messages(exc: BaseException) -> str:
    """The traceback of ``exc`` and of the exceptions it came from: their frames and types,
    not their messages — a message may quote what a user wrote (a value a library refused, a
    file name, a row's values)."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        kind = type(current)
        parts.append(f"{frames}{kind.__module__}.{kind.__qualname__}")
        current = current.__cause__ or current.__context__
    return "\nfrom:\n".join(parts)


def _quote(value: str) -> str:
    if value and not any(c in value for c in ' "=\\\n\r\t'):
        return value
    escaped = (
        value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


class OneLineFormatter(logging.Formatter):
    """logfmt: ``time=… level=… logger=… [update_id=… update_type=…] msg="…" [exc="…"]``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        fields = [
            ("time", stamp.replace("+00:00", "Z")),
            ("level", record.levelname),
            ("logger", record.name),
        ]
        update = current_update.get()
        if update is not None:
            fields += [("update_id", str(update[0])), ("update_type", update[1])]
        message = record.getMessage()
        if update is None and record.name == "aiogram.event":
            # aiogram's "Update id=… is handled" line, written after the update's context.
            handled = _AIOGRAM_UPDATE.match(message)
            if handled:
                fields.append(("update_id", handled.group(1)))
        fields.append(("msg", message))
        exc = record.exc_text
        if not exc and record.exc_info and record.exc_info[1] is not None:
            exc = self.formatException(record.exc_info)
        if exc:
            fields.append(("exc", exc))
        return " ".join(f"{key}={_quote(value)}" for key, value in fields)


class UpdateLogContext(BaseMiddleware):
    """Outer update middleware: log lines written while handling an update carry its id."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        token = current_update.set((event.update_id, event.event_type))
        try:
            return await handler(event, data)
        finally:
            current_update.reset(token)


# Libraries whose DEBUG lines carry payloads (aiosqlite logs every SQL call with its
# parameters, the text of a question included): never below WARNING, whatever LOG_LEVEL says.
PAYLOAD_LOGGERS = ("aiosqlite", "sqlalchemy.engine", "asyncpg")


def setup_logging(
    level: str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """One-line records on stderr (or ``stream``), secrets redacted; returns the handler."""
    secrets = list(secrets)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Each migration step is an INFO line of alembic's: noise for every database command.
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    install_excepthook(secrets)
    return handler
