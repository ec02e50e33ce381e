"""Telegram's request backend: PTB's `BaseRequest` on aiohttp (a fraction of the CPU of
PTB's default httpx backend per call; see `benchmarks/telegram_bench.py`)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import aiohttp
import orjson
from telegram.error import (
    NetworkError,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBUserWarning

from bot.metrics import platform_api_error

__all__ = [
    "AiohttpRequest",
    "lenient_json",
]


_JSON_HEADERS = {"Content-Type": "application/json"}


# The hot path calls `do_api_request` on purpose (see `TelegramChannel._api`).
warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.\w+' instead of", category=PTBUserWarning
)


class AiohttpRequest(BaseRequest):
    """PTB's transport on an aiohttp session: one keep-alive pool per request object."""

    def __init__(
        self,
        pool_size: int = 64,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """The Bot API's answer, read with orjson; never logged (it may quote a message)."""
        try:
            parsed = orjson.loads(payload)
        except orjson.JSONDecodeError:
            parsed = lenient_json(payload)
            if parsed is None:
                raise TelegramError("Invalid server response") from None
        if not isinstance(parsed, dict):
            raise TelegramError("Invalid server response")
        return parsed

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if read_timeout is BaseRequest.DEFAULT_NONE else read_timeout
        connect = (
            self._connect_timeout
            if connect_timeout is BaseRequest.DEFAULT_NONE
            else connect_timeout
        )
        pool = self._pool_timeout if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None else connect + (pool or 0.0),
            sock_connect=connect,
            sock_read=read,
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                body = form
            else:
                # A JSON body: one encoding pass, where a form costs aiohttp a multipart writer.
                body = orjson.dumps(request_data.parameters)
                headers = _JSON_HEADERS
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                status, answer = response.status, await response.read()
        except TimeoutError as error:
            platform_api_error("telegram", "timeout")
            raise TimedOut() from error
        except aiohttp.ClientError as error:
            platform_api_error("telegram", "network")
            # The class name only: aiohttp's messages carry the URL, and the URL the token.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error
        if status >= 400:
            platform_api_error("telegram", status)
        return status, answer


def lenient_json(payload: bytes) -> Any:
    """JSON orjson refused, read again leniently; None if it is not JSON at all.

    Telegram passes on what clients send, lone UTF-16 surrogates included (`"\\ud83d"` in a
    name): orjson refuses the whole answer for one of them. The standard decoder takes them,
    and each lone one becomes U+FFFD, so that one odd name never holds up a batch.
    """
    try:
        parsed = json.loads(payload.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return None
    return _scrubbed(parsed)


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            # Pairs written as two escapes join up; a lone surrogate becomes U+FFFD.
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return value
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, dict):
        return {_scrubbed(key): _scrubbed(item) for key, item in value.items()}
    return value
