"""What the process counts as it works, for `/metrics` (Prometheus, `prometheus-client`).

Only what happens on the hot path is counted here, in memory, at one place each: updates
handled (the engine, through `MeasuredEngine`), how long handling took, and the platforms'
API errors (each platform's request code calls `platform_api_error`). What lives in the
database (the outbox's backlog, jobs due, tickets open, search misses) is read when
`/metrics` is scraped (`bot.operations`), so handling a message pays nothing for it.

Labels are channel names, outcomes, status codes: never a person's id, name or text.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Histogram

from dialogs.engine import Engine, Handled
from dialogs.incoming import Incoming

__all__ = [
    "API_ERRORS",
    "HANDLING_SECONDS",
    "UPDATES",
    "MeasuredEngine",
    "platform_api_error",
]

UPDATES = Counter(
    "passerelle_updates_handled",
    "Updates the engine handled, per channel and outcome (handled, duplicate, failed).",
    ["channel", "outcome"],
)
HANDLING_SECONDS = Histogram(
    "passerelle_update_handling_seconds",
    "Time from an update reaching the engine to its replies being queued, per channel.",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
API_ERRORS = Counter(
    "passerelle_platform_api_errors",
    "Calls to a platform's API that failed, per channel and code (an HTTP status, "
    "'timeout' or 'network').",
    ["channel", "code"],
)


def platform_api_error(channel: str, code: int | str) -> None:
    """One failed call to `channel`'s API: `code` is an HTTP status or 'timeout'/'network'."""
    API_ERRORS.labels(channel, str(code)).inc()


class MeasuredEngine(Engine):
    """The engine, counting each update and timing it; nothing else changes."""

    async def handle(self, incoming: Incoming) -> Handled:
        started = time.perf_counter()
        outcome = "failed"
        try:
            handled = await super().handle(incoming)
            outcome = "duplicate" if handled.duplicate else "handled"
            return handled
        finally:
            HANDLING_SECONDS.labels(incoming.channel).observe(time.perf_counter() - started)
            UPDATES.labels(incoming.channel, outcome).inc()
