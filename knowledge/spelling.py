"""Known words close to a misspelt one: "travial" → "travail", "nafigo" → "navigo".

Similarity is rapidfuzz's optimal string alignment (a swapped pair of letters is
one typo). Comparing a word with a whole vocabulary is too slow for a chat reply
once the knowledge base is large, so candidates are first narrowed to words of a
close length that begin or end with the same two letters as the typed word (three
letters where two are too common, like the article "ال"). One typo leaves one end
intact in any word of four letters or more, and so do two typos unless one falls
at each end: most misspellings are kept, for a few hundred comparisons instead of
the whole vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

__all__ = ["NearWords"]

#: Above this many words, a bucket is narrowed to the words sharing three letters.
_CROWDED = 400


class NearWords:
    def __init__(self, words: Iterable[str], *, cutoff: float, limit: int) -> None:
        """`cutoff`: least similarity (0-1) kept; `limit`: most words returned."""
        self._cutoff = cutoff
        self._limit = limit
        # Keyed "7<tr" (7 letters, beginning "tr") and "7>il" (ending "il"): one string per key.
        buckets: dict[str, list[str]] = {}
        for word in dict.fromkeys(words):
            if len(word) >= 2:
                for key in _ends(word, 2):
                    buckets.setdefault(key, []).append(word)
        for key, bucket in list(buckets.items()):
            if len(bucket) > _CROWDED:
                side = 0 if "<" in key else 1  # words are letters only: the marker is unique
                for word in bucket:
                    buckets.setdefault(_ends(word, 3)[side], []).append(word)
        # Tuples of strings, unlike lists, drop out of the garbage collector's rounds.
        self._buckets = {key: tuple(bucket) for key, bucket in buckets.items()}

    def near(self, word: str) -> list[tuple[str, float]]:
        """Known words within the cutoff, most similar first (ties by word)."""
        if len(word) < 2:
            return []
        best: dict[str, float] = {}
        for choices in self._candidates(word):
            for choice, score, _ in process.extract(
                word,
                choices,
                scorer=OSA.normalized_similarity,
                limit=self._limit,
                score_cutoff=self._cutoff,
            ):
                best[choice] = max(best.get(choice, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return ranked[: self._limit]

    def _candidates(self, word: str) -> list[tuple[str, ...]]:
        lists: list[tuple[str, ...]] = []
        for length in self._lengths(len(word)):
            for short, narrow in zip(_ends(word, 2, length), _ends(word, 3, length), strict=True):
                bucket = self._buckets.get(short, ())
                if len(bucket) > _CROWDED and len(word) > 4:
                    bucket = self._buckets.get(narrow, ())
                if bucket:
                    lists.append(bucket)
        return lists

    def _lengths(self, length: int) -> list[int]:
        # A length difference of d costs at least d edits, out of the longer word's length.
        allowed = 1.0 - self._cutoff
        return [
            other
            for other in range(max(2, length - 2), length + 3)
            if abs(other - length) <= allowed * max(length, other)
        ]


def _ends(word: str, size: int, length: int | None = None) -> tuple[str, str]:
    """Bucket keys of the words of `length` (default: the word's) with the same ends."""
    prefix = str(len(word) if length is None else length)
    return f"{prefix}<{word[:size]}", f"{prefix}>{word[-size:]}"
