"""Flood control: a PTB `BaseRateLimiter` pacing calls (about 30 messages a second overall,
one a second per chat after a short burst) and honouring Telegram's 429 `retry_after`."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import (
    RetryAfter,
)
from telegram.ext import BaseRateLimiter

__all__ = [
    "FloodControl",
    "FloodLimits",
    "retry_seconds",
]

log = logging.getLogger("passerelle.telegram")


@dataclass(frozen=True)
class FloodLimits:
    """How fast the bot may write (Telegram: ~30 messages/s overall, ~1/s in one chat)."""

    overall_per_second: float = 30.0
    overall_burst: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 3
    #: Retries of one call after a 429, each after Telegram's `retry_after`.
    max_retries: int = 2


class FloodControl(BaseRateLimiter[int]):
    """Paces every call that writes into a chat; a 429 pauses all calls for its `retry_after`.

    Pacing is a generic cell rate algorithm: each call reserves the earliest
    slot its chat and the whole bot allow, then sleeps until then.
    """

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._chat_slots: dict[object, float] = {}
        self._overall_slot = 0.0
        self._paused_until = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        retries = self.limits.max_retries if rate_limit_args is None else rate_limit_args
        chat = data.get("chat_id")
        for attempt in itertools.count():
            if chat is not None:
                # Every call that writes into a chat: its own pace first, then the bot's.
                await _sleep(self.chat_delay(chat))
                await _sleep(self.overall_delay())
            else:
                await _sleep(self._paused_until - asyncio.get_running_loop().time())
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = retry_seconds(error)
                loop_time = asyncio.get_running_loop().time()
                self._paused_until = max(self._paused_until, loop_time + wait)
                log.warning("telegram.flood_wait endpoint=%s seconds=%.1f", endpoint, wait)
                if attempt >= retries:
                    raise
        raise AssertionError("unreachable")

    def chat_delay(self, chat: object) -> float:
        """Reserve the chat's next slot; seconds to wait for it."""
        now = asyncio.get_running_loop().time()
        at = max(now, self._paused_until)
        rate, burst = self.limits.chat_per_second, self.limits.chat_burst
        if rate > 0:
            interval = 1.0 / rate
            slot = self._chat_slots.get(chat, at)
            at = max(at, slot - (burst - 1) * interval)
            self._chat_slots[chat] = max(slot, at) + interval
            if len(self._chat_slots) > 20_000:
                self._chat_slots = {k: v for k, v in self._chat_slots.items() if v > now}
        return at - now

    def overall_delay(self) -> float:
        """Reserve the bot's next slot, now; seconds to wait for it."""
        now = asyncio.get_running_loop().time()
        at = max(now, self._paused_until)
        rate, burst = self.limits.overall_per_second, self.limits.overall_burst
        if rate > 0:
            interval = 1.0 / rate
            slot = max(self._overall_slot, at)
            at = max(at, slot - (burst - 1) * interval)
            self._overall_slot = max(slot, at) + interval
        return at - now


async def _sleep(seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(seconds)


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
