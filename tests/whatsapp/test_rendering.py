"""Rendering neutral replies within WhatsApp's limits, and reading webhook payloads; no network."""

from __future__ import annotations

import copy
import datetime as dt
import random
from typing import Any

import pytest

from bot.channels.whatsapp import (
    MORE,
    WORD_JOINER,
    KeepPages,
    Labels,
    Send,
    Sender,
    Upload,
    card_text,
    deep_link,
    escape,
    locale_hint,
    page_of,
    parse_webhook,
    recipient,
    render,
    shorten,
    split_text,
    width,
)
from dialogs.i18n import isolate_ltr
from dialogs.incoming import Command, MediaType, Pressed, Said, SentMedia, SharedLocation
from dialogs.replies import Card, Media, MediaKind, Option, Options, RemoveOptions, Text
from tests.whatsapp import payloads
from tests.whatsapp.fake_graph import check_message

LABELS = Labels(
    choose="Choisir",
    more="➡️ Plus de choix",
    more_description="Voir les choix suivants",
    please_choose="Choisissez :",
)


def sent_bodies(reply: Any, labels: Labels = LABELS) -> list[dict[str, Any]]:
    """What would be posted to /messages, each checked by the fake API's rules."""
    bodies: list[dict[str, Any]] = []
    for item in render(reply, labels):
        if isinstance(item, Send):
            body = {"messaging_product": "whatsapp", "to": "33612345678", **item.body}
            check_message(body, {})
            bodies.append(item.body)
    return bodies


def options(*labels: str, text: str = "Que voulez-vous faire ?") -> Options:
    return Options(
        text=text, rows=tuple((Option(f"s:{i}", label),) for i, label in enumerate(labels))
    )


# -- shortening labels ------------------------------------------------------------------------------


def test_a_label_that_fits_is_kept() -> None:
    assert shorten("ℹ️ Aide", 20) == ("ℹ️ Aide", False)


def test_a_pictogram_goes_before_any_word() -> None:
    assert shorten("⚙️ Langue et réglages", 20) == ("Langue et réglages", False)


def test_whole_words_are_kept_and_the_cut_is_marked() -> None:
    assert shorten("📄 Documents pour une démarche", 24) == ("Documents pour une…", True)
    assert shorten("Rendez-vous pour l'aide à la complémentaire santé", 20) == (
        "Rendez-vous pour…",
        True,
    )


def test_a_single_long_word_is_cut_inside() -> None:
    label, cut = shorten("Aufenthaltsgenehmigungsverlängerung", 20)
    assert cut and label.endswith("…") and width(label) <= 20


def test_cut_isolates_stay_balanced() -> None:
    label = isolate_ltr("موعد مع مساعدة AME للحصول على التأمين الصحي التكميلي")
    short, cut = shorten(label, 24)
    assert cut and width(short) <= 24
    assert short.count("\u2066") == short.count("\u2069")


def test_shortening_never_exceeds_the_limit() -> None:
    pieces = [
        "🏠",
        "⚖️",
        "Droits",
        "d'asile",
        "réfugié·e",
        "AME",
        "سلام",
        "پناهنده",
        "👨‍👩‍👧",
        "Ꭰ",
        "x" * 30,
    ]
    generator = random.Random(7)
    for _ in range(500):
        label = " ".join(generator.choice(pieces) for _ in range(generator.randint(1, 8)))
        for limit in (20, 24, 72):
            short, _cut = shorten(label, limit)
            assert 0 < width(short) <= limit, (label, short)


# -- text --------------------------------------------------------------------------------------------


