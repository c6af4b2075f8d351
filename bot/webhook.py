"""Webhook mode: an aiohttp server behind a load balancer, for several bot processes.

Safe by default: it refuses to start without ``WEBHOOK_SECRET``; Telegram sends the secret in
the ``X-Telegram-Bot-Api-Secret-Token`` header of every update, and a request without it (or
with another value) gets 401 and changes nothing. ``GET /healthz`` answers 200 while the
database answers (503 otherwise), for the load balancer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import Assembled, assemble, install_signal_handlers, set_commands
from bot.background import start_jobs
from bot.resilience import StartupInterrupted, one_line
from bot.settings import Settings

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


class WebhookConfigError(Exception):
    """A webhook setting is missing; the message is one line for the operator."""


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
    SimpleRequestHandler(dispatcher=app.dp, bot=app.bot, secret_token=secret).register(
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
