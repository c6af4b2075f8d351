"""Webhook mode: an aiohttp server behind a load balancer, for several bot processes."""

from __future__ import annotations

import asyncio
import logging

from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import assemble, install_signal_handlers, set_commands
from bot.background import start_jobs
from bot.settings import Settings

log = logging.getLogger(__name__)


async def run_webhook(settings: Settings, *, stop_event: asyncio.Event | None = None) -> None:
    if not settings.webhook_url:
        raise SystemExit("Lỗi cấu hình: chế độ webhook cần WEBHOOK_URL (địa chỉ công khai).")
    app = await assemble(settings)
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    web_app = web.Application()
    SimpleRequestHandler(dispatcher=app.dp, bot=app.bot, secret_token=secret).register(
        web_app, path=settings.webhook_path
    )
    setup_application(web_app, app.dp, bot=app.bot)
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    stop = stop_event or asyncio.Event()
    install_signal_handlers(stop)
    try:
        await set_commands(app.bot)
        await app.bot.set_webhook(
            settings.webhook_url.rstrip("/") + settings.webhook_path, secret_token=secret
        )
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