def test_long_texts_are_split_at_paragraphs() -> None:
    paragraphs = [f"Paragraphe {n}. " + "mot " * 300 for n in range(8)]
    text = "\n\n".join(paragraphs)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(width(chunk) <= 4096 for chunk in chunks)
    assert all(chunk.startswith("Paragraphe") for chunk in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_a_paragraph_longer_than_a_message_is_split_at_lines_then_words() -> None:
    text = "ligne " * 2000 + "\n" + "🙂" * 5000
    chunks = split_text(text)
    assert all(0 < width(chunk) <= 4096 for chunk in chunks)
    assert sum(chunk.count("🙂") for chunk in chunks) == 5000


def test_formatting_marks_in_people_s_text_are_neutralised() -> None:
    escaped = escape("*urgent* _maintenant_ ~non~ `code` 2*3")
    for mark in "*_~`":
        assert f"{WORD_JOINER}{mark}{WORD_JOINER}" in escaped
    assert escaped.replace(WORD_JOINER, "") == "*urgent* _maintenant_ ~non~ `code` 2*3"


def test_links_and_keycaps_are_left_alone() -> None:
    assert escape("https://www.ameli.fr/a_b*c") == "https://www.ameli.fr/a_b*c"
    assert escape("Appelez *️⃣ puis 1") == "Appelez *️⃣ puis 1"


def test_a_card_uses_whatsapp_formatting() -> None:
    card = Card(
        title="Aide médicale d'État (AME)",
        body="Pour *vous* soigner.",
        footer="Vérifié le 27 novembre 2026",
        badges=("Traduction automatique",),
    )
    text = card_text(card)
    assert text.startswith("⚠️ Traduction automatique\n*Aide médicale d'État (AME)*\n\n")
    assert text.endswith("\n\n_Vérifié le 27 novembre 2026_")
    assert f"{WORD_JOINER}*{WORD_JOINER}vous" in text


def test_a_text_reply_becomes_text_messages() -> None:
    bodies = sent_bodies(Text("Bonjour " * 1000))
    assert [b["type"] for b in bodies] == ["text", "text"]


def test_remove_options_sends_nothing() -> None:
    assert render(RemoveOptions(), LABELS) == []


# -- options -----------------------------------------------------------------------------------------


def test_up_to_three_options_are_reply_buttons() -> None:
    (body,) = sent_bodies(options("Oui", "Non"))
    assert body["interactive"]["type"] == "button"
    assert [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]] == ["Oui", "Non"]


def test_cut_button_labels_are_written_in_full_in_the_body() -> None:
    (body,) = sent_bodies(options("Oui, tout supprimer définitivement", "Non, garder mes données"))
    interactive = body["interactive"]
    assert interactive["type"] == "button"
    assert "• Oui, tout supprimer définitivement" in interactive["body"]["text"]
    titles = [b["reply"]["title"] for b in interactive["action"]["buttons"]]
    assert titles == ["Oui, tout supprimer…", "Non, garder mes…"]


def test_buttons_that_would_look_alike_become_a_list() -> None:
    (body,) = sent_bodies(options("Rendez-vous pour la domiciliation", "Rendez-vous pour la santé"))
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert body["interactive"]["type"] == "list"
    assert rows[0]["description"] == "Rendez-vous pour la domiciliation"


def test_four_to_ten_options_are_a_list() -> None:
    labels = [f"Choix numéro {n} avec un libellé un peu long" for n in range(10)]
    (body,) = sent_bodies(options(*labels))
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Choisir"
    rows = interactive["action"]["sections"][0]["rows"]
    assert len(rows) == 10
    assert rows[0]["title"] == "Choix numéro 0 avec un…"
    assert rows[0]["description"] == labels[0]


def test_an_option_description_is_the_row_description() -> None:
    reply = Options(
        text="Démarches",
        rows=tuple((Option(f"d:{n}", f"Démarche {n}", f"Détail {n}"),) for n in range(5)),
    )
    (body,) = sent_bodies(reply)
    assert body["interactive"]["action"]["sections"][0]["rows"][2]["description"] == "Détail 2"


def test_more_than_ten_options_are_paged_with_a_more_row() -> None:
    reply = options(*(f"Langue {n}" for n in range(23)))
    rendered = render(reply, LABELS)
    assert isinstance(rendered[0], KeepPages)
    key = rendered[0].key
    (body,) = sent_bodies(reply)
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10
    assert rows[-1]["id"] == f"{MORE}{key}:1"
    assert rows[-1]["title"] == "➡️ Plus de choix"
    second = page_of(reply, 1, key, LABELS)
    assert [o.label for o in second.all_options()][-1] == "➡️ Plus de choix"
    third = page_of(reply, 2, key, LABELS)
    assert [o.label for o in third.all_options()] == [f"Langue {n}" for n in range(18, 23)]
    every = [o.label for p in range(3) for o in page_of(reply, p, key, LABELS).all_options()]
    assert [label for label in every if label.startswith("Langue")] == [
        f"Langue {n}" for n in range(23)
    ]


