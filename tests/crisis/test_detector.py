"""The danger check on its own: every kind, typos and word order, idioms that must not fire."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.danger import DangerDataError, Kind, Level, bundled_detector, load_detector
from knowledge.locales import DEFAULT_LOCALES


def level(text: str) -> Level:
    return bundled_detector().check(text).level


def test_every_locale_has_strong_phrases_for_every_kind() -> None:
    detector = bundled_detector()
    assert set(detector.locales) == set(DEFAULT_LOCALES)
    for locale in DEFAULT_LOCALES:
        kinds = {p.kind for p in detector.phrases if p.locale == locale and p.weight >= 1}
        assert kinds == set(Kind), f"{locale} lacks {set(Kind) - kinds}"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("je veux me suicider", Kind.SUICIDE),
        ("jveux me suicidé", Kind.SUICIDE),  # typo, no accent
        ("I want to kill myself", Kind.SUICIDE),
        ("mon mari me frappe", Kind.VIOLENCE),
        ("me frappe mon mari tous les soirs", Kind.VIOLENCE),  # word order
        ("شوهرم منو میزنه", Kind.VIOLENCE),
        ("shoharam mano mizane", Kind.VIOLENCE),  # Finglish
        ("my friend is bleeding a lot and unconscious", Kind.MEDICAL),
        ("mon ami saigne bcp il est inconcient", Kind.MEDICAL),  # typo
        ("la police ma arreter", Kind.DETENTION),
        ("ils ont pris mon passeport et je travaille sans etre payé", Kind.EXPLOITATION),
        ("someone is following me", Kind.DANGER),
        ("mera shohar mujhe marta hai", Kind.VIOLENCE),  # Roman Urdu
        ("bade mout", Kind.SUICIDE),  # Arabizi
        ("আমি আত্মহত্যা করব", Kind.SUICIDE),
        ("我不想活了", Kind.SUICIDE),
        ("ክሞት ደልየ", Kind.SUICIDE),
        ("мене затримала поліція", Kind.DETENTION),
        ("copilul meu a disparut", Kind.CHILD),
        ("biyam majjii", Kind.CHILD),
        ("ماشوم مې ورک دی", Kind.CHILD),
    ],
)
def test_crisis_messages_are_recognised(text: str, kind: Kind) -> None:
    found = bundled_detector().check(text)
    assert found.level is Level.CRISIS and found.kind is kind, found


@pytest.mark.parametrize(
    "text",
    [
        "je suis mort de fatigue",
        "mort de rire",
        "dying to learn French",
        "this queue is killing me",
        "I am dead tired after the prefecture",
        "je ne suis pas en danger, je cherche un cours",
        "je suis a l arret de bus",
        "comment avoir une adresse pour recevoir mon courrier",  # "adresse" is no typo of "agresse"
        "ou manger ce soir",  # nor "manger" of "danger"
        "la banque veut pas mouvrir de compte",
        "笑死我了",
        "今天累死了",
        "میمیرم برات",
        "mor de ras",
        "ميت من التعب",
        "where can I sleep tonight",
        "je cherche un cours de francais",
    ],
)
def test_idioms_and_ordinary_messages_do_not_fire(text: str) -> None:
    assert level(text) is Level.NONE


def test_one_weak_signal_makes_the_check_unsure_and_two_a_crisis() -> None:
    assert level("j'ai peur de mourir") is Level.UNSURE
    assert level("la police") is Level.UNSURE
    # One word listed in several locales is one signal, not several.
    assert level("police police") is Level.UNSURE


def test_the_language_of_the_phrases_found_comes_first() -> None:
    assert bundled_detector().check("je veux me suicider").locales[0] == "fr"
    assert bundled_detector().check("mikham bemiram").locales[0] == "fa"
    assert bundled_detector().check("ክሞት ደልየ").locales[0] == "ti"


def test_a_broken_danger_file_names_itself(tmp_path: Path) -> None:
    (tmp_path / "xx.yaml").write_text("kinds:\n  sadness:\n    strong: [a]\n", encoding="utf-8")
    with pytest.raises(DangerDataError, match=r"xx\.yaml.*unknown kind 'sadness'"):
        load_detector(tmp_path, content=None)
    (tmp_path / "xx.yaml").write_text("kinds:\n  suicide:\n    strong: oops\n", encoding="utf-8")
    with pytest.raises(DangerDataError, match=r"xx\.yaml: suicide.strong: expected a list"):
        load_detector(tmp_path, content=None)
