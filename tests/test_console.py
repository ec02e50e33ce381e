"""Golden transcripts through the terminal channel, run as a person would: piped into the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def database(tmp_path: Path, template_database: Path) -> Path:
    """A copy of the loaded template: the CLI starts without importing the content again."""
    target = tmp_path / "chat.db"
    shutil.copyfile(template_database, target)
    return target


def chat(tmp_path: Path, lines: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env["PASSERELLE_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        # Pick French, see the menu, then change to English with /language.
        ("language_fr", ["1", "/language", "2"]),
        # Pick Arabic (right to left), ask for help, then change to French.
        ("language_ar", ["3", "/help", "/language", "2"]),
    ],
)
def test_golden_language_choice(
    tmp_path: Path, database: Path, name: str, lines: list[str]
) -> None:
    result = chat(tmp_path, lines)
    assert result.returncode == 0, result.stderr
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_lang_option_starts_in_that_language(tmp_path: Path, database: Path) -> None:
    result = chat(tmp_path, [], "--lang", "fa")
    assert result.returncode == 0, result.stderr
    assert "فارسی" in result.stdout
    assert "Choose your language" not in result.stdout, "the language is chosen already"


def test_unknown_lang_option_is_refused(tmp_path: Path, database: Path) -> None:
    result = chat(tmp_path, [], "--lang", "xx")
    assert result.returncode != 0
    assert "--lang" in result.stderr


def test_garbage_input_never_crashes(tmp_path: Path, database: Path) -> None:
    lines = ["1", "", "999", "/", "/start " + "x" * 500, "\u202e\u2066", "🙂" * 300, "/back", "0"]
    result = chat(tmp_path, lines)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
