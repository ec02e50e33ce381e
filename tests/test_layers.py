"""Imports point inward: dialogs/ and knowledge/ know no platform and nothing of bot/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_EVERYWHERE_BUT_CHANNELS = {"telegram", "httpx", "aiohttp", "pywa"}
FORBIDDEN_IN_CORE = {
    "bot",
    "starlette",
    "uvicorn",
    "click",
    "rich",
} | FORBIDDEN_EVERYWHERE_BUT_CHANNELS


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", ["dialogs", "knowledge"])
def test_core_packages_import_no_platform_and_not_the_runtime(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN_IN_CORE)
        for path in (ROOT / package).rglob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_only_channel_modules_import_a_platform() -> None:
    channel_dir = ROOT / "bot" / "channels"
    offenders = {}
    for path in (ROOT / "bot").rglob("*.py"):
        if path.parent == channel_dir:
            continue
        found = imported_roots(path) & {"telegram", "pywa"}
        if found:
            offenders[str(path.relative_to(ROOT))] = sorted(found)
    assert not offenders
