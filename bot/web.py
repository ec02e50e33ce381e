"""`passerelle serve`: one ASGI app for every webhook, the agents' workspace under /admin,
/healthz, /readyz and /metrics (the last two in `bot.operations`)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from functools import partial

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from bot.app import App
from bot.channels.base import Channel
from bot.channels.registry import healthy, running
from bot.operations import metrics_endpoint, readyz_endpoint
from bot.workspace.courier import Courier
from bot.workspace.web import build_workspace

log = logging.getLogger("passerelle.web")


def build_web_app(app: App, channels: Sequence[Channel]) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        names = [channel.name for channel in channels]
        if not healthy(channels):
            return JSONResponse({"status": "unhealthy", "channels": names}, status_code=503)
        return JSONResponse({"status": "ok", "channels": names})

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", partial(readyz_endpoint, app), methods=["GET"]),
        Route("/metrics", partial(metrics_endpoint, app), methods=["GET"]),
    ]
    for channel in channels:
        routes.extend(channel.routes())
    courier = Courier(app, channels)
    routes.extend(build_workspace(app, courier))

    @contextlib.asynccontextmanager
    async def lifespan(_web: Starlette) -> AsyncIterator[None]:
        try:
            async with running(app, channels, courier=courier):
                log.info("web.started channels=%d", len(channels))
                yield
        finally:
            await app.close()

    return Starlette(routes=routes, lifespan=lifespan)
