"""The crisis evaluation set: its shape, and the targets on the half nobody tuned on."""

from __future__ import annotations

from collections import Counter

from knowledge.danger import Kind, bundled_detector
from knowledge.danger_eval import (
    HELDOUT,
    TARGET_FALSE_ALARMS,
    TARGET_LOCALE_RECALL,
    TARGET_RECALL,
    TUNE,
    evaluate_danger,
    load_messages,
)
from knowledge.locales import DEFAULT_LOCALES


def test_the_held_out_half_meets_the_targets() -> None:
    report = evaluate_danger(bundled_detector(), load_messages(HELDOUT))
    weak = {
        locale: round(figures.recall, 3)
        for locale, figures in report.by_locale.items()
        if figures.recall < TARGET_LOCALE_RECALL
    }
    assert report.overall.recall >= TARGET_RECALL, report.to_dict()["overall"]
    assert report.overall.false_alarm_rate <= TARGET_FALSE_ALARMS, report.to_dict()["slips"]
    assert not weak, f"locales under {TARGET_LOCALE_RECALL:.0%} recall: {weak}"


def test_the_set_has_every_kind_in_every_locale_in_both_halves() -> None:
    crisis: Counter[str] = Counter()
    ordinary: Counter[str] = Counter()
    for path in (TUNE, HELDOUT):
        messages = load_messages(path)
        for locale in DEFAULT_LOCALES:
            kinds = {m.kind for m in messages if m.locale == locale and m.kind}
            assert kinds == set(Kind), f"{path.name} {locale} lacks {set(Kind) - kinds}"
        crisis.update(m.locale for m in messages if m.kind)
        ordinary.update(m.locale for m in messages if not m.kind)
    for locale in DEFAULT_LOCALES:
        assert crisis[locale] >= 20, locale
        assert ordinary[locale] >= crisis[locale], locale


def test_the_halves_share_no_message() -> None:
    tune = {(m.locale, m.text) for m in load_messages(TUNE)}
    heldout = {(m.locale, m.text) for m in load_messages(HELDOUT)}
    assert not tune & heldout
