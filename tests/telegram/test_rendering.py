"""Rendering neutral replies for Telegram, without the network."""

from __future__ import annotations

import logging

import pytest
from telegram.error import TelegramError

from bot.channels.telegram import (
    CALLBACK_DATA_LIMIT,
    EXPIRED_OPTION,
    PAGE_ROWS,
    TEXT_LIMIT,
    AiohttpRequest,
    Block,
    DropKeyboard,
    FloodControl,
    FloodLimits,
    Noop,
    PressKept,
    SendFile,
    SendLocation,
    SendText,
    TurnPage,
    chunk_blocks,
    keyboard_of,
    layout,
    menu_edit,
    message_groups,
    read_callback_data,
    read_update,
    render,
    render_card_with_options,
    render_group,
    visible_length,
)
from dialogs.framework import NAV_BACK, NAV_MENU
from dialogs.incoming import Command, MediaType, Pressed, SentMedia, SharedLocation
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Text
from tests.telegram.fake_api import parse_html


def visible(html_text: str) -> str:
    return parse_html(html_text)[0]


def test_every_dynamic_part_is_escaped() -> None:
    [operation] = render(Text("1 < 2 & <b>not bold</b> > 0"), ref="1")
    assert isinstance(operation, SendText)
    assert visible(operation.html) == "1 < 2 & <b>not bold</b> > 0"


def test_a_card_has_a_bold_title_its_badges_and_an_italic_footer() -> None:
    card = Card(
        title="AME <santé>",
        body="Corps & âme",
        footer="Vérifié le 1er mars",
        badges=("Traduction automatique",),
    )
    [operation] = render(card, ref="1")
    assert isinstance(operation, SendText)
    text, entities = parse_html(operation.html)
    assert "Traduction automatique" in text
    assert text.index("Traduction") < text.index("AME <santé>") < text.index("Corps & âme")
    assert text.endswith("Vérifié le 1er mars")
    assert "<b>AME &lt;santé&gt;</b>" in operation.html
    assert "<i>Vérifié le 1er mars</i>" in operation.html
    assert {tag for tag, *_ in entities} >= {"b", "i"}


def test_long_texts_are_split_at_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraphe {n}. " + "mot " * 150 for n in range(40)]
    [*operations] = render(Text("\n\n".join(paragraphs)), ref="1")
    assert len(operations) > 1
    seen: list[str] = []
    for operation in operations:
        assert isinstance(operation, SendText)
        text = visible(operation.html)
        assert visible_length(text) <= TEXT_LIMIT
        seen.extend(text.split("\n\n"))
    assert [p.strip() for p in seen] == [p.strip() for p in paragraphs]


def test_a_huge_paragraph_is_cut_at_words_and_counted_in_utf16() -> None:
    text = "😀 " * 3000  # each emoji is two UTF-16 units
    chunks = chunk_blocks([Block(text)])
    assert len(chunks) >= 3
    assert all(visible_length(visible(chunk)) <= TEXT_LIMIT for chunk in chunks)
    assert "".join(visible(c).replace(" ", "") for c in chunks) == "😀" * 3000


def test_short_labels_go_two_to_a_row_long_ones_alone() -> None:
    labels = ["Oui", "Non", "🗑️ Supprimer toutes mes données", "Aide", "学习法语课程网上报名", "Hi"]
    assert layout(labels) == [[0, 1], [2], [3], [4], [5]]
    same = Option("a:1", "Oui")
    keyboard = keyboard_of(Options("?", rows=((same, same),)), ref="1")
    assert [b.label for row in keyboard for b in row] == ["Oui", "Oui"]


def test_back_and_menu_stay_together_under_the_options() -> None:
    nav = (Option(NAV_BACK, "⬅️ Retour"), Option(NAV_MENU, "🏠 Menu"))
    reply = Options("Choisir", rows=((Option("s:1", "Un long libellé de bouton"),), nav))
    keyboard = keyboard_of(reply, ref="7")
    assert [b.data for b in keyboard[-1]] == [NAV_BACK, NAV_MENU]


def test_long_lists_are_paged_and_the_pager_is_resolved_here() -> None:
    options = tuple((Option(f"list:{n}", f"Choix numéro {n}"),) for n in range(40))
    nav = ((Option(NAV_BACK, "⬅️"), Option(NAV_MENU, "🏠")),)
    reply = Options("Liste", rows=options + nav)
    first = keyboard_of(reply, ref="12", page=0)
    body = [row for row in first if row[0].data.startswith("list:")]
    assert len(body) == PAGE_ROWS
    pager = first[-2]
    assert [b.label for b in pager] == ["1/3", "▶️"]
    assert read_callback_data(pager[-1].data) == TurnPage("12", 1)
    assert read_callback_data(pager[0].data) == Noop()
    middle = keyboard_of(reply, ref="12", page=1)
    assert [b.label for b in middle[-2]] == ["◀️", "2/3", "▶️"]
    last = keyboard_of(reply, ref="12", page=2)
    labels = [b.label for row in last for b in row]
    assert "Choix numéro 39" in labels and "▶️" not in labels
    assert [b.data for b in last[-1]] == [NAV_BACK, NAV_MENU]


