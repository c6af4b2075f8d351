"""Logs: one structured line per record, with the update id, never what the user wrote."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from aiogram.types import Message

from bot.logs import PAYLOAD_LOGGERS, OneLineFormatter, RedactSecrets, setup_logging
from tests.recording import Harness

SECRET_TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything logged while the test runs, as the bot at LOG_LEVEL=DEBUG writes it."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in PAYLOAD_LOGGERS}
    setup_logging("DEBUG", [SECRET_TOKEN], stream=stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _lines(stream: io.StringIO) -> list[str]:
    return stream.getvalue().splitlines()


async def test_a_handled_text_update_logs_its_id_and_not_the_text(
    harness: Harness, log_output: io.StringIO
) -> None:
    words = "Xã Hòa Bình có 37 hồ sơ trễ hạn, tiêu chí nào?"
    sent = await harness.send(harness.user(5, "Lan"), words)
    assert sent  # the question was answered
    update_id = next(harness._update_ids) - 1
    lines = _lines(log_output)
    handled = [line for line in lines if f"Update id={update_id} is handled" in line]
    assert len(handled) == 1, lines
    assert f"update_id={update_id} " in handled[0]
    assert handled[0].startswith("time=") and " level=INFO logger=aiogram.event " in handled[0]
    text = log_output.getvalue()
    for fragment in (words, "Hòa Bình", "37 hồ sơ", "trễ hạn"):
        assert fragment not in text


async def test_lines_written_during_an_update_carry_its_id(
    harness: Harness, log_output: io.StringIO
) -> None:
    from aiogram import Router

    probe = Router(name="probe")

    @probe.message()
    async def _log(message: object) -> None:
        logging.getLogger("probe").warning("probe line")

    harness.dp.sub_routers.insert(0, probe)
    probe._parent_router = harness.dp
    try:
        await harness.send(harness.user(6, "Lan"), "xin chào")
    finally:
        harness.dp.sub_routers.remove(probe)
    update_id = next(harness._update_ids) - 1
    (line,) = [line for line in _lines(log_output) if "logger=probe" in line]
    assert f"update_id={update_id} update_type=message " in line
    assert line.endswith('msg="probe line"')


async def test_a_failed_update_logs_where_it_failed_not_the_words_of_the_error(
    harness: Harness, log_output: io.StringIO
) -> None:
    # An exception's message may quote the user (a value a library refused, a row's values):
    # the log line has the frames and the types, not the messages.
    from aiogram import Router

    words = "Xã Hòa Bình\x0b nộp 37 hồ sơ"
    probe = Router(name="probe")

    @probe.message()
    async def _fail(message: Message) -> None:
        try:
            raise KeyError(message.text)
        except KeyError as exc:
            raise ValueError(f"{message.text} cannot be used in worksheets") from exc

    harness.dp.sub_routers.insert(0, probe)
    probe._parent_router = harness.dp
    try:
        sent = await harness.send(harness.user(7, "Lan"), words)
    finally:
        harness.dp.sub_routers.remove(probe)
    assert sent and sent[-1].text.startswith("⚠️")  # the apology, as before
    (line,) = [line for line in _lines(log_output) if "failed: ValueError" in line]
    assert "builtins.ValueError" in line and "builtins.KeyError" in line
    assert "in _fail" in line  # where: the handler's frame
    text = log_output.getvalue()
    for fragment in ("Hòa Bình", "37 hồ sơ"):  # (the source lines are code, not messages)
        assert fragment not in text


def test_a_traceback_stays_on_one_line_and_secrets_are_hidden() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter())
    handler.addFilter(RedactSecrets([SECRET_TOKEN]))
    logger = logging.getLogger("test.one-line")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"GET /bot{SECRET_TOKEN}/getMe\nfailed")
        except RuntimeError:
            logger.exception("Start-up failed: %s", 'quoted "x" = 1')
    finally:
        logger.removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    assert SECRET_TOKEN not in line and "/bot***/getMe" in line
    assert 'msg="Start-up failed: quoted \\"x\\" = 1"' in line
    assert ' exc="Traceback (most recent call last):\\n' in line
    assert "RuntimeError: GET /bot***/getMe\\nfailed" in line


CRASH = """
import threading
from bot.logs import install_excepthook
install_excepthook([{token!r}])
worker = threading.Thread(target=lambda: 1 / 0, name="worker")
worker.start()
worker.join()
raise RuntimeError("GET /bot{token}/getMe\\nfailed")
"""


def test_a_crash_is_one_redacted_line_per_exception() -> None:
    """Uncaught exceptions (here a thread's and the main thread's) do not go through logging:
    the hooks write each as one structured line, the token hidden in the traceback too."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", CRASH.format(token=SECRET_TOKEN)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    thread, main = lines
    assert "level=CRITICAL logger=crash" in thread
    assert 'msg="Uncaught exception in thread worker"' in thread
    assert "ZeroDivisionError: division by zero" in thread
    assert 'msg="Uncaught exception" exc="Traceback (most recent call last):\\n' in main
    assert "RuntimeError: GET /bot***/getMe\\nfailed" in main
    assert SECRET_TOKEN not in done.stderr
