"""Which services take bookings, where, and what they need: `bookings/services.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.views import LocalizedEntry, PlaceView

SERVICES_FILE = Path(__file__).resolve().parent / "services.yaml"
SOURCE_LOCALE = "fr"


class Mode(StrEnum):
    #: People choose among the slots agents open.
    SLOTS = "slots"
    #: No slots: the person asks, an agent proposes a time.
    REQUEST = "request"


class Confirmation(StrEnum):
    AUTO = "auto"
    AGENT = "agent"


class ContactNeed(StrEnum):
    NONE = "none"
    NAME = "name"
    PHONE = "phone"


class CatalogueError(ValueError):
    """The services file is wrong; the message names the service and the field."""


class Service(BaseModel):
    """One service that takes bookings, as `services.yaml` declares it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,23}$")
    entry: str = Field(min_length=1, max_length=48)
    mode: Mode
    places: tuple[str, ...] = ()
    confirmation: Confirmation = Confirmation.AGENT
    contact: ContactNeed = ContactNeed.NONE
    why: dict[str, str] = Field(default_factory=dict)
    several: bool = False
    bring: str | None = None
    minutes: int = Field(default=30, ge=5, le=480)

    @model_validator(mode="after")
    def _consistent(self) -> Service:
        if self.contact is not ContactNeed.NONE and not {"fr", "en"} <= set(self.why):
            raise ValueError("a service that asks for a contact says why, in fr and en")
        if len(set(self.places)) != len(self.places):
            raise ValueError("a place is listed twice")
        return self

    @property
    def by_request(self) -> bool:
        return self.mode is Mode.REQUEST

    @property
    def confirmed_at_once(self) -> bool:
        """A booked slot needs no agent; a request always does."""
        return self.mode is Mode.SLOTS and self.confirmation is Confirmation.AUTO

    def why_in(self, locale: str) -> str:
        """Why the contact is asked, in `locale` when the file has it, else in English."""
        return self.why.get(locale) or self.why.get("en") or self.why.get(SOURCE_LOCALE, "")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    services: list[Service]


@dataclass(frozen=True)
class Catalogue:
    services: tuple[Service, ...]

    def get(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def for_entry(self, slug: str) -> list[Service]:
        return [service for service in self.services if service.entry == slug]


def parse_catalogue(text: str, origin: str = "services.yaml") -> Catalogue:
    try:
        raw = yaml.safe_load(text)
        parsed = _File.model_validate(raw)
    except yaml.YAMLError as error:
        raise CatalogueError(f"{origin}: not valid YAML ({error})") from None
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise CatalogueError(f"{origin}: {where}: {message}") from None
    ids = [service.id for service in parsed.services]
    doubles = sorted({service_id for service_id in ids if ids.count(service_id) > 1})
    if doubles:
        raise CatalogueError(f"{origin}: service ids used twice: {', '.join(doubles)}")
    return Catalogue(services=tuple(parsed.services))


def load_catalogue(path: Path = SERVICES_FILE) -> Catalogue:
    return parse_catalogue(path.read_text(encoding="utf-8"), origin=path.name)


class EntryReader(Protocol):
    async def entry(self, slug: str, locale: str) -> LocalizedEntry | None: ...


async def check_against_knowledge(catalogue: Catalogue, library: EntryReader) -> list[str]:
    """What in the catalogue the knowledge base does not back: missing entries or places.

    Addresses are never invented here: a place must be one of its entry's places, with an
    address (every confirmation names where to go), and a place people pick slots at must
    be marked bookable there.
    """
    problems: list[str] = []
    for service in catalogue.services:
        entry = await library.entry(service.entry, SOURCE_LOCALE)
        if entry is None:
            problems.append(f"{service.id}: no published entry {service.entry!r}")
            continue
        known = {place.id: place for place in entry.places}
        for place_id in service.places:
            place = known.get(place_id)
            if place is None:
                problems.append(f"{service.id}: {service.entry!r} has no place {place_id!r}")
            elif not place.address:
                problems.append(f"{service.id}: place {place_id!r} has no address")
            elif service.mode is Mode.SLOTS and not place.bookable:
                problems.append(f"{service.id}: place {place_id!r} is not bookable")
        if service.bring and await library.entry(service.bring, SOURCE_LOCALE) is None:
            problems.append(f"{service.id}: no entry {service.bring!r} to bring documents from")
    return problems


def places_of(service: Service, entry: LocalizedEntry | None) -> list[PlaceView]:
    """The service's places as its entry describes them, in the service's order."""
    if entry is None:
        return []
    known = {place.id: place for place in entry.places}
    return [known[place_id] for place_id in service.places if place_id in known]
