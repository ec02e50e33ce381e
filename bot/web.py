"""`passerelle serve`: one ASGI app for every webhook, plus /healthz."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.channels.base import Channel
from bot.channels.registry import healthy, running

log = logging.getLogger("passerelle.web")


def build_web_app(app: App, channels: Sequence[Channel]) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        names = [channel.name for channel in channels]
        if not healthy(channels):
            return JSONResponse({"status": "unhealthy", "channels": names}, status_code=503)
        return JSONResponse({"status": "ok", "channels": names})

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for channel in channels:
        routes.extend(channel.routes())

    @contextlib.asynccontextmanager
    async def lifespan(_web: Starlette) -> AsyncIterator[None]:
        try:
            async with running(app, channels):
                log.info("web.started channels=%d", len(channels))
                yield
        finally:
            await app.close()

    return Starlette(routes=routes, lifespan=lifespan)
