"""Interface strings: gettext catalogs under `translations/`, compiled in memory at start.

Message ids are English with named `{placeholders}`. A locale exists when its
catalog exists and its code is listed in `translations/LINGUAS`: adding a
language is a data change. Native names and text direction come from CLDR.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from dialogs.replies import Card, Option, Options, Reply, Text
from knowledge.locales import listed_locales, locale_aliases

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"
PARIS = ZoneInfo("Europe/Paris")
#: Other codes platforms send for a language ("prs" for Dari), from knowledge/locales/.
_ALIASES = locale_aliases()

# Unicode isolates: keep a left-to-right fragment (AME, 115, a date) whole inside RTL text.
LRI = "\u2066"
PDI = "\u2069"
_LTR_RUN = re.compile(
    r"(?<![\u2066\w/])"
    r"(?:/(?=[A-Za-z])|[A-Za-z0-9\u00C0-\u024F+])"
    r"(?:[A-Za-z0-9\u00C0-\u024F.,:/'’()+\-–€%@_]|\s(?=[A-Za-z0-9\u00C0-\u024F+]))*"
)


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, at render time."""
    return message


@dataclass(frozen=True)
class LanguageInfo:
    code: str
    native_name: str
    english_name: str
    rtl: bool


@lru_cache(maxsize=512)
def language_info(code: str) -> LanguageInfo:
    """Names and direction of a locale (CLDR lookups cost ~0.2 ms: kept once read)."""
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return LanguageInfo(code=code, native_name=code, english_name=code, rtl=False)
    native = locale.get_display_name(code) or code
    return LanguageInfo(
        code=code,
        native_name=native[:1].upper() + native[1:],
        english_name=locale.english_name or code,
        rtl=locale.character_order == "right-to-left",
    )


_ISOLATED = re.compile(f"({LRI}[^{PDI}]*{PDI})")


#: Ends a sentence or a bracket around a fragment: it belongs to the RTL text around it.
_TRAILING = ".,:;'’-–"


def _isolate_run(match: re.Match[str]) -> str:
    """The fragment in isolates, without what follows it in the sentence: a closing
    bracket it did not open and a final full stop or comma stay outside ("(PSA)", "119.")."""
    run = match.group(0)
    depth = 0
    for index, char in enumerate(run):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            # A bracket closed that the fragment did not open: the rest is isolated apart.
            return _isolate_run_text(run[:index]) + ")" + isolate_ltr(run[index + 1 :])
    return _isolate_run_text(run)


def _isolate_run_text(run: str) -> str:
    fragment = run.rstrip().rstrip(_TRAILING)
    if not fragment:
        return run
    return f"{LRI}{fragment}{PDI}{run[len(fragment) :]}"


def isolate_ltr(text: str) -> str:
    """Wrap left-to-right runs (Latin words, numbers, dates) in isolates for RTL readers.

    Runs already isolated are left alone, so isolating twice changes nothing.
    """
    parts = _ISOLATED.split(text)
    return "".join(
        part if part.startswith(LRI) else _LTR_RUN.sub(_isolate_run, part) for part in parts
    )


def isolate_reply(reply: Reply) -> Reply:
    """The same reply with every left-to-right run isolated, for right-to-left readers."""
    match reply:
        case Text(text=text):
            return Text(isolate_ltr(text))
        case Options(text=text, rows=rows, replaceable=replaceable):
            new_rows = tuple(
                tuple(Option(o.id, isolate_ltr(o.label), o.description) for o in row)
                for row in rows
            )
            return Options(text=isolate_ltr(text), rows=new_rows, replaceable=replaceable)
        case Card(title=title, body=body, footer=footer, badges=badges):
            return Card(
                title=isolate_ltr(title),
                body=isolate_ltr(body),
                footer=isolate_ltr(footer) if footer else footer,
                badges=tuple(isolate_ltr(b) for b in badges),
            )
    return reply


class _Params(dict[str, object]):
    """Leaves an unknown placeholder visible instead of failing the whole reply."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Translator:
    """Interface strings, dates and numbers in one locale."""

    def __init__(self, code: str, translations: gettext.NullTranslations) -> None:
        self.code = code
        self._translations = translations
        self.info = language_info(code)

    @property
    def rtl(self) -> bool:
        return self.info.rtl

    @cached_property
    def babel_locale(self) -> Locale:
        try:
            return Locale.parse(self.code)
        except (UnknownLocaleError, ValueError):
            return Locale.parse("fr")

    def __call__(self, message: str, /, **params: object) -> str:
        text = self._translations.gettext(message)
        return text.format_map(_Params(params)) if params else text

    def plural(self, singular: str, plural: str, count: int, /, **params: object) -> str:
        text = self._translations.ngettext(singular, plural, count)
        return text.format_map(_Params({"count": self.number(count), **params}))

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.babel_locale)

    def date(self, value: dt.date, style: str = "long") -> str:
        return format_date(value, format=style, locale=self.babel_locale)

    def time(self, value: dt.datetime) -> str:
        return format_time(value, format="short", tzinfo=PARIS, locale=self.babel_locale)

    def datetime(self, value: dt.datetime, style: str = "medium") -> str:
        return format_datetime(value, format=style, tzinfo=PARIS, locale=self.babel_locale)


class Catalogs:
    """Every bundled interface catalog, compiled once, in memory."""

    def __init__(self, directory: Path = TRANSLATIONS_DIR) -> None:
        self.directory = directory
        self._compiled: dict[str, gettext.NullTranslations] = {}
        self._translators: dict[str, Translator] = {}
        self.locales: tuple[str, ...] = tuple(self._listed_locales())
        for code in self.locales:
            self._compiled[code] = self._compile(code)

    def _listed_locales(self) -> list[str]:
        listed = listed_locales(self.directory / "LINGUAS")
        return [code for code in listed if self.po_path(code).exists()]

    def po_path(self, code: str) -> Path:
        return self.directory / code / "LC_MESSAGES" / "messages.po"

    def _compile(self, code: str) -> gettext.NullTranslations:
        with self.po_path(code).open("rb") as handle:
            catalog = read_po(handle, locale=code)
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        return gettext.GNUTranslations(buffer)

    def __contains__(self, code: object) -> bool:
        return code in self._compiled

    def translator(self, code: str) -> Translator:
        # A translator holds nothing but its catalog: one per locale serves every message.
        found = self._translators.get(code)
        if found is not None:
            return found
        compiled = self._compiled.get(code)
        if compiled is None:
            return Translator(code, gettext.NullTranslations())
        return self._translators.setdefault(code, Translator(code, compiled))

    def best_match(self, hint: str | None) -> str | None:
        """The bundled locale closest to a platform hint such as `pt-BR` or `fa_AF`."""
        if not hint:
            return None
        base = hint.replace("-", "_").split("_", 1)[0].lower()
        base = _ALIASES.get(base, base)
        return base if base in self._compiled else None
