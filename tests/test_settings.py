"""A wrong setting stops the start with one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    args: list[str], env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PASSERELLE_DATABASE_URL", "mysql://x", "PASSERELLE_DATABASE_URL"),
        ("PASSERELLE_LOG_LEVEL", "LOUD", "PASSERELLE_LOG_LEVEL"),
        ("PASSERELLE_TELEGRAM_TOKEN", "not a token", "PASSERELLE_TELEGRAM_TOKEN"),
        ("PASSERELLE_BOOKING_RETENTION_DAYS", "-3", "PASSERELLE_BOOKING_RETENTION_DAYS"),
    ],
)
def test_wrong_setting_is_one_clear_line(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    result = run_cli(["chat"], {name: value}, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0]
    assert "expected" in lines[0]


def test_dotenv_file_is_honoured(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PASSERELLE_LOG_LEVEL=nonsense\n", encoding="utf-8")
    result = run_cli(["chat"], {}, tmp_path)
    assert result.returncode == 2 and "PASSERELLE_LOG_LEVEL" in result.stderr


def test_default_database_is_created_under_var(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "passerelle.db").exists()
