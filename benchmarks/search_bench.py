"""Knowledge search at scale: build an index of 5,000 entries × 12 locales, time the queries.

    .venv/bin/python -m benchmarks.search_bench [--entries 5000] [--queries 3000]

Prints ONE JSON line: index build time, search latency p50/p90/p99/max (ms), RSS
and index size, and the tracemalloc peak of the search phase. The target is
p99 ≤ 10 ms at full size.

The knowledge base is synthetic but shaped like the real one: each locale has
its own script and word forms (accents, Arabic/Persian/Urdu/Pashto letters with
the article, suffixes and ZWNJ, Bengali vowel signs, Ethiopic syllables, Chinese
without spaces), words follow a Zipf law, non-French texts carry French desk
terms (AME, récépissé...), and entries have the real fields and lengths. Queries
are taken from an entry's words the way people type them: a few words, typos,
no accents, Latin transliteration, a desk term, another locale, a number, or a
long rambling message.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import time
import tracemalloc
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from unidecode import unidecode

from knowledge.documents import SearchDocument
from knowledge.search import SearchIndex

LOCALES = ("fr", "en", "ar", "fa", "ps", "ti", "bn", "ur", "ff", "ro", "zh", "uk")
DESK_TERMS = ("AME", "CAF", "récépissé", "Navigo", "Cimade", "OFII", "OFPRA", "CADA", "CSS")
WORDS_PER_LOCALE = 20_000
KINDS = ("status", "right", "procedure", "service", "course", "contact", "faq")

WordMaker = Callable[[random.Random], str]


def _syllabic(
    consonants: str, vowels: Sequence[str], endings: Sequence[str], lengths: tuple[int, int]
) -> WordMaker:
    def make(rng: random.Random) -> str:
        syllables = rng.randint(*lengths)
        word = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))
        return word + rng.choice(endings)

    return make


def _abjad(
    letters: str, prefixes: Sequence[str], suffixes: Sequence[str], lengths: tuple[int, int]
) -> WordMaker:
    def make(rng: random.Random) -> str:
        stem = "".join(rng.choice(letters) for _ in range(rng.randint(*lengths)))
        return rng.choice(prefixes) + stem + rng.choice(suffixes)

    return make


def _bengali(rng: random.Random) -> str:
    consonants = "কখগঘচছজঝটঠডঢণতথদধনপফবভমযরলশষসহ"
    signs = ["", "া", "ি", "ী", "ু", "ে", "ো", "্র"]
    return "".join(rng.choice(consonants) + rng.choice(signs) for _ in range(rng.randint(2, 4)))


_ETHIOPIC = [chr(c) for c in range(0x1200, 0x1358) if unicodedata.category(chr(c)) == "Lo"]
_HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 2500)]


def _ethiopic(rng: random.Random) -> str:
    return "".join(rng.choice(_ETHIOPIC) for _ in range(rng.randint(2, 5)))


def _han(rng: random.Random) -> str:
    return "".join(rng.choice(_HAN) for _ in range(rng.choice((1, 2, 2, 2, 3))))


WORD_MAKERS: dict[str, WordMaker] = {
    "fr": _syllabic("bcdfglmnprstv", "aeiouéèâ", ("", "e", "s", "er", "ent", "ion", "é"), (1, 3)),
    "en": _syllabic("bcdfghklmnprstw", "aeiou", ("", "s", "ed", "ing", "er"), (1, 3)),
    "ro": _syllabic("bcdfglmnprsștțv", "aeiouăâî", ("", "ul", "ii", "ă", "ea"), (1, 3)),
    "ff": _syllabic(
        "bɓcdɗfghjklmnŋprstwyƴ",
        ("a", "e", "i", "o", "u", "aa", "ee", "oo"),
        ("", "de", "gol", "ji", "ɗo"),
        (1, 3),
    ),
    "ar": _abjad("ابتثجحخدذرزسشصضطظعغفقكلمنهوية", ("", "", "ال", "و"), ("", "ة", "ات"), (3, 5)),
    "fa": _abjad("ابپتجچحخدرزژسشعفقکگلمنوهی", ("", "", "می"), ("", "\u200cها", "ی"), (3, 5)),
    "ps": _abjad("ابپتټجچځڅحخدډرړزږژسشښعفکګلمنڼوهیې", ("", "", "د"), ("", "ونه", "ۍ"), (3, 5)),
    "ur": _abjad("ابپتٹجچحخدڈرڑزژسشعفقکگلمنںوہھیے", ("", ""), ("", "وں", "ے"), (3, 5)),
    "bn": _bengali,
    "ti": _ethiopic,
    "zh": _han,
    "uk": _syllabic("бвгґджзклмнпрстфхцчшщ", "аеєиіїоуюя", ("", "и", "ів", "ою", "ий"), (1, 3)),
}


@dataclass
class _Language:
    """One locale's vocabulary, sampled by a Zipf law like real text."""

    locale: str
    words: list[str]
    cumulative: np.ndarray

    @classmethod
    def make(cls, locale: str, size: int, rng: random.Random) -> _Language:
        maker = WORD_MAKERS[locale]
        words = list(dict.fromkeys(maker(rng) for _ in range(int(size * 1.3))))[:size]
        ranks = np.arange(1, len(words) + 1, dtype=np.float64)
        weights = np.cumsum(1.0 / ranks**1.07)
        return cls(locale, words, weights / weights[-1])

    def sample(self, generator: np.random.Generator, count: int) -> list[str]:
        picked = np.searchsorted(self.cumulative, generator.random(count))
        return [self.words[i] for i in picked.tolist()]

    def text(self, generator: np.random.Generator, count: int, desk: bool = False) -> str:
        words = self.sample(generator, count)
        if desk:
            words[int(generator.integers(len(words)))] = str(generator.choice(DESK_TERMS))
        separator = "" if self.locale == "zh" else " "
        return separator.join(words)