def test_an_option_id_too_long_for_telegram_is_kept_on_the_server() -> None:
    long_id = "card:r-" + "x" * 80
    reply = Options("?", rows=((Option("card:more.a", "Plus"), Option(long_id, "Lié")),))
    keyboard = keyboard_of(reply, ref="t-abc")
    data = [b.data for row in keyboard for b in row]
    assert data[0] == "card:more.a"
    assert all(len(d.encode()) <= CALLBACK_DATA_LIMIT for d in data)
    assert read_callback_data(data[1]) == PressKept("t-abc", 1)


def test_callback_data_is_read_back() -> None:
    assert read_callback_data("menu:settings") == Pressed("menu:settings")
    assert read_callback_data("~n") == Noop()
    assert read_callback_data("~p:99:2") == TurnPage("99", 2)
    assert read_callback_data("~o:99:3") == PressKept("99", 3)
    assert read_callback_data("~zz") == Pressed(EXPIRED_OPTION)
    assert read_callback_data("~p:99:x") == Pressed(EXPIRED_OPTION)


def test_a_menu_press_redraws_notes_and_menu_in_one_message() -> None:
    menu = Options("🏠 Menu", rows=((Option("menu:a", "A"),),))
    found = menu_edit([Text("Langue : Français"), menu])
    assert found is not None
    assert visible(found[0]) == "Langue : Français\n\n🏠 Menu"
    assert menu_edit([Card("T", "B"), menu]) is None
    assert menu_edit([Text("x"), Options("y", rows=(), replaceable=False)]) is None
    assert menu_edit([menu, Text("after")]) is None
    assert menu_edit([Text("x" * TEXT_LIMIT), menu]) is None


def test_a_card_and_the_options_after_it_are_one_message_buttons_under_the_card() -> None:
    options = Options("What next?", ((Option("card:more.x", "📖 More"),), (Option(NAV_MENU, "M"),)))
    (operation,) = render_card_with_options(Card("Titre", "Corps"), options, "7")
    assert isinstance(operation, SendText) and operation.keyboard is not None
    assert visible(operation.html) == "Titre\n\nCorps\n\nWhat next?"
    assert [b.data for row in operation.keyboard for b in row] == ["card:more.x", NAV_MENU]

    long = Card("Titre", "\n\n".join(["mot " * 400] * 5), footer="Vérifié le 1er mars")
    operations = render_card_with_options(long, options, "7")
    assert len(operations) > 1
    assert all(isinstance(op, SendText) for op in operations)
    texts = [op for op in operations if isinstance(op, SendText)]
    assert [op.keyboard is not None for op in texts] == [False] * (len(texts) - 1) + [True]
    assert all(visible_length(visible(op.html)) <= TEXT_LIMIT for op in texts)
    assert visible(texts[-1].html).endswith("What next?")


def test_replies_are_grouped_into_as_few_messages_as_keep_their_meaning() -> None:
    menu = Options("Menu", ((Option("menu:a", "A"),),))
    kept = Options("Choose", ((Option("x:a", "A"),),), replaceable=False)
    card = Card("Titre", "Corps")
    huge = Text("\n\n".join(["mot " * 500] * 3))
    assert message_groups([]) == []
    assert message_groups([Text("a"), Text("b"), menu]) == [3]
    assert message_groups([Text("a"), kept]) == [1, 1], "options to keep are not redrawn"
    assert message_groups([card, menu]) == [2]
    assert message_groups([Text("a"), card, menu, Text("b")]) == [1, 2, 1]
    assert message_groups([huge, menu]) == [1, 1], "too long for one message"
    assert message_groups([menu, Text("a")]) == [1, 1]
    assert message_groups([Media(MediaKind.LOCATION, "x", latitude=1, longitude=2), menu]) == [
        1,
        1,
    ]

    (operation,) = render_group([Text("Noté."), Text("Ensuite ?"), menu], "9")
    assert isinstance(operation, SendText) and operation.keyboard is not None
    assert visible(operation.html) == "Noté.\n\nEnsuite ?\n\nMenu"


def test_media_and_removal() -> None:
    document = Media(MediaKind.DOCUMENT, caption="RDV <ici>", filename="rdv.ics", content=b"x")
    [operation] = render(document, ref="1")
    assert isinstance(operation, SendFile)
    assert operation.filename == "rdv.ics"
    assert operation.caption_html == "RDV &lt;ici&gt;"
    long_caption = Media(MediaKind.PHOTO, caption="a " * 1000, content=b"x")
    operations = render(long_caption, ref="1")
    assert isinstance(operations[0], SendFile) and operations[0].caption_html is None
    assert isinstance(operations[1], SendText)
    place = Media(MediaKind.LOCATION, caption="Ici", latitude=48.85, longitude=2.35)
    assert render(place, ref="1") == [SendLocation(48.85, 2.35), SendText("Ici")]
    assert render(RemoveOptions(), ref="1") == [DropKeyboard()]
    with pytest.raises(TypeError):
        render("not a reply", ref="1")  # type: ignore[arg-type]


