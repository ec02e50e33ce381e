"""`passerelle serve`: one ASGI app for every webhook, /healthz, and the agents' workspace
under /admin."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.channels.base import Channel, OutboxRetrier
from bot.jobs import job_runner
from bot.workspace.courier import Courier
from bot.workspace.web import build_workspace

log = logging.getLogger("passerelle.web")


def configured_channels(app: App, *, webhook: bool = True) -> list[Channel]:
    """The channels whose settings are present; the platform modules load only when used."""
    settings = app.settings
    channels: list[Channel] = []
    if settings.telegram_token:
        from bot.channels.telegram import TelegramChannel

        channels.append(TelegramChannel(app, webhook=webhook))
    if settings.whatsapp_token and settings.whatsapp_phone_number_id:
        from bot.channels.whatsapp import WhatsAppChannel

        channels.append(WhatsAppChannel(app))
    return channels


def build_web_app(app: App, channels: Sequence[Channel]) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "channels": [channel.name for channel in channels]})

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for channel in channels:
        routes.extend(channel.routes())
    courier = Courier(app, channels)
    routes.extend(build_workspace(app, courier))

    @contextlib.asynccontextmanager
    async def lifespan(_web: Starlette) -> AsyncIterator[None]:
        retriers = [OutboxRetrier(app.outbox, channel) for channel in channels]
        runner = job_runner(app, list(channels))
        for channel in channels:
            await channel.start()
        for retrier in retriers:
            retrier.start()
        runner.start()
        courier.start()
        log.info("web.started channels=%d", len(channels))
        try:
            yield
        finally:
            await courier.stop()
            await runner.stop()
            for retrier in retriers:
                await retrier.stop()
            for channel in channels:
                await channel.stop()
            await app.close()

    return Starlette(routes=routes, lifespan=lifespan)