def test_a_long_prompt_is_sent_first_and_the_body_keeps_the_question() -> None:
    text = "\n\n".join(["Explication. " * 60] * 3 + ["Que voulez-vous faire ?"])
    bodies = sent_bodies(options("A", "B", "C", "D", text=text))
    assert [b["type"] for b in bodies][-1] == "interactive"
    assert bodies[-1]["interactive"]["body"]["text"].endswith("Que voulez-vous faire ?")
    assert all(b["type"] == "text" for b in bodies[:-1])


def test_an_empty_prompt_gets_a_body() -> None:
    (body,) = sent_bodies(options("A", "B", text=""))
    assert body["interactive"]["body"]["text"] == "Choisissez :"


def test_random_options_are_never_refused() -> None:
    words = ["⚙️", "Langue", "réglages", "démarche", "complémentaire", "santé", "سلام", "🗑️", "AME"]
    generator = random.Random(11)
    for _ in range(300):
        count = generator.randint(1, 14)
        labels = [
            " ".join(generator.choice(words) for _ in range(generator.randint(1, 12)))
            for _ in range(count)
        ]
        prompt = " ".join(generator.choice(words) for _ in range(generator.randint(0, 400)))
        reply = options(*labels, text=prompt)
        sent_bodies(reply)
        if count > 10:
            key = page_key_of(reply)
            for page in range(1, 3):
                sent_bodies(page_of(reply, page, key, LABELS))


def page_key_of(reply: Options) -> str:
    first = render(reply, LABELS)[0]
    assert isinstance(first, KeepPages)
    return first.key


# -- media ---------------------------------------------------------------------------------------------


def test_a_calendar_file_is_uploaded_as_a_document() -> None:
    media = Media(
        MediaKind.DOCUMENT,
        caption="Votre rendez-vous",
        filename="rendez-vous.ics",
        content=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
        mime_type="text/calendar",
    )
    (upload,) = render(media, LABELS)
    assert isinstance(upload, Upload)
    assert (upload.kind, upload.mime_type, upload.filename) == (
        "document",
        "text/plain",
        "rendez-vous.ics",
    )
    assert upload.caption == "Votre rendez-vous"


def test_a_voice_note_has_its_caption_as_a_text() -> None:
    rendered = render(Media(MediaKind.VOICE, caption="Écoutez", content=b"OggS"), LABELS)
    assert isinstance(rendered[0], Upload) and rendered[0].kind == "audio"
    assert isinstance(rendered[1], Send) and rendered[1].body["text"]["body"] == "Écoutez"


def test_a_location_is_a_location_message() -> None:
    bodies = sent_bodies(
        Media(MediaKind.LOCATION, caption="Espace solidarité", latitude=48.85, longitude=2.35)
    )
    assert [b["type"] for b in bodies] == ["text", "location"]


# -- reading webhooks ----------------------------------------------------------------------------------


NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (payloads.text("bonjour"), Said("bonjour")),
        (payloads.text("/menu"), Command("menu")),
        (payloads.text("e-health-ame"), Command("start", "e-health-ame")),
        (payloads.button_reply("nav:menu", "Menu"), Pressed("nav:menu")),
        (payloads.list_reply("lang:fa", "فارسی"), Pressed("lang:fa")),
        (payloads.quick_reply("nav:menu", "Menu"), Pressed("nav:menu")),
        (payloads.location(48.85, 2.35), SharedLocation(48.85, 2.35)),
        (payloads.audio(voice=True), SentMedia(MediaType.VOICE, "1480338619690310")),
        (payloads.audio(voice=False), SentMedia(MediaType.AUDIO, "1480338619690310")),
        (payloads.media("image"), SentMedia(MediaType.PHOTO, "1003383421387256")),
        (payloads.media("document"), SentMedia(MediaType.DOCUMENT, "1003383421387256")),
        (payloads.media("sticker"), SentMedia(MediaType.STICKER, "1003383421387256")),
        (payloads.media("video"), SentMedia(MediaType.VIDEO, "1003383421387256")),
        (payloads.unsupported(), SentMedia(MediaType.OTHER)),
        ({"type": "request_welcome"}, Command("start")),
    ],
)
def test_each_kind_of_message_is_read(content: dict[str, Any], expected: object) -> None:
    webhook = parse_webhook(
        payloads.inbound(content, wa_id="33612345678", bsuid="FR.15025763946", at=NOW),
        payloads.PHONE_NUMBER_ID,
        prefixes={"e"},
    )
    (message,) = webhook.messages
    assert message.payload == expected
    assert message.sender == Sender(bsuid="FR.15025763946", wa_id="33612345678")
    assert message.sent_at == NOW
    assert message.locale_hint == "fr"


