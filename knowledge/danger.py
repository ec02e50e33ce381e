"""Is a person writing that they are in danger? Checked on every piece of free text.

The words are data, one file per locale in `knowledge/danger/` so that agents can
review them: for each kind of danger, `strong` phrases (one is enough: the crisis
answer comes first) and `weak` ones (one alone makes the bot unsure and ask "Are
you in danger now?"; two together are a crisis), and `not` phrases, idioms and
negations that must not fire ("mort de fatigue", "dying to learn French").

A phrase is a few words found in any order close to one another, so "me frappe mon
mari" meets "mon mari me frappe". Each word is compared the way the search compares
them: folded (`knowledge.normalize`: case, accents, harakat, letter variants, native
digits), reduced by every stemmer of its script (`knowledge.terms`), and, when it is
long enough, within one or two typos (rapidfuzz). A word ending in `*` is a stem that
matches every word beginning with it. Every locale's phrases are checked whatever the
person's language, because people mix languages and write their own in Latin letters.

Nothing here logs or keeps the text it checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.locales import DEFAULT_LOCALES
from knowledge.normalize import Script, script_of, tokenize
from knowledge.terms import query_terms

__all__ = [
    "DANGER_DIR",
    "DangerCheck",
    "DangerDataError",
    "Detector",
    "Kind",
    "Level",
    "bundled_detector",
    "load_detector",
]

DANGER_DIR = Path(__file__).with_name("danger")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
CONTENT_DIR = Path(__file__).with_name("content")


class Kind(StrEnum):
    """The kinds of danger, in the order one is preferred when two score alike."""

    SUICIDE = "suicide"
    MEDICAL = "medical"
    VIOLENCE = "violence"
    CHILD = "child"
    DANGER = "danger"
    EXPLOITATION = "exploitation"
    DETENTION = "detention"


class Level(StrEnum):
    NONE = "none"
    #: One weak signal: ask the person rather than assume.
    UNSURE = "unsure"
    CRISIS = "crisis"


@dataclass(frozen=True)
class DangerCheck:
    level: Level
    kind: Kind | None = None
    #: The locales whose phrases were found, the weightiest first (French, English... on a
    #: tie): the language of a person not yet asked.
    locales: tuple[str, ...] = ()

    @property
    def crisis(self) -> bool:
        return self.level is Level.CRISIS


SAFE = DangerCheck(Level.NONE)
STRONG = 1.0
WEAK = 0.5
#: Least similarity (0-1) of a typed word to a phrase word it is taken for.
_FUZZY_CUTOFF = 0.8
#: Words shorter than this must be typed right (or reach the same stem): a typo in a
#: short word makes another word too easily ("mort" / "mord", "kill" / "kilo").
_FUZZY_MIN_LENGTH = 5
#: From this length on, a typo may fall on the first letter too.
_LONG_WORD = 7
#: Words a phrase may have between its own, beyond its length: "il me frappe tous les soirs".
_SLACK = 5


class DangerDataError(ValueError):
    """A danger file that does not have the expected shape; the message names the file."""


@dataclass(frozen=True)
class _Word:
    """One word of a phrase: the terms it may be, or a stem that words begin with."""

    terms: frozenset[str]
    prefix: str | None = None
    folded: str = ""


@dataclass(frozen=True)
class _Phrase:
    kind: Kind | None
    weight: float
    words: tuple[_Word, ...]
    locale: str = ""


@dataclass
class _Token:
    position: int
    folded: str
    terms: frozenset[str]
    masked: bool = False


@dataclass
class Detector:
    """Every locale's phrases, compiled once; `check` is pure and cheap."""

    phrases: list[_Phrase] = field(default_factory=list)
    idioms: list[_Phrase] = field(default_factory=list)
    locales: tuple[str, ...] = ()
    #: Words that exist (those of the knowledge base): typed as they are, they are not
    #: typos of a danger word ("adresse" is not "agresse", "manger" not "danger").
    known_words: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        # The words that are long enough to be recognised through a typo. Not the idioms':
        # "mourir" must not be read as a typo of an idiom's word and be set aside.
        self._fuzzy_vocabulary = sorted(
            {
                word.folded
                for phrase in self.phrases
                for word in phrase.words
                if word.prefix is None and len(word.folded) >= _FUZZY_MIN_LENGTH
            }
        )
        # Each phrase is looked at only when its longest word (the least common, most
        # often) is in the message: a few dozen phrases per message instead of thousands.
        self._by_term: dict[str, list[_Phrase]] = {}
        self._by_prefix: list[tuple[str, _Phrase]] = []
        for phrase in (*self.phrases, *self.idioms):
            key = max(phrase.words, key=lambda word: len(word.folded))
            if key.prefix is not None:
                self._by_prefix.append((key.prefix, phrase))
            else:
                for term in key.terms:
                    self._by_term.setdefault(term, []).append(phrase)

    def _candidates(self, tokens: Sequence[_Token]) -> set[int]:
        found: set[int] = set()
        for token in tokens:
            for term in token.terms:
                found.update(id(phrase) for phrase in self._by_term.get(term, ()))
            for prefix, phrase in self._by_prefix:
                if token.folded.startswith(prefix):
                    found.add(id(phrase))
        return found

    def check(self, text: str) -> DangerCheck:
        tokens = self._tokens(text)
        if not tokens:
            return SAFE
        candidates = self._candidates(tokens)
        for idiom in self.idioms:
            if id(idiom) not in candidates:
                continue
            for used in _matches(idiom, tokens):
                for token in used:
                    token.masked = True
        open_tokens = [token for token in tokens if not token.masked]
        scores: dict[Kind, float] = {}
        weak: list[tuple[Kind, frozenset[int]]] = []
        by_locale: dict[str, set[int]] = {}
        for phrase in self.phrases:
            if id(phrase) not in candidates:
                continue
            assert phrase.kind is not None
            for used in _matches(phrase, open_tokens):
                by_locale.setdefault(phrase.locale, set()).update(t.position for t in used)
                if phrase.weight >= STRONG:
                    scores[phrase.kind] = scores.get(phrase.kind, 0.0) + phrase.weight
                else:
                    weak.append((phrase.kind, frozenset(token.position for token in used)))
                break
        # Weak signals count when they rest on different words: "police" listed in three
        # locales, or "police" and "police station", are one signal, not two.
        taken: set[int] = set()
        for kind, positions in sorted(weak, key=lambda item: -len(item[1])):
            if taken.isdisjoint(positions):
                taken.update(positions)
                scores[kind] = scores.get(kind, 0.0) + WEAK
        if not scores:
            return SAFE
        order = list(Kind)
        kind = max(scores, key=lambda k: (scores[k], -order.index(k)))
        total = sum(scores.values())
        level = Level.CRISIS if total >= STRONG else Level.UNSURE
        rank = {code: index for index, code in enumerate(DEFAULT_LOCALES)}
        # The locale whose phrases cover the most words of the message.
        locales = sorted(by_locale, key=lambda code: (-len(by_locale[code]), rank.get(code, 99)))
        return DangerCheck(level, kind, tuple(code for code in locales if code))

    def _tokens(self, text: str) -> list[_Token]:
        tokens: list[_Token] = []
        for position, folded in enumerate(tokenize(text[:2000])):
            terms = set(_terms(folded))
            if (
                len(folded) >= _FUZZY_MIN_LENGTH
                and folded not in self.known_words
                and script_of(folded) is not Script.HAN
            ):
                for near, _score, _index in process.extract(
                    folded,
                    self._fuzzy_vocabulary,
                    scorer=OSA.normalized_similarity,
                    score_cutoff=_FUZZY_CUTOFF,
                    limit=5,
                ):
                    # A typo rarely falls on the first letter of a short word, and
                    # "manger" is not "danger", nor "nourrir" "mourir".
                    # Only the word itself: its stem would reach further ("agresse" →
                    # "agress" → "agression").
                    if near[0] == folded[0] or min(len(near), len(folded)) >= _LONG_WORD:
                        terms.add(near)
            tokens.append(_Token(position, folded, frozenset(terms)))
        return tokens


