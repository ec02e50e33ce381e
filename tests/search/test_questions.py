"""The search against the questions people really type, on the bundled content."""

from __future__ import annotations

from pathlib import Path

from knowledge.evaluation import (
    TARGET_LOCALE_TOP3,
    TARGET_TOP1,
    TARGET_TOP3,
    evaluate,
    load_questions,
)
from knowledge.search import SearchIndex, load_bundled_documents

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "questions.yaml"


def test_questions_meet_the_targets() -> None:
    report = evaluate(SearchIndex.build(load_bundled_documents()), load_questions(QUESTIONS))
    weak = {
        locale: round(accuracy.top3_rate, 3)
        for locale, accuracy in report.by_locale.items()
        if accuracy.top3_rate < TARGET_LOCALE_TOP3
    }
    assert report.overall.top1_rate >= TARGET_TOP1, report.to_dict()["overall"]
    assert report.overall.top3_rate >= TARGET_TOP3, report.to_dict()["overall"]
    assert not weak, f"locales under {TARGET_LOCALE_TOP3:.0%} top-3: {weak}"


def test_the_questions_file_covers_every_locale_with_known_slugs() -> None:
    questions = load_questions(QUESTIONS)
    assert len(questions) >= 150
    assert {q.locale for q in questions} == {
        "fr", "en", "ar", "fa", "ps", "ti", "bn", "ur", "ff", "ro", "zh", "uk",
    }  # fmt: skip
    slugs = {document.slug for document in load_bundled_documents()}
    unknown = {slug for q in questions for slug in q.slugs if slug not in slugs}
    assert not unknown, f"questions name entries that do not exist: {sorted(unknown)}"
