"""Every appointment the bot offers tells where to go: the real catalogue, walked service by
service, booked and confirmed, read in every language (issue 14, item 9)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator

import pytest

from bookings.catalogue import SERVICES_FILE, ContactNeed, Mode, load_catalogue
from bookings.slots import SlotPlan
from bookings.store import BookingDesk
from bookings.views import Contact
from bot.app import App, build_app
from bot.settings import Settings
from dialogs.booking_words import Wording
from dialogs.replies import Media, text_of
from knowledge.locales import LOCALES
from tests.bookings.conftest import Clock, paris, person

NOT_KNOWN = "We do not know the exact address: check it before going."
#: Where an agent says a request takes place, for a service whose places are not listed.
TYPED = "Accueil de l'association, 75010 Paris"


@pytest.fixture
async def real(settings: Settings, clock: Clock) -> AsyncIterator[App]:
    """The application with the services Passerelle really offers, not the tests' own."""
    application = await build_app(
        settings.model_copy(update={"services_file": SERVICES_FILE}), clock=clock
    )
    try:
        yield application
    finally:
        await application.close()


def _location(calendar: bytes) -> str:
    unfolded = calendar.decode().replace("\r\n ", "")
    found = re.search(r"^LOCATION:(.*)$", unfolded, re.MULTILINE)
    return found.group(1).strip() if found else ""


async def _book_and_confirm(
    desk: BookingDesk, clock: Clock, person_id: int, service_id: str
) -> str:
    service = desk.catalogue.get(service_id)
    assert service is not None
    contact = {
        ContactNeed.NAME: Contact(name="Ada Lovelace"),
        ContactNeed.PHONE: Contact(phone="0612345678"),
    }.get(service.contact)
    async with desk.unit() as unit:
        slot_id = None
        if service.mode is Mode.SLOTS:
            start = paris(12, 10)
            plan = SlotPlan(service.id, service.places[0], start, start + dt.timedelta(hours=1), 1)
            slot_id = (await unit.add_slots([plan], by="test", now=clock())).created[0].id
        booked = await unit.request(
            person_id=person_id,
            locale="fr",
            service_id=service.id,
            request_key=f"k-{service.id}",
            now=clock(),
            slot_id=slot_id,
            # A request's place: as the person chose it, or none (the agent types one).
            place_id=service.places[0] if service.by_request and service.places else None,
            contact=contact,
        )
        booking = booked.booking
        if not service.confirmed_at_once:
            booking = await unit.confirm(
                booking.reference,
                by="agent:1",
                now=clock(),
                starts_at=None if service.mode is Mode.SLOTS else paris(12, 14),
                place_text=None if service.places else TYPED,
            )
    return booking.reference


async def test_every_confirmation_of_every_service_names_a_place_with_an_address(
    real: App, clock: Clock
) -> None:
    desk = real.bookings
    assert desk is not None
    catalogue = load_catalogue()
    assert desk.catalogue == catalogue
    for number, service in enumerate(catalogue.services):
        reference = await _book_and_confirm(
            desk, clock, await person(real, f"p{number}"), service.id
        )
        async with desk.unit() as unit:
            booking = await unit.booking(reference)
        assert booking is not None and booking.starts_at is not None
        for locale in LOCALES:
            t = real.engine.catalogs.translator(locale)
            words = Wording(t, real.engine.services.library, catalogue)
            [card, calendar] = await words.confirmation(booking, clock())
            body = text_of(card)
            place = await words.place(service.id, booking.place_id)
            where = booking.place_text or (place.address if place else None)
            assert where, f"{service.id}: confirmed with no place"
            assert where in body, f"{service.id} in {locale}: no address in\n{body}"
            assert t(NOT_KNOWN) not in body, f"{service.id} in {locale}"
            assert isinstance(calendar, Media) and calendar.content is not None
            assert where in _location(calendar.content).replace("\\,", ","), service.id