def make_documents(entries: int, locales: Sequence[str], seed: int) -> list[SearchDocument]:
    rng = random.Random(seed)
    generator = np.random.default_rng(seed)
    languages = {locale: _Language.make(locale, WORDS_PER_LOCALE, rng) for locale in locales}
    documents: list[SearchDocument] = []
    for number in range(entries):
        slug = f"entry-{number:05d}"
        kind = KINDS[number % len(KINDS)]
        for locale, language in languages.items():
            desk = locale != "fr"
            documents.append(
                SearchDocument(
                    slug=slug,
                    locale=locale,
                    title=language.text(generator, rng.randint(4, 9)),
                    summary=language.text(generator, rng.randint(35, 60), desk=desk),
                    body=language.text(generator, rng.randint(120, 220), desk=desk),
                    keywords=tuple(
                        language.text(generator, rng.randint(1, 2))
                        for _ in range(rng.randint(8, 18))
                    ),
                    kind=kind,
                )
            )
    return documents


@dataclass(frozen=True)
class Query:
    text: str
    locale: str


def make_queries(documents: Sequence[SearchDocument], count: int, seed: int) -> list[Query]:
    rng = random.Random(seed + 1)
    queries: list[Query] = []
    for _ in range(count):
        document = rng.choice(documents)
        words = (document.title + " " + " ".join(document.keywords)).split()
        if document.locale == "zh":
            words = [document.title[i : i + 2] for i in range(0, len(document.title), 2)]
        picked = rng.sample(words, min(len(words), rng.randint(2, 6)))
        queries.append(Query(_as_typed(picked, document, rng), _person_locale(document, rng)))
    return queries


def _as_typed(words: list[str], document: SearchDocument, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        words[rng.randrange(len(words))] = _typo(rng.choice(words), rng)
    elif roll < 0.35:
        words.append(rng.choice(DESK_TERMS))
    elif roll < 0.45 and document.locale not in ("fr", "en", "ro", "ff"):
        words = [unidecode(word).lower() for word in words]
    elif roll < 0.50:
        words.append("115")
    elif roll < 0.55:
        words = (words * 8)[:40]
    text = ("" if document.locale == "zh" else " ").join(words)
    if rng.random() < 0.5:
        text = unidecode(text) if document.locale in ("fr", "ro") else text.lower()
    return text


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    position = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap":
        return word[: position - 1] + word[position] + word[position - 1] + word[position + 1 :]
    if kind == "drop":
        return word[:position] + word[position + 1 :]
    return word[:position] + word[position] + word[position:]


def _person_locale(document: SearchDocument, rng: random.Random) -> str:
    # One person in ten types in another language than the one they chose.
    return rng.choice(LOCALES) if rng.random() < 0.1 else document.locale


def _rss_mb() -> tuple[float, float]:
    """Current and peak resident memory, from /proc when available."""
    status = Path("/proc/self/status")
    if status.is_file():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak, peak


def _search_allocations(index: SearchIndex, queries: Sequence[Query]) -> int:
    """Peak of memory allocated by searches (traced apart: tracing slows every query down)."""
    tracemalloc.start()
    for query in queries[:500]:
        index.search(query.text, query.locale, limit=3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def run(entries: int = 5000, queries: int = 3000, seed: int = 7) -> dict[str, float | int]:
    documents = make_documents(entries, LOCALES, seed)
    questions = make_queries(documents, queries, seed)
    gc.collect()
    rss_before, _ = _rss_mb()

    started = time.perf_counter()
    index = SearchIndex.build(documents)
    build_seconds = time.perf_counter() - started
    rss_after, rss_peak = _rss_mb()

    for query in questions[: min(100, len(questions))]:  # warm the caches a server keeps warm
        index.search(query.text, query.locale)
    # A server freezes what it loaded at start, so the collector's rounds skip the index.
    gc.freeze()
    latencies: list[float] = []
    empty = 0
    for query in questions:
        started = time.perf_counter()
        hits = index.search(query.text, query.locale, limit=3)
        latencies.append((time.perf_counter() - started) * 1000)
        empty += not hits
    search_peak = _search_allocations(index, questions)
    gc.unfreeze()

    timings = np.asarray(latencies)
    return {
        "entries": entries,
        "locales": len(LOCALES),
        "documents": len(index),
        "queries": len(questions),
        "build_s": round(build_seconds, 2),
        "p50_ms": round(float(np.percentile(timings, 50)), 3),
        "p90_ms": round(float(np.percentile(timings, 90)), 3),
        "p99_ms": round(float(np.percentile(timings, 99)), 3),
        "max_ms": round(float(timings.max()), 3),
        "empty_results": empty,
        "rss_mb": round(rss_after, 1),
        "rss_peak_mb": round(rss_peak, 1),
        "index_rss_mb": round(rss_after - rss_before, 1),
        "search_tracemalloc_peak_mb": round(search_peak / 2**20, 2),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.entries, args.queries, args.seed)))


if __name__ == "__main__":
    main()
