"""Webhook mode: an aiohttp server behind a load balancer, for several bot processes.

Safe by default: it refuses to start without ``WEBHOOK_SECRET``; Telegram sends the secret in
the ``X-Telegram-Bot-Api-Secret-Token`` header of every update, and a request without it (or
with another value) gets 401 and changes nothing. ``GET /healthz`` answers 200 while the
database answers (503 otherwise), for the load balancer. A body that is not an update (not
JSON, nested beyond reason, not an Update) gets 400 and one log line, and is not handled.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError

from bot.app import Assembled, assemble, install_signal_handlers, set_commands
from bot.background import start_jobs
from bot.logs import traceback_without_messages
from bot.resilience import StartupInterrupted, one_line
from bot.settings import Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


class WebhookConfigError(Exception):
    """A webhook setting is missing; the message is one line for the operator."""


class CheckedRequestHandler(SimpleRequestHandler):
    """aiogram's handler (secret checked first, the update handled in the background), with the
    body read as an update before it is accepted: anything else gets 400 and one log line —
    not a 500 with a traceback, nor a background task failing on it later. Only a holder of the
    secret gets this far (Telegram, or whoever has it)."""

    async def _handle_request_background(self, bot: Bot, request: web.Request) -> web.Response:
        update = await _read_update(request, bot)
        if update is None:
            return web.Response(text="Bad Request", status=400)
        task = asyncio.create_task(self._feed(bot, update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({}, dumps=bot.session.json_dumps)

    async def _feed(self, bot: Bot, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
        except Exception as exc:  # past the error handler: logged here, the task ends quietly
            log.error(
                "Update %s failed: %s\n%s",
                update.update_id,
                type(exc).__name__,
                traceback_without_messages(exc),
            )
            return
        if isinstance(result, TelegramMethod):
            await self.dispatcher.silent_call_request(bot=bot, result=result)


async def _read_update(request: web.Request, bot: Bot) -> Update | None:
    """The request's body as an Update, or None (logged in one line, without the body)."""
    try:
        data: Any = json.loads(await request.read())
    except (ValueError, RecursionError):
        log.warning("Webhook: a request that is not JSON was refused (400)")
        return None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        log.warning("Webhook: a request that is not an update was refused (400)")
        return None
    try:
        return Update.model_validate(data, context={"bot": bot})
    except (ValidationError, RecursionError):
        log.warning("Webhook: update %s is malformed and was refused (400)", data["update_id"])
        return None


def _health(app: Assembled) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def health(request: web.Request) -> web.Response:
        try:
            async with app.engine.connect() as connection:
                await asyncio.wait_for(connection.exec_driver_sql("SELECT 1"), 5)
        except Exception as exc:
            log.warning("Health check: database unreachable: %s", one_line(exc))
            return web.json_response({"ok": False, "database": False}, status=503)
        return web.json_response({"ok": True, "database": True})

    return health


async def run_webhook(settings: Settings, *, stop_event: asyncio.Event | None = None) -> None:
    problem = settings.webhook_problem()
    if problem:
        raise WebhookConfigError(problem)
    assert settings.webhook_url and settings.webhook_secret
    secret = settings.webhook_secret.get_secret_value()
    app = await assemble(settings)
    web_app = web.Application()
    CheckedRequestHandler(dispatcher=app.dp, bot=app.bot, secret_token=secret).register(
        web_app, path=settings.webhook_path
    )
    web_app.router.add_get(HEALTH_PATH, _health(app))
    setup_application(web_app, app.dp, bot=app.bot)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    stop = stop_event or asyncio.Event()
    if stop_event is None:
        install_signal_handlers(stop)
    url = settings.webhook_url.rstrip("/") + settings.webhook_path
    try:
        try:
            await app.wait_for_dependencies(stop)

            async def register() -> None:
                await set_commands(app.bot)
                await app.bot.set_webhook(url, secret_token=secret)

            await app.retry_bot_api(register, stop)
        except StartupInterrupted as exc:
            log.warning("Stopped before start: %s still unreachable", exc.dependency)
            return
        background = start_jobs(app.job_context(stop))
        await site.start()
        log.info(
            "Webhook listening on %s:%s%s",
            settings.webhook_host,
            settings.webhook_port,
            settings.webhook_path,
        )
        await stop.wait()
        await asyncio.gather(*background, return_exceptions=True)
    finally:
        await runner.cleanup()
        await app.close()
