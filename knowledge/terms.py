"""From a folded token to the term the index stores: a stem, or a prefix where no stemmer exists.

Also which words are too common to index (stopwords, where bm25s has a list).

Content is stemmed with the stemmer of its own locale. A query's language is not
known for sure (people mix languages), so a query token is reduced by every
stemmer of its script and each result that exists in the index is searched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_EN_PLUS, STOPWORDS_FRENCH

from knowledge.locales import locale_data
from knowledge.normalize import Script, fold, script_of

__all__ = [
    "LOCALE_SCRIPTS",
    "document_term",
    "is_stopword",
    "query_terms",
]

#: The script each locale's content is written in (knowledge/locales/<code>.yaml).
LOCALE_SCRIPTS: dict[str, Script] = {code: data.script for code, data in locale_data().items()}


@dataclass(frozen=True)
class _Reduction:
    """A Snowball stemmer, a truncation to a prefix, or both (stem first)."""

    stemmer: str | None = None
    prefix: int | None = None


# Snowball has no Ukrainian, Pashto, Urdu, Bengali, Tigrinya or Pular stemmer. Truncating
# to a prefix is the usual stand-in: it joins most inflected forms of a word. For Ukrainian,
# the Russian stemmer removes most shared endings first ("безкоштовну" → "безкоштовн").
# Each locale says which in its data file; a locale with neither is left out (Chinese).
_LOCALE_REDUCTIONS: dict[str, _Reduction] = {
    code: _Reduction(stemmer=data.search.stemmer, prefix=data.search.prefix)
    for code, data in locale_data().items()
    if data.search.stemmer or data.search.prefix
}

# A token in another script than its document's: French desk terms inside Arabic text,
# an Arabic word quoted in a French text. They are reduced as their script's usual language.
_SCRIPT_DEFAULT_LOCALE: dict[Script, str] = {
    data.script: code for code, data in locale_data().items() if data.reads_its_script
}

# Every locale whose reduction a query token of that script may need: those with a real
# stemmer first (their terms are likelier), then those cut to a prefix.
_SCRIPT_LOCALES: dict[Script, tuple[str, ...]] = {
    script: tuple(
        sorted(
            (
                locale
                for locale, locale_script in LOCALE_SCRIPTS.items()
                if locale_script is script and locale in _LOCALE_REDUCTIONS
            ),
            key=lambda locale: _LOCALE_REDUCTIONS[locale].stemmer is None,
        )
    )
    for script in Script
}


# Only where the library has a list; elsewhere the per-locale idf already makes such
# words weigh little.
_LISTS = {
    "french": STOPWORDS_FRENCH,
    "english": STOPWORDS_EN,
    "english_plus": STOPWORDS_EN_PLUS,
}
_STOPWORDS: dict[str, frozenset[str]] = {
    code: frozenset(fold(word) for word in _LISTS[data.search.stopwords])
    for code, data in locale_data().items()
    if data.search.stopwords
}


def _reduction_locale(token: str, locale: str) -> str:
    script = script_of(token)
    if LOCALE_SCRIPTS.get(locale) is not script:
        return _SCRIPT_DEFAULT_LOCALE.get(script, locale)
    return locale


def is_stopword(token: str, locale: str) -> bool:
    """Whether a folded token of a document in `locale` is left out of the index."""
    return token in _STOPWORDS.get(_reduction_locale(token, locale), frozenset())


@cache
def _reducer(locale: str) -> Callable[[str], str]:
    reduction = _LOCALE_REDUCTIONS.get(locale, _Reduction())
    stemmer = Stemmer.Stemmer(reduction.stemmer) if reduction.stemmer else None
    prefix = reduction.prefix

    def reduce(token: str) -> str:
        if locale == "ar":
            token = _with_teh_marbuta(token)
        term = stemmer.stemWord(token) if stemmer is not None else token
        return term[:prefix] if prefix is not None else term

    return reduce


def _with_teh_marbuta(token: str) -> str:
    # Folding wrote every ة as ه (people type both); the Arabic stemmer removes the
    # feminine ending only as ة, so "الشهاده" and "شهادة" would not meet. Every final ه
    # goes back to ة for it: a pronoun "ه" (كتابه) is removed either way.
    return token[:-1] + "\u0629" if len(token) > 2 and token.endswith("\u0647") else token


def _is_unreduced(token: str) -> bool:
    # Numbers ("115") and Chinese bigrams are terms as they are.
    return token.isdecimal() or script_of(token) in (Script.HAN, Script.OTHER)


def document_term(token: str, locale: str) -> str:
    """The term a folded token of a document in `locale` is indexed under."""
    if _is_unreduced(token):
        return token
    return _reducer(_reduction_locale(token, locale))(token)


@lru_cache(maxsize=65536)
def query_terms(token: str) -> tuple[str, ...]:
    """Every term a folded query token may be indexed under, most likely first."""
    if _is_unreduced(token):
        return (token,)
    terms: dict[str, None] = {}
    for locale in _SCRIPT_LOCALES.get(script_of(token), ()):
        terms[_reducer(locale)(token)] = None
    return tuple(terms) or (token,)
