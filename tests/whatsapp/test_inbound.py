"""What people send: media, locations, template buttons, deep links, and who they are."""

from __future__ import annotations

import pytest

from tests.whatsapp import payloads
from tests.whatsapp.harness import Harness, WhatsAppPerson


async def in_french(person: WhatsAppPerson) -> None:
    await person.says("bonjour")
    answer = await person.presses("Français")
    assert "Menu principal" in answer


@pytest.mark.parametrize(
    "content",
    [
        payloads.media("image"),
        payloads.media("document"),
        payloads.media("sticker"),
        payloads.media("video"),
        payloads.audio(voice=True),
        payloads.audio(voice=False),
        payloads.unsupported(),
    ],
    ids=["image", "document", "sticker", "video", "voice", "audio", "unsupported"],
)
async def test_media_are_answered_and_the_person_is_not_stuck(
    harness: Harness, content: dict[str, object]
) -> None:
    amina = harness.person()
    await in_french(amina)
    answer = await amina.send(content)
    assert "I cannot read voice messages" in answer or "Je ne peux pas lire" in answer
    assert amina.choices(), "the current step is shown again, with its buttons"


async def test_a_location_is_answered(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    answer = await amina.send(payloads.location(48.8566, 2.3522))
    assert answer.strip()


async def test_a_reaction_needs_no_answer(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    assert await amina.send(payloads.reaction("wamid.out.1")) == ""


async def test_a_template_quick_reply_is_a_button_press(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    await amina.presses("Langue et réglages")
    answer = await amina.send(payloads.quick_reply("nav:menu", "Menu"))
    assert "Menu principal" in answer


async def test_typed_commands_work(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    await amina.presses("Langue et réglages")
    assert "Menu principal" in await amina.says("/menu")
    assert "Choisissez votre langue" in await amina.says("/language")


# -- deep links (wa.me/<number>?text=<code>) --------------------------------------------------------


@pytest.mark.parametrize(
    "prefilled", ["e-health-ame", "start e-health-ame", " Start e-health-ame "]
)
async def test_a_prefilled_deep_link_opens_the_entry_after_the_language(
    harness: Harness, prefilled: str
) -> None:
    amina = harness.person()
    answer = await amina.says(prefilled)
    assert "Choisissez votre langue" in answer
    answer = await amina.presses("Français")
    assert "AME" in answer
    assert "Menu principal" not in answer.split("\n")[0]


async def test_a_deep_link_later_opens_the_entry_at_once(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    answer = await amina.says("e-health-ame")
    assert "AME" in answer


async def test_words_that_only_look_like_codes_stay_free_text(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    answer = await amina.says("x-ray")
    assert "n'est plus valable" not in answer


async def test_an_unknown_deep_link_says_so_and_shows_the_menu(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    answer = await amina.says("start e-no-such-entry")
    assert "Menu principal" in answer


async def test_a_first_contact_event_shows_the_languages(harness: Harness) -> None:
    amina = harness.person()
    answer = await amina.send({"type": "request_welcome"})
    assert "Choisissez votre langue" in answer


# -- paged lists -----------------------------------------------------------------------------------


async def test_twelve_languages_come_in_two_pages(harness: Harness) -> None:
    olena = harness.person(wa_id="380501234567", bsuid=None)
    answer = await olena.says("привіт")
    # A Ukrainian number: Ukrainian is offered first, on the first page.
    assert olena.choices()[0].title == "Українська"
    assert len(olena.choices()) == 10
    more = olena.choices()[-1]
    assert more.id.startswith("~more:")
    answer = await olena.press(more)
    titles = [c.title for c in olena.choices()]
    assert len(titles) == 3
    assert "Choose your language" in answer
    answer = await olena.presses("Română")
    assert "Limba: Română" in answer or "Language: Română" in answer


async def test_more_delivered_twice_shows_the_page_once(harness: Harness) -> None:
    amina = harness.person()
    await amina.says("bonjour")
    more = amina.choices()[-1]
    mid = payloads.message_id()
    first = await amina.send(payloads.list_reply(more.id, more.title), mid=mid)
    assert first
    assert await amina.send(payloads.list_reply(more.id, more.title), mid=mid) == ""


async def test_an_unknown_more_row_is_an_expired_button(harness: Harness) -> None:
    amina = harness.person()
    await in_french(amina)
    answer = await amina.send(payloads.list_reply("~more:0123456789abcdef01234567:1", "➡️"))
    assert "Ce bouton n'est plus valable" in answer
    answer = await amina.send(payloads.list_reply("~more:garbage", "➡️"))
    assert "Ce bouton n'est plus valable" in answer


# -- who is who ------------------------------------------------------------------------------------


async def test_a_person_known_by_phone_keeps_their_conversation_when_a_bsuid_appears(
    harness: Harness,
) -> None:
    before = harness.person(wa_id="33611111111", bsuid=None)
    await in_french(before)
    after = harness.person(wa_id="33611111111", bsuid="FR.99887766554433")
    answer = await after.says("/menu")
    assert "Menu principal" in answer
    # Still the phone-keyed person: their replies go to the number.
    assert all(sent.to == "33611111111" for sent in after.last)


async def test_a_person_without_a_phone_number_is_reached_by_bsuid(harness: Harness) -> None:
    anonymous = harness.person(wa_id=None, bsuid="AF.123456789012345")
    answer = await anonymous.says("salam")
    # An Afghan BSUID: Dari/Persian is offered first.
    assert anonymous.choices()[0].title == "فارسی"
    assert all(sent.body.get("recipient") == "AF.123456789012345" for sent in anonymous.last)
    assert "to" not in anonymous.last[0].body
    answer = await anonymous.presses("English")
    assert "Main menu" in answer


async def test_a_bsuid_first_person_is_found_again_by_bsuid_or_phone(harness: Harness) -> None:
    first = harness.person(wa_id="33622222222", bsuid="FR.5550001112223")
    await in_french(first)
    by_bsuid_only = harness.person(wa_id=None, bsuid="FR.5550001112223")
    assert "Menu principal" in await by_bsuid_only.says("/menu")


async def test_a_recycled_number_is_a_new_person(harness: Harness) -> None:
    owner = harness.person(wa_id="33633333333", bsuid="FR.1111111111")
    await in_french(owner)
    newcomer = harness.person(wa_id="33633333333", bsuid="FR.2222222222")
    answer = await newcomer.says("hello")
    assert "Choisissez votre langue" in answer
