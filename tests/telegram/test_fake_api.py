"""The fake Bot API refuses what Telegram refuses, so "no API error" in a test means something."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.telegram.fake_api import FakeBotApi


async def call(fake: FakeBotApi, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{fake.url}/bot{fake.token}/{method}", json=params)
    return response.status_code, response.json()


def keyboard(data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": "x", "callback_data": data}]]}


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "😀" * 2049}, "message is too long"),
        ({"text": "<b>ok</b>" + "x" * 4094}, "message is too long"),
        ({"text": "   "}, "message text is empty"),
        ({"text": "<foo>x</foo>", "parse_mode": "HTML"}, "Unsupported start tag"),
        ({"text": "<b>x", "parse_mode": "HTML"}, "Can't find end tag"),
        ({"text": "<b>x</i>", "parse_mode": "HTML"}, "Unmatched end tag"),
        ({"text": "1 < 2", "parse_mode": "HTML"}, "Unexpected character"),
        ({"text": "A & B", "parse_mode": "HTML"}, "Unsupported HTML entity"),
        ({"text": "&nbsp;", "parse_mode": "HTML"}, "Unsupported HTML entity"),
        ({"text": "x", "reply_markup": keyboard("d" * 65)}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "reply_markup": keyboard("é" * 33)}, "BUTTON_DATA_INVALID"),
    ],
)
async def test_what_telegram_refuses_is_refused(
    fake_api: FakeBotApi, params: dict[str, Any], description: str
) -> None:
    fake_api.messages(1)
    status, body = await call(fake_api, "sendMessage", chat_id=1, **params)
    assert status == 400 and description in body["description"]


async def test_what_telegram_accepts_is_accepted(fake_api: FakeBotApi) -> None:
    fake_api.messages(1)
    text = "<b>1 &lt; 2</b> &amp; <i>&quot;ok&quot;</i> &#128512;" + "x" * 4080
    status, body = await call(
        fake_api,
        "sendMessage",
        chat_id=1,
        text=text,
        parse_mode="HTML",
        reply_markup=keyboard("d" * 64),
    )
    assert status == 200, body
    assert fake_api.messages(1)[-1].text.startswith('1 < 2 & "ok" 😀')


async def test_an_edit_to_the_same_content_and_an_unknown_query_are_refused(
    fake_api: FakeBotApi,
) -> None:
    fake_api.messages(1)
    _, sent = await call(fake_api, "sendMessage", chat_id=1, text="<b>a</b>", parse_mode="HTML")
    message_id = sent["result"]["message_id"]
    edit = {"chat_id": 1, "message_id": message_id, "parse_mode": "HTML"}
    status, body = await call(fake_api, "editMessageText", text="<b>a</b>", **edit)
    assert status == 400 and "message is not modified" in body["description"]
    status, _ = await call(fake_api, "editMessageText", text="<i>a</i>", **edit)
    assert status == 200
    status, _ = await call(fake_api, "answerCallbackQuery", callback_query_id="nope")
    assert status == 400


async def test_a_flood_is_answered_with_429_and_retry_after(fake_api: FakeBotApi) -> None:
    fake_api.messages(1)
    fake_api.flood("sendMessage", retry_after=3)
    status, body = await call(fake_api, "sendMessage", chat_id=1, text="x")
    assert status == 429 and body["parameters"] == {"retry_after": 3}
    status, _ = await call(fake_api, "sendMessage", chat_id=1, text="x")
    assert status == 200
