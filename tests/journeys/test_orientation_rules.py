"""Every branch of the EIF-FEL rule table, and the table's own validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.orientation import QUESTIONS, Answers, RulesError, load_rules, recommend

RULES = load_rules()

#: One person per rule: answers for which that rule (and what it recommends) must apply.
CASES: dict[str, tuple[dict[str, str], set[str]]] = {
    "cannot-read-write": ({"literacy": "unable"}, {"literacy", "cma-fof"}),
    "reads-a-little": ({"literacy": "little"}, {"post-literacy", "cma-foa"}),
    "little-schooling": ({"literacy": "well", "schooling": "primary"}, {"cma-foa"}),
    "beginner": ({"literacy": "well", "french": "words"}, {"fle-a1", "cma-fle"}),
    "elementary": ({"literacy": "little", "french": "simple"}, {"fle-a2", "cma-fle"}),
    "intermediate": ({"french": "conversation"}, {"fle-b1"}),
    "daily-life": ({"goal": "daily", "french": "none"}, {"asl"}),
    "work-or-training": ({"goal": "training", "french": "fluent"}, {"fle-work"}),
    "papers": ({"goal": "papers"}, {"exam-prep"}),
    "evening-reader": ({"availability": "evening", "literacy": "well"}, {"cma-fle"}),
    "evening-learning-to-read": ({"availability": "evening", "literacy": "unable"}, {"cma-fof"}),
    "daytime-beginner": ({"availability": "day", "french": "simple"}, {"asl"}),
    "in-a-shelter": ({"shelter": "sheltered"}, {"refug"}),
    "ofii-cannot-read": ({"ofii": "signed", "literacy": "unable"}, {"ofii-600h"}),
    "ofii-reader": ({"ofii": "signed", "literacy": "well"}, {"ofii-online"}),
    "ofii-unsure": ({"ofii": "unknown"}, {"maison-refugies"}),
}


def test_every_rule_has_a_case() -> None:
    assert {rule.id for rule in RULES.rules} == set(CASES)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_applies_and_recommends(rule_id: str) -> None:
    answers, expected = CASES[rule_id]
    results = recommend(RULES, Answers(answers))
    by_course = {r.course_id: {rule.id for rule in r.because} for r in results}
    for course in expected:
        assert rule_id in by_course.get(course, set()), (rule_id, course, by_course)


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_does_not_apply_when_a_condition_fails(rule_id: str) -> None:
    rule = next(r for r in RULES.rules if r.id == rule_id)
    question, allowed = next(iter(rule.when.items()))
    other = next(a for a in QUESTIONS[question] if a not in allowed)
    answers, _ = CASES[rule_id]
    assert not rule.applies(Answers({**answers, question: other}))


def test_a_complete_person_gets_literacy_first_with_reasons() -> None:
    answers = Answers(
        literacy="unable",
        schooling="none",
        french="none",
        goal="daily",
        availability="evening",
        shelter="elsewhere",
        ofii="not_signed",
    )
    results = recommend(RULES, answers)
    assert results[0].course_id == "literacy"
    assert all(result.because for result in results)
    assert "fle-a1" not in {r.course_id for r in results}


def test_rules_name_only_known_questions_answers_and_courses(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    text = (Path(__file__).parents[2] / "knowledge" / "orientation.yaml").read_text("utf-8")
    bad.write_text(text.replace("literacy: [unable]", "literacy: [perhaps]", 1), "utf-8")
    with pytest.raises(RulesError, match="unknown answers"):
        load_rules(bad)
    bad.write_text(text.replace("recommend: [refug]", "recommend: [nowhere]"), "utf-8")
    with pytest.raises(RulesError, match="unknown course types"):
        load_rules(bad)
    bad.write_text("rules: [", "utf-8")
    with pytest.raises(RulesError, match=r"rules\.yaml:\d+"):
        load_rules(bad)