async def test_flood_control_allows_a_burst_then_one_a_second_per_chat() -> None:
    control = FloodControl(FloodLimits())
    delays = [control.chat_delay(42) for _ in range(5)]
    assert delays[:3] == pytest.approx([0, 0, 0], abs=0.01)
    assert delays[3] == pytest.approx(1.0, abs=0.05)
    assert delays[4] == pytest.approx(2.0, abs=0.05)
    # Another chat is not held back by the first one.
    assert control.chat_delay(43) == pytest.approx(0, abs=0.01)


async def test_flood_control_keeps_about_thirty_a_second_overall() -> None:
    control = FloodControl(FloodLimits(overall_burst=1))
    delays = [control.overall_delay() for _ in range(31)]
    assert delays[0] == pytest.approx(0, abs=0.01)
    assert delays[-1] == pytest.approx(1.0, abs=0.05)


def test_updates_are_read_from_the_bot_api_json() -> None:
    sender = {"id": 7, "is_bot": False, "first_name": "P", "language_code": "fa"}
    chat = {"id": 7, "type": "private"}
    text = read_update(
        {"update_id": 1, "message": {"chat": chat, "from": sender, "text": "/start e-ame"}}
    )
    assert text is not None and text.chat_id == 7 and text.locale_hint == "fa"
    assert text.action == Command("start", "e-ame")
    voice = read_update(
        {
            "update_id": 2,
            "message": {"chat": chat, "from": sender, "voice": {"file_unique_id": "v"}},
        }
    )
    assert voice is not None and voice.action == SentMedia(MediaType.VOICE, "v")
    photo = read_update(
        {
            "update_id": 3,
            "message": {"chat": chat, "photo": [{"file_unique_id": "s"}, {"file_unique_id": "l"}]},
        }
    )
    assert photo is not None and photo.action == SentMedia(MediaType.PHOTO, "l")
    place = read_update(
        {"update_id": 4, "message": {"chat": chat, "location": {"latitude": 48, "longitude": 2.3}}}
    )
    assert place is not None and place.action == SharedLocation(48.0, 2.3)
    press = read_update(
        {
            "update_id": 5,
            "callback_query": {
                "id": "q1",
                "from": sender,
                "data": "menu:settings",
                "message": {"message_id": 9, "date": 0, "chat": chat},
            },
        }
    )
    assert press is not None and press.action == Pressed("menu:settings")
    assert press.callback_id == "q1" and press.pressed is not None
    assert press.pressed.message_id == 9 and press.pressed.date is None
    assert not press.pressed.shows_card
    on_card = read_update(
        {
            "update_id": 6,
            "callback_query": {
                "id": "q2",
                "from": sender,
                "data": "nav:menu",
                "message": {
                    "message_id": 10,
                    "date": 1_700_000_000,
                    "chat": chat,
                    "text": "Titre\n\nCorps",
                    "entities": [{"type": "bold", "offset": 0, "length": 5}, "junk"],
                },
            },
        }
    )
    assert on_card is not None and on_card.pressed is not None and on_card.pressed.shows_card


@pytest.mark.parametrize(
    "update",
    [
        {},
        {"update_id": "1"},
        {"update_id": 1},
        {"update_id": 1, "message": None},
        {"update_id": 1, "message": {"chat": 3}},
        {"update_id": 1, "message": {"chat": {"id": -5, "type": "group"}, "text": "hi"}},
        {"update_id": 1, "message": {"chat": {"id": 5, "type": "private"}}},
        {"update_id": 1, "message": {"chat": {"id": 5, "type": "private"}, "location": {}}},
        {"update_id": 1, "edited_message": {"chat": {"id": 5, "type": "private"}, "text": "x"}},
        {"update_id": 1, "callback_query": {"id": 3}},
        {"update_id": 1, "callback_query": {"id": "3", "from": "me"}},
        {"update_id": 1, "callback_query": {"id": "3", "message": {"chat": []}}},
        {"update_id": 1, "my_chat_member": {"chat": {"id": 5}}},
    ],
)
def test_what_cannot_be_read_is_ignored(update: dict[str, object]) -> None:
    assert read_update(update) is None


def test_the_bot_apis_answers_are_read_and_bad_ones_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read = AiohttpRequest.parse_json_payload
    caplog.set_level(logging.DEBUG)
    assert read('{"ok": true, "result": {"text": "é"}}'.encode()) == {
        "ok": True,
        "result": {"text": "é"},
    }
    assert read(b'{"ok": true, "result": "caf\xe9"}')["result"] == "caf\ufffd"
    for bad in (b"", b"<html>502 secret</html>", b"[1, 2]", b'{"ok": tru'):
        with pytest.raises(TelegramError, match="Invalid server response"):
            read(bad)
    assert "secret" not in caplog.text, "an answer may quote a message: never logged"
