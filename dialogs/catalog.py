"""Every dialog Passerelle has, in one registry: the main menu is built from it."""

from __future__ import annotations

from dialogs import core
from dialogs.framework import Registry


def build_registry() -> Registry:
    registry = Registry()
    for dialog in core.DIALOGS:
        registry.add(dialog)
    return registry