def test_reactions_are_not_messages_and_statuses_carry_their_errors() -> None:
    reaction = payloads.inbound(payloads.reaction("x"), wa_id="33612345678", bsuid=None, at=NOW)
    assert parse_webhook(reaction, payloads.PHONE_NUMBER_ID).messages == []
    failed = payloads.status(
        "failed", wamid="wamid.out.9", recipient_id="33612345678", at=NOW, error_code=131047
    )
    (status,) = parse_webhook(failed, payloads.PHONE_NUMBER_ID).statuses
    assert (status.message_id, status.status, status.error_codes) == (
        "wamid.out.9",
        "failed",
        (131047,),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("e-health-ame", Command("start", "e-health-ame")),
        ("start e-health-ame", Command("start", "e-health-ame")),
        ("/start e-health-ame", Command("start", "e-health-ame")),
        ("  START   e-health-ame ", Command("start", "e-health-ame")),
        ("start anything_else-1", Command("start", "anything_else-1")),
        ("bonjour", None),
        ("x-ray", None),
        ("e-health-ame merci", None),
        ("start", None),
        ("start e-health-ame!", None),
    ],
)
def test_the_deep_link_forms(text: str, expected: Command | None) -> None:
    assert deep_link(text, {"e"}) == expected


def test_ids_and_language_hints() -> None:
    assert recipient("FR.1502576394655843") == {"recipient": "FR.1502576394655843"}
    assert recipient("US.ENT.11815799212886844830") == {"recipient": "US.ENT.11815799212886844830"}
    assert recipient("33612345678") == {"to": "33612345678"}
    assert locale_hint(Sender(bsuid=None, wa_id="93700123456")) == "fa"
    assert locale_hint(Sender(bsuid=None, wa_id="8801712345678")) == "bn"
    assert locale_hint(Sender(bsuid="ER.123", wa_id="33612345678")) == "ti"
    assert locale_hint(Sender(bsuid=None, wa_id="4915112345678")) is None


def _slots(node: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) of a JSON document."""
    found: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((node, key))
            found.extend(_slots(value))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((node, index))
            found.extend(_slots(value))
    return found


def test_mangled_webhooks_never_crash_the_parser() -> None:
    samples = [
        payloads.inbound(content, wa_id="33612345678", bsuid="FR.15025763946", at=NOW)
        for content in (
            payloads.text("e-health-ame"),
            payloads.list_reply("lang:fr", "Français"),
            payloads.quick_reply("nav:menu", "Menu"),
            payloads.location(1.0, 2.0),
            payloads.audio(),
            payloads.media("document"),
        )
    ]
    samples.append(
        payloads.status("failed", wamid="w", recipient_id="1", at=NOW, error_code=131047)
    )
    odd: list[Any] = [None, 0, -1, 1e308, "", "x", [], {}, [1], {"a": 1}, True, "nan", "9" * 30]
    generator = random.Random(3)
    for _ in range(3000):
        data = copy.deepcopy(generator.choice(samples))
        for _ in range(generator.randint(1, 3)):
            container, key = generator.choice(_slots(data))
            container[key] = copy.deepcopy(generator.choice(odd))
        parse_webhook(data, payloads.PHONE_NUMBER_ID, {"e"})