def _terms(folded: str) -> tuple[str, ...]:
    return (folded, *query_terms(folded))


def _fits(word: _Word, token: _Token) -> bool:
    if word.prefix is not None:
        return token.folded.startswith(word.prefix)
    return not word.terms.isdisjoint(token.terms)


def _matches(phrase: _Phrase, tokens: Sequence[_Token]) -> Iterable[list[_Token]]:
    """Each place where every word of the phrase is found, in any order, close together."""
    if not phrase.words:
        return
    span = len(phrase.words) + _SLACK
    for start, first in enumerate(tokens):
        if not _fits(phrase.words[0], first) and not any(
            _fits(word, first) for word in phrase.words[1:]
        ):
            continue
        window = [token for token in tokens[start:] if token.position - first.position < span]
        used = _assign(phrase.words, window)
        if used is not None and first in used:
            yield used


def _assign(words: Sequence[_Word], window: Sequence[_Token]) -> list[_Token] | None:
    """Distinct tokens for the words, found greedily from the rarest word (phrases are short)."""
    candidates = [[token for token in window if _fits(word, token)] for word in words]
    if any(not found for found in candidates):
        return None
    used: list[_Token] = []
    for found in sorted(candidates, key=len):
        free = [token for token in found if token not in used]
        if not free:
            return None
        used.append(free[0])
    return used


