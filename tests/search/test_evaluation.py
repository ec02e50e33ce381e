"""The evaluation counts top-1 and top-3 the way the targets mean them."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.evaluation import (
    Accuracy,
    EvaluationReport,
    Question,
    QuestionsError,
    evaluate,
    load_questions,
)
from knowledge.search import SearchHit


class CannedSearch:
    """Answers each query with fixed slugs, best first."""

    def __init__(self, answers: dict[str, list[str]], slugs: tuple[str, ...]) -> None:
        self.answers = answers
        self.slugs = slugs
        self.asked: list[tuple[str, str, int]] = []

    def search(self, query: str, locale: str, limit: int = 3) -> list[SearchHit]:
        self.asked.append((query, locale, limit))
        found = self.answers.get(query, [])[:limit]
        return [SearchHit(slug, 1.0 / (rank + 1)) for rank, slug in enumerate(found)]


QUESTIONS = [
    Question("fr", "first", ("a",)),  # top-1
    Question("fr", "second", ("b", "z")),  # top-3 only (an acceptable slug at rank 2)
    Question("fr", "missed", ("c",)),  # not in the first three
    Question("en", "fourth", ("d",)),  # top-3 at rank 3
    Question("en", "nothing", ("e",)),  # no answer, and no such entry
]
SEARCH = {
    "first": ["a", "b", "c"],
    "second": ["a", "z", "b"],
    "missed": ["a", "b", "d", "c"],
    "fourth": ["a", "b", "d"],
}


def test_counts_overall_and_per_locale() -> None:
    search = CannedSearch(SEARCH, slugs=("a", "b", "c", "d", "z"))
    report = evaluate(search, QUESTIONS)
    assert report.overall == Accuracy(questions=5, top1=1, top3=3)
    assert report.by_locale == {
        "en": Accuracy(questions=2, top1=0, top3=1),
        "fr": Accuracy(questions=3, top1=1, top3=2),
    }
    assert [(q, locale) for q, locale, _ in search.asked] == [(q.text, q.locale) for q in QUESTIONS]
    assert all(limit == 3 for _, _, limit in search.asked)


def test_misses_say_whether_the_entry_exists() -> None:
    report = evaluate(CannedSearch(SEARCH, slugs=("a", "b", "c", "d", "z")), QUESTIONS)
    assert [(m.question.text, m.found, m.answerable) for m in report.misses] == [
        ("missed", ("a", "b", "d"), True),
        ("nothing", (), False),
    ]


def test_rates_and_targets() -> None:
    accuracy = Accuracy(questions=20, top1=17, top3=19)
    assert accuracy.top1_rate == 0.85
    assert accuracy.top3_rate == 0.95
    assert Accuracy(questions=0, top1=0, top3=0).top3_rate == 0.0
    good = EvaluationReport(accuracy, {"fr": accuracy, "en": Accuracy(5, 4, 4)}, ())
    assert good.meets_targets()
    weak_locale = EvaluationReport(accuracy, {"fr": accuracy, "en": Accuracy(5, 3, 3)}, ())
    assert not weak_locale.meets_targets()
    weak_top1 = EvaluationReport(Accuracy(20, 16, 20), {"fr": Accuracy(20, 16, 20)}, ())
    assert not weak_top1.meets_targets()


def test_report_as_json_data() -> None:
    report = evaluate(CannedSearch(SEARCH, slugs=("a",)), QUESTIONS[:1])
    assert report.to_dict() == {
        "overall": {"questions": 1, "top1": 1.0, "top3": 1.0},
        "locales": {"fr": {"questions": 1, "top1": 1.0, "top3": 1.0}},
        "meets_targets": True,
        "misses": [],
    }


def test_load_questions(tmp_path: Path) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(
        'questions:\n  - lang: ar\n    q: "وين انام"\n    slugs: [housing-115]\n',
        encoding="utf-8",
    )
    assert load_questions(path) == [Question("ar", "وين انام", ("housing-115",))]


@pytest.mark.parametrize(
    "text", ["", "questions: nope\n", "- a list\n", "questions:\n  - lang: fr\n    q: x\n"]
)
def test_load_questions_rejects_a_wrong_shape(tmp_path: Path, text: str) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(QuestionsError):
        load_questions(path)
