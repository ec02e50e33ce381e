"""Workspace fixtures: a served app per module, and Chromium when the machine has it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.workspace.live import CHROMIUM_ARGS, chromium_path


@pytest.fixture(scope="module")
def module_database(template_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the migrated, loaded database for the module's served app."""
    target = tmp_path_factory.mktemp("workspace") / "passerelle.db"
    shutil.copyfile(template_database, target)
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium from the distribution, one per module; skipped where there is none."""
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium on this machine (apt-get install -y chromium; .ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
