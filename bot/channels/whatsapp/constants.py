"""The Cloud API's limits and codes, and this channel's own constants."""

from __future__ import annotations

import datetime as dt

# The window is kept with the table that records it (the workspace's courier reads it too).
from bot.storage.whatsapp import WINDOW, WINDOW_MARGIN

__all__ = [
    "CHANNEL",
    "DOCUMENT_TYPES",
    "ELLIPSIS",
    "MAX_BODY",
    "MAX_BUTTONS",
    "MAX_BUTTON_ID",
    "MAX_BUTTON_TITLE",
    "MAX_CAPTION",
    "MAX_LIST_BUTTON",
    "MAX_RETRY_WAIT",
    "MAX_ROWS",
    "MAX_ROW_DESCRIPTION",
    "MAX_ROW_ID",
    "MAX_ROW_TITLE",
    "MAX_TEMPLATE_PARAM",
    "MAX_TEXT",
    "MORE",
    "NOTIFICATIONS_KEPT",
    "OUTSIDE_WINDOW",
    "PAGES_KEPT",
    "RATE_LIMITED",
    "TRANSIENT",
    "WEBHOOK_PATH",
    "WINDOW",
    "WINDOW_MARGIN",
    "WORD_JOINER",
]


CHANNEL = "whatsapp"


WEBHOOK_PATH = "/whatsapp/webhook"


MAX_TEXT = 4096


MAX_BODY = 1024


MAX_CAPTION = 1024


MAX_BUTTONS = 3


MAX_BUTTON_TITLE = 20


MAX_BUTTON_ID = 256


MAX_ROWS = 10


MAX_LIST_BUTTON = 20


MAX_ROW_TITLE = 24


MAX_ROW_DESCRIPTION = 72


MAX_ROW_ID = 200


MAX_TEMPLATE_PARAM = 1024


OUTSIDE_WINDOW = 131047


#: Throughput, per-user pair rate, account rate and app call limits.
RATE_LIMITED = frozenset({4, 80007, 130429, 131056})


#: Errors Meta itself calls temporary.
TRANSIENT = frozenset({1, 2, 131000, 131016})


#: Longest wait honoured from a Retry-After header while a person waits for an answer.
MAX_RETRY_WAIT = 10.0


DOCUMENT_TYPES = frozenset(
    {
        "text/plain",
        "application/pdf",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)


#: Option ids of the "more" row of a paged list; resolved here, never by the engine.
MORE = "~more:"


ELLIPSIS = "…"


WORD_JOINER = "\u2060"


PAGES_KEPT = dt.timedelta(days=30)


NOTIFICATIONS_KEPT = dt.timedelta(days=2)
