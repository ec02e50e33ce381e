"""How well the danger check does: crisis recall and false alarms, overall and per locale.

A messages file holds `messages: [{lang, kind, text}, ...]`: `kind` is the danger the
message describes (`knowledge.danger.Kind`), or `none` for an ordinary message or an
idiom that must not fire. The project's set is cut in two (`knowledge/danger/eval/`):
`tune.yaml` may be read to improve the danger files, `heldout.yaml` only measures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.danger import DANGER_DIR, Detector, Kind, Level

__all__ = [
    "HELDOUT",
    "TARGET_FALSE_ALARMS",
    "TARGET_LOCALE_RECALL",
    "TARGET_RECALL",
    "TUNE",
    "DangerReport",
    "Message",
    "MessagesError",
    "evaluate_danger",
    "load_messages",
]

TUNE = DANGER_DIR / "eval" / "tune.yaml"
HELDOUT = DANGER_DIR / "eval" / "heldout.yaml"

#: Share of crisis messages answered with the crisis card, overall and in every locale.
TARGET_RECALL = 0.98
TARGET_LOCALE_RECALL = 0.95
#: Share of ordinary messages answered with the crisis card instead of their answer.
TARGET_FALSE_ALARMS = 0.02

NONE = "none"


class MessagesError(ValueError):
    """A messages file without the expected shape; the text names the file and item."""


@dataclass(frozen=True)
class Message:
    locale: str
    text: str
    #: The kind of danger described, or None for an ordinary message.
    kind: Kind | None


def load_messages(path: Path) -> list[Message]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise MessagesError(f"{path}: not valid YAML: {error}") from error
    items = data.get("messages") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MessagesError(f"{path}: expected a top-level 'messages:' list")
    messages: list[Message] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not {"lang", "kind", "text"} <= item.keys():
            raise MessagesError(f"{path}: message {number} needs lang, kind and text")
        raw = str(item["kind"])
        try:
            kind = None if raw == NONE else Kind(raw)
        except ValueError:
            raise MessagesError(f"{path}: message {number}: unknown kind {raw!r}") from None
        messages.append(Message(locale=str(item["lang"]), text=str(item["text"]), kind=kind))
    return messages


@dataclass(frozen=True)
class Figures:
    crisis: int
    #: Crisis messages answered with the crisis card.
    caught: int
    #: Crisis messages where the bot only asked "Are you in danger now?".
    asked: int
    ordinary: int
    #: Ordinary messages answered with the crisis card.
    false_alarms: int
    #: Ordinary messages where the bot asked first.
    ordinary_asked: int

    @property
    def recall(self) -> float:
        return self.caught / self.crisis if self.crisis else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.ordinary if self.ordinary else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "crisis": self.crisis,
            "recall": round(self.recall, 4),
            "asked": self.asked,
            "ordinary": self.ordinary,
            "false_alarms": round(self.false_alarm_rate, 4),
            "ordinary_asked": self.ordinary_asked,
        }


@dataclass(frozen=True)
class Slip:
    """A crisis message not answered with the card, or an ordinary one that was."""

    message: Message
    level: Level


@dataclass(frozen=True)
class DangerReport:
    overall: Figures
    by_locale: Mapping[str, Figures]
    slips: tuple[Slip, ...]

    def meets_targets(self) -> bool:
        return (
            self.overall.recall >= TARGET_RECALL
            and self.overall.false_alarm_rate <= TARGET_FALSE_ALARMS
            and all(f.recall >= TARGET_LOCALE_RECALL for f in self.by_locale.values())
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "overall": self.overall.to_dict(),
            "locales": {locale: f.to_dict() for locale, f in self.by_locale.items()},
            "meets_targets": self.meets_targets(),
            "slips": [
                {
                    "lang": slip.message.locale,
                    "text": slip.message.text,
                    "expected": slip.message.kind.value if slip.message.kind else NONE,
                    "got": slip.level.value,
                }
                for slip in self.slips
            ],
        }


def evaluate_danger(detector: Detector, messages: Iterable[Message]) -> DangerReport:
    outcomes = [(message, detector.check(message.text).level) for message in messages]
    by_locale: dict[str, list[tuple[Message, Level]]] = {}
    for outcome in outcomes:
        by_locale.setdefault(outcome[0].locale, []).append(outcome)
    slips = tuple(
        Slip(message, level)
        for message, level in outcomes
        if (message.kind is not None) != (level is Level.CRISIS)
    )
    return DangerReport(
        overall=_figures(outcomes),
        by_locale={locale: _figures(group) for locale, group in sorted(by_locale.items())},
        slips=slips,
    )


def _figures(outcomes: Sequence[tuple[Message, Level]]) -> Figures:
    crisis = [level for message, level in outcomes if message.kind is not None]
    ordinary = [level for message, level in outcomes if message.kind is None]
    return Figures(
        crisis=len(crisis),
        caught=crisis.count(Level.CRISIS),
        asked=crisis.count(Level.UNSURE),
        ordinary=len(ordinary),
        false_alarms=ordinary.count(Level.CRISIS),
        ordinary_asked=ordinary.count(Level.UNSURE),
    )
