"""The Telegram benchmark runs end to end at a tiny size (no assertion on times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_prints_one_json_line() -> None:
    command = [
        sys.executable,
        str(ROOT / "benchmarks" / "telegram_bench.py"),
        "--people=3",
        "--actions=3",
        "--warmup-people=1",
        "--warmup-actions=2",
        "--rounds=1",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["updates"] == 9
    assert result["api_errors"] == []
    assert result["passerelle_cpu_ms_per_update"] > 0
    assert result["bare_ptb_cpu_ms_per_update"] > 0
    assert result["ratio"] > 0
