"""The locales Passerelle speaks, and what it needs of each besides its catalog.

`translations/LINGUAS` lists the locales (one reader: `listed_locales`). Each has a data
file here, `knowledge/locales/<code>.yaml`, shipped inside the package: the script its
content is written in and how search reduces its words, its native digits, the codes
platforms may send for it, the words that open the emergency numbers, and the countries
whose people WhatsApp offers it to first. Adding a language is adding its code to
LINGUAS, its catalog, and this file (`tests/test_locales.py` checks every one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.normalize import Script
from knowledge.schema import SOURCE_LOCALE

LINGUAS = Path(__file__).resolve().parent.parent.parent / "translations" / "LINGUAS"
DATA_DIR = Path(__file__).resolve().parent


class SearchRules(BaseModel):
    """How search reduces a word of this language to the term it indexes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: A Snowball stemmer (PyStemmer's name), or None where none exists.
    stemmer: str | None
    #: Terms cut to this many letters (after the stemmer, if any); None keeps them whole.
    prefix: int | None = Field(gt=0)
    #: A stopword list of bm25s, where it has one.
    stopwords: Literal["english", "english_plus", "french"] | None


class LocaleData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    #: Where it comes in lists when LINGUAS is not shipped (an installed wheel).
    order: int
    script: Script
    #: A token of this script inside a text of another language is reduced as this one's.
    reads_its_script: bool = False
    search: SearchRules
    #: The ten digits people type, zero first ("0123456789" where they are ASCII).
    digits: str
    #: Other codes platforms send for this language ("prs" for Dari).
    aliases: tuple[str, ...] = ()
    #: Typed alone, any of these opens the emergency numbers (safety-critical).
    emergency_words: tuple[str, ...] = Field(min_length=1)
    #: WhatsApp: ISO country code → calling code, for countries offered this language first.
    countries: dict[str, str]

    @field_validator("digits")
    @classmethod
    def _ten_digits(cls, value: str) -> str:
        if len(value) != 10 or any(
            not char.isdecimal() or int(char) != position for position, char in enumerate(value)
        ):
            raise ValueError("digits must be the ten decimal digits, 0 to 9")
        return value

    @field_validator("countries")
    @classmethod
    def _calling_codes(cls, value: dict[str, str]) -> dict[str, str]:
        for country, calling in value.items():
            if len(country) != 2 or not country.isupper() or not calling.isdigit():
                raise ValueError(f"{country}: {calling} is not an ISO country and calling code")
        return value


@cache
def locale_data(directory: Path = DATA_DIR) -> Mapping[str, LocaleData]:
    """Every locale's data file, in their order; a broken file stops the start."""
    found: list[LocaleData] = []
    for path in sorted(directory.glob("*.yaml")):
        data = LocaleData.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        if data.code != path.stem:
            raise ValueError(f"{path.name}: code {data.code!r} is not the file's name")
        found.append(data)
    return {data.code: data for data in sorted(found, key=lambda data: data.order)}


def listed_locales(linguas: Path = LINGUAS) -> list[str]:
    """The codes of a LINGUAS file, in its order (one or more per line, `#` comments)."""
    found: list[str] = []
    if not linguas.is_file():
        return found
    for line in linguas.read_text(encoding="utf-8").splitlines():
        for word in line.split("#", 1)[0].split():
            if word not in found:
                found.append(word)
    return found


#: Used when the interface catalogs are not shipped next to the package.
DEFAULT_LOCALES: tuple[str, ...] = tuple(locale_data())


def read_locales(linguas: Path = LINGUAS) -> tuple[str, ...]:
    """The locales of `translations/LINGUAS`, French first, else those with a data file."""
    found = listed_locales(linguas)
    return with_source_first(found) if found else DEFAULT_LOCALES


def with_source_first(locales: Iterable[str]) -> tuple[str, ...]:
    rest = [locale for locale in locales if locale != SOURCE_LOCALE]
    return (SOURCE_LOCALE, *rest)


LOCALES: tuple[str, ...] = read_locales()


def locale_order(locales: Iterable[str], known: tuple[str, ...] = LOCALES) -> list[str]:
    """Known locales in their usual order, then any others alphabetically: stable output."""
    present = set(locales)
    ordered = [locale for locale in known if locale in present]
    return ordered + sorted(present - set(known))


def emergency_words() -> frozenset[str]:
    """Every locale's emergency words: people in danger write in any of them."""
    return frozenset(word for data in locale_data().values() for word in data.emergency_words)


def native_digits() -> dict[int, str]:
    """A `str.translate` table from every locale's digits to ASCII ones."""
    return {
        ord(char): str(position)
        for data in locale_data().values()
        for position, char in enumerate(data.digits)
        if char != str(position)
    }


def country_locales() -> dict[str, str]:
    """ISO country code → the locale its people are offered first."""
    return {country: data.code for data in locale_data().values() for country in data.countries}


def calling_codes() -> dict[str, str]:
    """Calling code (no "+") → ISO country code, for the countries of `country_locales`."""
    return {
        calling: country
        for data in locale_data().values()
        for country, calling in data.countries.items()
    }


def locale_aliases() -> dict[str, str]:
    """Other codes platforms send ("prs", "fuc") → the locale they mean."""
    return {alias: data.code for data in locale_data().values() for alias in data.aliases}
