"""`passerelle kb eval` prints the crisis figures beside the search figures."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from bot.cli_search import eval_command
from knowledge.search import CONTENT_DIR

QUESTIONS = Path(__file__).resolve().parents[1] / "data" / "questions.yaml"


def test_eval_reports_crisis_recall_and_false_alarms_per_locale() -> None:
    runner = CliRunner()
    result = runner.invoke(eval_command, [str(QUESTIONS), "--content", str(CONTENT_DIR)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    crisis = lines.index(next(line for line in lines if line.startswith("crisis")))
    assert "recall" in lines[crisis] and "false" in lines[crisis]
    table = lines[crisis + 1 : crisis + 13]
    assert [line.split()[0] for line in table] == sorted(
        ["fr", "en", "ar", "fa", "ps", "ti", "bn", "ur", "ff", "ro", "zh", "uk"]
    )
    assert "targets: crisis recall ≥ 98%, every locale ≥ 95%, false alarms ≤ 2%: met" in lines

    report = json.loads(
        runner.invoke(
            eval_command, [str(QUESTIONS), "--content", str(CONTENT_DIR), "--json"]
        ).output
    )
    assert report["crisis"]["meets_targets"] is True
    assert report["crisis"]["overall"]["recall"] >= 0.98


def test_eval_on_other_crisis_messages_shows_the_slips(tmp_path: Path) -> None:
    messages = tmp_path / "crisis.yaml"
    messages.write_text(
        "messages:\n"
        "  - {lang: en, kind: suicide, text: 'i feel a bit blue today'}\n"
        "  - {lang: en, kind: none, text: 'where can i sleep tonight'}\n",
        encoding="utf-8",
    )
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        "questions:\n  - {lang: en, q: where can i sleep tonight, slugs: [housing-115]}\n",
        encoding="utf-8",
    )
    args = [str(questions), "--content", str(CONTENT_DIR), "--crisis", str(messages)]
    result = CliRunner().invoke(eval_command, [*args, "--misses"])
    assert result.exit_code == 0, result.output
    assert "< target" in result.output
    assert "- [en] i feel a bit blue today\n    expected suicide; got none" in result.output
    assert CliRunner().invoke(eval_command, [*args, "--strict"]).exit_code == 1

    messages.write_text("messages:\n  - {lang: en, kind: sadness, text: x}\n", encoding="utf-8")
    broken = CliRunner().invoke(eval_command, args)
    assert broken.exit_code == 1 and "unknown kind 'sadness'" in broken.output
