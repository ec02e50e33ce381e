"""How well the search answers real questions: top-1 and top-3 accuracy, overall and per locale.

A questions file holds `questions: [{lang, q, slugs: [...]}, ...]`, each question
written as people type it, with the entries that are an acceptable answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from knowledge.search import SearchHit

__all__ = [
    "TARGET_LOCALE_TOP3",
    "TARGET_TOP1",
    "TARGET_TOP3",
    "Accuracy",
    "EvaluationReport",
    "Miss",
    "Question",
    "evaluate",
    "load_questions",
]

TARGET_TOP1 = 0.85
TARGET_TOP3 = 0.95
#: No locale may fall below this, whatever the overall figure.
TARGET_LOCALE_TOP3 = 0.80


class Searcher(Protocol):
    @property
    def slugs(self) -> tuple[str, ...]: ...

    def search(self, query: str, locale: str, limit: int = 3) -> list[SearchHit]: ...


@dataclass(frozen=True)
class Question:
    locale: str
    text: str
    slugs: tuple[str, ...]


class QuestionsError(ValueError):
    """A questions file that does not have the expected shape."""


def load_questions(path: Path) -> list[Question]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = data.get("questions") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise QuestionsError(f"{path}: expected a top-level 'questions:' list")
    questions: list[Question] = []
    for number, item in enumerate(items, start=1):
        try:
            questions.append(
                Question(
                    locale=str(item["lang"]),
                    text=str(item["q"]),
                    slugs=tuple(str(slug) for slug in item["slugs"]),
                )
            )
        except (KeyError, TypeError) as error:
            raise QuestionsError(f"{path}: question {number} needs lang, q and slugs") from error
    return questions


@dataclass(frozen=True)
class Accuracy:
    questions: int
    top1: int
    top3: int

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.questions if self.questions else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.questions if self.questions else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "questions": self.questions,
            "top1": round(self.top1_rate, 4),
            "top3": round(self.top3_rate, 4),
        }


@dataclass(frozen=True)
class Miss:
    """A question whose acceptable entries were not in the first three results."""

    question: Question
    found: tuple[str, ...]
    #: False when no acceptable entry is in the index: the content is missing, not the search.
    answerable: bool


@dataclass(frozen=True)
class EvaluationReport:
    overall: Accuracy
    by_locale: Mapping[str, Accuracy]
    misses: tuple[Miss, ...]

    def meets_targets(self) -> bool:
        return (
            self.overall.top1_rate >= TARGET_TOP1
            and self.overall.top3_rate >= TARGET_TOP3
            and all(score.top3_rate >= TARGET_LOCALE_TOP3 for score in self.by_locale.values())
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.to_dict(),
            "locales": {locale: score.to_dict() for locale, score in self.by_locale.items()},
            "meets_targets": self.meets_targets(),
            "misses": [
                {
                    "lang": miss.question.locale,
                    "q": miss.question.text,
                    "expected": list(miss.question.slugs),
                    "found": list(miss.found),
                    "answerable": miss.answerable,
                }
                for miss in self.misses
            ],
        }


@dataclass(frozen=True)
class _Outcome:
    question: Question
    found: tuple[str, ...]

    @property
    def top1(self) -> bool:
        return bool(self.found) and self.found[0] in self.question.slugs

    @property
    def top3(self) -> bool:
        return any(slug in self.question.slugs for slug in self.found[:3])


def evaluate(searcher: Searcher, questions: Iterable[Question]) -> EvaluationReport:
    """Search every question in its own locale and count where an acceptable entry came."""
    known = set(searcher.slugs)
    outcomes = [
        _Outcome(q, tuple(hit.slug for hit in searcher.search(q.text, q.locale, limit=3)))
        for q in questions
    ]
    by_locale: dict[str, list[_Outcome]] = {}
    for outcome in outcomes:
        by_locale.setdefault(outcome.question.locale, []).append(outcome)
    misses = tuple(
        Miss(o.question, o.found, answerable=any(s in known for s in o.question.slugs))
        for o in outcomes
        if not o.top3
    )
    return EvaluationReport(
        overall=_accuracy(outcomes),
        by_locale={locale: _accuracy(group) for locale, group in sorted(by_locale.items())},
        misses=misses,
    )


def _accuracy(outcomes: Sequence[_Outcome]) -> Accuracy:
    return Accuracy(
        questions=len(outcomes),
        top1=sum(o.top1 for o in outcomes),
        top3=sum(o.top3 for o in outcomes),
    )
