"""The Graph API: the few Cloud API calls Passerelle makes, waiting while rate-limited."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import httpx

from bot.channels.base import DeliveryError
from bot.channels.whatsapp.constants import MAX_RETRY_WAIT, OUTSIDE_WINDOW, RATE_LIMITED, TRANSIENT
from bot.channels.whatsapp.inbound import _dict, _dicts, _text
from bot.metrics import platform_api_error

__all__ = [
    "GraphApi",
    "GraphError",
    "OutsideWindow",
]

log = logging.getLogger("passerelle.whatsapp")


class GraphError(DeliveryError):
    """The Cloud API refused a call; `code` is its error code, never its text."""

    def __init__(
        self,
        reason: str,
        *,
        code: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
        permanent: bool = False,
    ) -> None:
        super().__init__(reason, retry_after=retry_after, permanent=permanent)
        self.code = code
        self.status = status

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in RATE_LIMITED


class OutsideWindow(GraphError):
    """131047: more than 24 hours since the person last wrote; only templates may go."""


def _retry_after(response: httpx.Response) -> float | None:
    try:
        value = float(response.headers.get("retry-after", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _graph_error(response: httpx.Response) -> GraphError:
    code: int | None = None
    try:
        error = _dict(_dict(response.json()).get("error"))
        code = int(error["code"]) if "code" in error else None
    except (ValueError, TypeError):
        code = None
    status = response.status_code
    retry_after = _retry_after(response)
    reason = f"whatsapp api error code={code} http={status}"
    if code == OUTSIDE_WINDOW:
        return OutsideWindow(reason, code=code, status=status, permanent=True)
    rate_limited = status == 429 or code in RATE_LIMITED
    permanent = (
        400 <= status < 500
        and status not in (401, 403, 408, 429)
        and not rate_limited
        and code not in TRANSIENT
    )
    if rate_limited and retry_after is None:
        retry_after = 30.0
    return GraphError(
        reason, code=code, status=status, retry_after=retry_after, permanent=permanent
    )


class GraphApi:
    """The few Cloud API calls Passerelle makes, over one httpx client."""

    def __init__(
        self,
        base_url: str,
        phone_number_id: str,
        token: str,
        retry_delays: Sequence[float],
    ) -> None:
        self.phone_number_id = phone_number_id
        self.retry_delays = tuple(retry_delays)
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(20.0, connect=5.0),
        )

    async def close(self) -> None:
        await self.client.aclose()

    async def send(self, message: dict[str, Any]) -> str:
        """Send one message; its WhatsApp id."""
        data = await self._post("messages", json=message)
        sent = _dicts(data.get("messages"))
        return str(sent[0].get("id", "")) if sent else ""

    async def upload(self, content: bytes, mime_type: str, filename: str) -> str:
        data = await self._post(
            "media",
            data={"messaging_product": "whatsapp", "type": mime_type},
            files={"file": (filename, content, mime_type)},
        )
        media_id = _text(data.get("id"))
        if media_id is None:
            raise GraphError("whatsapp api upload without id")
        return media_id

    async def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """POST, waiting and trying again while WhatsApp says it is rate-limited."""
        url = f"{self.phone_number_id}/{path}"
        attempt = 0
        while True:
            try:
                response = await self.client.post(url, **kwargs)
            except httpx.HTTPError as failure:
                platform_api_error("whatsapp", "network")
                raise GraphError(f"whatsapp api unreachable ({type(failure).__name__})") from None
            if response.is_success:
                try:
                    data = response.json()
                except ValueError:
                    data = {}
                return data if isinstance(data, dict) else {}
            refusal = _graph_error(response)
            platform_api_error("whatsapp", response.status_code)
            if not refusal.rate_limited or attempt >= len(self.retry_delays):
                log.warning("whatsapp.api.error code=%s http=%s", refusal.code, refusal.status)
                raise refusal
            delay = self.retry_delays[attempt]
            asked = _retry_after(response)
            if asked is not None:
                delay = max(delay, min(asked, MAX_RETRY_WAIT))
            log.info("whatsapp.api.rate_limited code=%s attempt=%d", refusal.code, attempt + 1)
            attempt += 1
            await asyncio.sleep(delay)
