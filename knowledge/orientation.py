"""EIF-FEL orientation: the rules that map a person's answers to the course types that fit.

The rules are data (`orientation.yaml`) that agents change without code; this
module only validates them and applies them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from knowledge.schema import SOURCE_LOCALE, Source

RULES_FILE = Path(__file__).resolve().parent / "orientation.yaml"

#: The questionnaire: each question and the answers the dialog offers, in order.
QUESTIONS: dict[str, tuple[str, ...]] = {
    "literacy": ("well", "little", "unable"),
    "schooling": ("none", "primary", "secondary", "higher"),
    "french": ("none", "words", "simple", "conversation", "fluent"),
    "goal": ("daily", "work", "training", "papers"),
    "availability": ("day", "evening", "weekend", "any"),
    "shelter": ("sheltered", "elsewhere"),
    "ofii": ("signed", "not_signed", "unknown"),
}

Localized = dict[str, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _has_source_locale(texts: Localized, what: str) -> None:
    if SOURCE_LOCALE not in texts or "en" not in texts:
        raise ValueError(f"{what} needs at least a French and an English text")


class CourseType(_Strict):
    title: Localized
    description: Localized

    @model_validator(mode="after")
    def _texts(self) -> CourseType:
        _has_source_locale(self.title, "title")
        _has_source_locale(self.description, "description")
        return self


class Rule(_Strict):
    id: str
    #: Every listed question must have one of the listed answers; an empty `when` always applies.
    when: dict[str, list[str]] = Field(default_factory=dict)
    recommend: list[str] = Field(min_length=1)
    reason: Localized

    @model_validator(mode="after")
    def _known_answers(self) -> Rule:
        for question, answers in self.when.items():
            if question not in QUESTIONS:
                raise ValueError(f"rule {self.id!r}: unknown question {question!r}")
            unknown = set(answers) - set(QUESTIONS[question])
            if unknown:
                raise ValueError(f"rule {self.id!r}: unknown answers {sorted(unknown)}")
        _has_source_locale(self.reason, f"rule {self.id!r} reason")
        return self

    def applies(self, answers: Answers) -> bool:
        return all(answers.get(question) in allowed for question, allowed in self.when.items())


class OrientationRules(_Strict):
    sources: list[Source] = Field(min_length=1)
    review_due: dt.date
    #: Arrondissements where evaluation permanences were reported (see the EIF-FEL entry).
    evaluation_arrondissements: list[int]
    evaluation_note: Localized
    course_types: dict[str, CourseType]
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_courses(self) -> OrientationRules:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("two rules share an id")
        for rule in self.rules:
            unknown = set(rule.recommend) - set(self.course_types)
            if unknown:
                raise ValueError(f"rule {rule.id!r}: unknown course types {sorted(unknown)}")
        _has_source_locale(self.evaluation_note, "evaluation_note")
        return self

    def last_checked(self) -> dt.date:
        return max(source.checked for source in self.sources)


class Answers(dict[str, str]):
    """A person's answers, question id → answer id."""


@dataclass(frozen=True)
class Recommendation:
    course_id: str
    course: CourseType
    #: The rules that led here, in the table's order: each one is a "why".
    because: tuple[Rule, ...]


class RulesError(ValueError):
    """The rules file is wrong; the message names the file and the problem."""


def load_rules(path: Path = RULES_FILE) -> OrientationRules:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise RulesError(f"{path}{line}: not valid YAML ({error})") from None
    try:
        return OrientationRules.model_validate(raw)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RulesError(f"{path}: {where}: {first['msg']}") from None


def recommend(rules: OrientationRules, answers: Answers) -> list[Recommendation]:
    """Course types that fit, in the order the table first names them, each with its reasons."""
    reasons: dict[str, list[Rule]] = {}
    for rule in rules.rules:
        if rule.applies(answers):
            for course_id in rule.recommend:
                reasons.setdefault(course_id, []).append(rule)
    return [
        Recommendation(course_id, rules.course_types[course_id], tuple(because))
        for course_id, because in reasons.items()
    ]


def localized(texts: Localized, locale: str) -> tuple[str, bool]:
    """The text in `locale`, else French; the flag says whether it fell back."""
    if locale in texts:
        return texts[locale], False
    return texts[SOURCE_LOCALE], True