# -- loading ------------------------------------------------------------------------------


def _compile_word(raw: str) -> _Word | None:
    word = raw.strip()
    if word.endswith("*"):
        stems = tokenize(word[:-1])
        if len(stems) != 1:
            return None
        return _Word(terms=frozenset(), prefix=stems[0], folded=stems[0])
    tokens = tokenize(word)
    if len(tokens) != 1:
        return None
    return _Word(terms=frozenset(_terms(tokens[0])), folded=tokens[0])


def _compile_phrase(
    text: str, kind: Kind | None, weight: float, locale: str = ""
) -> _Phrase | None:
    words: list[_Word] = []
    for raw in text.split():
        if raw.endswith("*"):
            compiled = _compile_word(raw)
            if compiled is None:
                return None
            words.append(compiled)
            continue
        for token in tokenize(raw):
            words.append(_Word(terms=frozenset(_terms(token)), folded=token))
    return _Phrase(kind, weight, tuple(words), locale) if words else None


def _phrase_list(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DangerDataError(f"{where}: expected a list of phrases")
    return [item for item in value if item.strip()]


def parse_locale(data: object, name: str, locale: str = "") -> tuple[list[_Phrase], list[_Phrase]]:
    """The crisis phrases and the idioms of one locale's file."""
    if not isinstance(data, Mapping):
        raise DangerDataError(f"{name}: expected a mapping with 'kinds' and 'not'")
    kinds = data.get("kinds") or {}
    if not isinstance(kinds, Mapping):
        raise DangerDataError(f"{name}: 'kinds' must map a kind to its phrases")
    phrases: list[_Phrase] = []
    for key, lists in kinds.items():
        try:
            kind = Kind(str(key))
        except ValueError:
            known = ", ".join(Kind)
            raise DangerDataError(f"{name}: unknown kind {key!r} (known: {known})") from None
        if not isinstance(lists, Mapping):
            raise DangerDataError(f"{name}: {key}: expected 'strong' and 'weak' lists")
        for strength, weight in (("strong", STRONG), ("weak", WEAK)):
            for text in _phrase_list(lists.get(strength), f"{name}: {key}.{strength}"):
                phrase = _compile_phrase(text, kind, weight, locale)
                if phrase is None:
                    raise DangerDataError(f"{name}: {key}: cannot read the phrase {text!r}")
                phrases.append(phrase)
    idioms: list[_Phrase] = []
    for text in _phrase_list(data.get("not"), f"{name}: not"):
        phrase = _compile_phrase(text, None, 0.0)
        if phrase is None:
            raise DangerDataError(f"{name}: not: cannot read the phrase {text!r}")
        idioms.append(phrase)
    return phrases, idioms


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def content_words(content: Path = CONTENT_DIR) -> frozenset[str]:
    """Every folded word of the bundled entries, in all their languages."""
    words: set[str] = set()
    for path in sorted(content.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, yaml.YAMLError):
            continue  # `passerelle kb check` reports broken entries; the check needs none
        for text in _strings(data):
            words.update(tokenize(text))
    return frozenset(words)


def load_detector(directory: Path = DANGER_DIR, content: Path | None = CONTENT_DIR) -> Detector:
    phrases: list[_Phrase] = []
    idioms: list[_Phrase] = []
    locales: list[str] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise DangerDataError(f"{path}: not valid YAML: {error}") from error
        more, idiom_list = parse_locale(data, str(path), path.stem)
        phrases.extend(more)
        idioms.extend(idiom_list)
        locales.append(path.stem)
    known = content_words(content) if content is not None else frozenset()
    # A word of a danger phrase is never "known": it must stay reachable through typos.
    danger_words = {w.folded for phrase in phrases for w in phrase.words}
    return Detector(
        phrases=phrases,
        idioms=idioms,
        locales=tuple(locales),
        known_words=known - danger_words,
    )


@cache
def bundled_detector() -> Detector:
    """The detector of the bundled danger files, built once per process."""
    return load_detector()
