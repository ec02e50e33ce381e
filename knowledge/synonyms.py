"""Everyday words for what the content names otherwise ("taf" for travail, "papiers" for titre).

The groups live in `knowledge/synonyms.yaml`. A query containing one member of
a group also searches the other members, with a lower weight than the words
the person typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from knowledge.normalize import tokenize

__all__ = ["SYNONYMS_FILE", "Synonyms"]

SYNONYMS_FILE = Path(__file__).with_name("synonyms.yaml")

Phrase = tuple[str, ...]


class Synonyms:
    """Groups of equivalent phrases, each already tokenised and folded."""

    def __init__(self, groups: Iterable[Iterable[str]]) -> None:
        folded: list[tuple[Phrase, ...]] = []
        for group in groups:
            phrases = tuple(dict.fromkeys(p for p in (tuple(tokenize(m)) for m in group) if p))
            if len(phrases) > 1:
                folded.append(phrases)
        self.groups: tuple[tuple[Phrase, ...], ...] = tuple(folded)
        # Looked up by a phrase's first token, so a query only checks the phrases it may hold.
        self._starting_with: dict[str, list[tuple[int, Phrase]]] = {}
        for number, members in enumerate(self.groups):
            for phrase in members:
                self._starting_with.setdefault(phrase[0], []).append((number, phrase))

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> Synonyms:
        """Read `groups:` (a list, or lists per language) from a YAML file."""
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        groups = data.get("groups", [])
        if isinstance(groups, dict):
            groups = [group for language_groups in groups.values() for group in language_groups]
        return cls(groups)

    def expand(self, tokens: Sequence[str]) -> list[Phrase]:
        """The phrases to search besides `tokens`: the other members of each group they hit."""
        present: set[Phrase] = set()
        hit_groups: dict[int, None] = {}
        for position, token in enumerate(tokens):
            for number, phrase in self._starting_with.get(token, ()):
                if tuple(tokens[position : position + len(phrase)]) == phrase:
                    present.add(phrase)
                    hit_groups[number] = None
        extra: dict[Phrase, None] = {}
        for number in hit_groups:
            extra.update((phrase, None) for phrase in self.groups[number] if phrase not in present)
        return list(extra)
