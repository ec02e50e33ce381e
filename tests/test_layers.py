"""Imports point inward, the whole way down.

`dialogs/`, `knowledge/` and the bookings domain know no platform and nothing of `bot/`;
`dialogs/` and the bookings domain know no database either: they reach storage through
the ports of `dialogs/ports.py`. Imports are followed from module to module inside the
project, so a leak two modules away (dialogs → bookings.store → SQLAlchemy) is caught.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = ("bot", "dialogs", "knowledge", "bookings")
PLATFORMS = {"telegram", "httpx", "aiohttp"}
RUNTIME = {"bot", "starlette", "uvicorn", "click", "rich"}
#: What no core package (dialogs, knowledge, bookings) may import, even for storage.
FORBIDDEN_IN_CORE = PLATFORMS | RUNTIME
DATABASE = {"sqlalchemy", "alembic", "aiosqlite", "asyncpg", "bookings.store", "bookings.models"}
#: Where the knowledge base and the bookings keep their rows: the runtime's side of them.
KNOWLEDGE_STORAGE = {"knowledge.models", "knowledge.rows", "knowledge.store", "knowledge.transfer"}
BOOKINGS_STORAGE = {"bookings.models", "bookings.store"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path: Path) -> set[str]:
    """Every module a file imports, absolute, as written (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            # `from bookings import store` imports the module bookings.store.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in names if name}


def imported_roots(path: Path) -> set[str]:
    """The top-level packages a file imports itself (not through other modules)."""
    return {name.split(".")[0] for name in imported_names(path)}


@cache
def reached(name: str) -> frozenset[str]:
    """The modules `name` imports, and theirs, and so on, through the project's own
    modules (a package's `__init__` runs first, so it counts too)."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        parts = current.split(".")
        for size in range(1, len(parts) + 1):
            prefix = ".".join(parts[:size])
            path = module_path(prefix) if parts[0] in PROJECT else None
            if path is None or prefix in seen:
                continue
            seen.add(prefix)
            for imported in imported_names(path):
                seen.add(imported)
                if imported.split(".")[0] in PROJECT:
                    todo.append(imported)
    seen.discard(name)
    return frozenset(seen)


def offending(name: str, forbidden: set[str]) -> list[str]:
    """What of `forbidden` (packages or modules, each with what is under it) `name` reaches."""
    found = set()
    for imported in reached(name):
        for banned in forbidden:
            if imported == banned or imported.startswith(banned + "."):
                found.add(banned)
    return sorted(found)


def modules(package: str, leaving_out: frozenset[str] | set[str] = frozenset()) -> list[str]:
    names = [module_name(path) for path in sorted((ROOT / package).rglob("*.py"))]
    return [
        name
        for name in names
        if not any(name == skip or name.startswith(skip + ".") for skip in leaving_out)
    ]


def test_the_dialogs_reach_no_platform_no_runtime_and_no_database() -> None:
    offenders = {
        name: found
        for name in modules("dialogs")
        if (found := offending(name, PLATFORMS | RUNTIME | DATABASE))
    }
    assert not offenders


def test_the_bookings_domain_reaches_no_platform_no_runtime_and_no_database() -> None:
    domain = modules("bookings", leaving_out=BOOKINGS_STORAGE)
    assert "bookings.states" in domain and "bookings.store" not in domain
    offenders = {
        name: found for name in domain if (found := offending(name, PLATFORMS | RUNTIME | DATABASE))
    }
    assert not offenders


@pytest.mark.parametrize("package", ["knowledge", "bookings"])
def test_the_storage_side_reaches_no_platform_and_not_the_runtime(package: str) -> None:
    offenders = {
        name: found for name in modules(package) if (found := offending(name, PLATFORMS | RUNTIME))
    }
    assert not offenders


def test_the_knowledge_domain_reaches_no_database_and_no_bookings_storage() -> None:
    domain = modules("knowledge", leaving_out=KNOWLEDGE_STORAGE)
    offenders = {
        name: found
        for name in domain
        if (
            found := offending(
                name, DATABASE - {"bookings.store", "bookings.models"} | BOOKINGS_STORAGE
            )
        )
    }
    assert not offenders


def test_the_walk_sees_a_leak_two_modules_away() -> None:
    """The check itself: bookings.store is SQLAlchemy, reached through the package."""
    assert "sqlalchemy" in {name.split(".")[0] for name in reached("bookings.store")}
    assert offending("bookings.store.queries", DATABASE) == [
        "bookings.models",
        "bookings.store",
        "sqlalchemy",
    ]


#: Each platform's libraries, and the one channel package that may import them.
PLATFORM_PACKAGES = {
    "telegram": "bot/channels/telegram/",
    "aiohttp": "bot/channels/telegram/",
    "httpx": "bot/channels/whatsapp/",
}


def test_only_a_platforms_channel_package_imports_it() -> None:
    offenders: dict[str, list[str]] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for library in sorted(imported_roots(path) & set(PLATFORM_PACKAGES)):
            if not relative.startswith(PLATFORM_PACKAGES[library]):
                offenders.setdefault(relative, []).append(library)
    assert not offenders


def test_only_the_channel_table_loads_a_channel_package() -> None:
    """Storage, jobs, the CLI and the web server reach a platform's channel through
    `bot.channels.registry` only, which imports it when it is configured."""
    offenders: dict[str, list[str]] = {}
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        found = sorted(
            name
            for name in imported_names(path)
            if name.startswith(("bot.channels.telegram", "bot.channels.whatsapp"))
        )
        home = relative.removeprefix("bot/channels/").split("/")[0]
        if found and not all(name.startswith(f"bot.channels.{home}") for name in found):
            offenders[relative] = found
    assert not offenders


#: dialogs/ in three floors. The ground: replies, state, ports and what they need; the
#: framework: the engine, steps and buttons, the booking wording the journeys share,
#: the danger check the engine runs on every message (`crisis`) and the tests of the
#: steps that wait for a short answer (`traps`); the journeys: every other module, each
#: reached from its menu label in one hop.
#: `catalog` lists the journeys for the runtime: it is the building's directory.
DIALOGS_GROUND = {"replies", "state", "incoming", "i18n", "ports", "codec"}
DIALOGS_FRAMEWORK = {"framework", "engine", "booking_words", "crisis", "traps"}
DIALOGS_DIRECTORY = {"catalog", "__init__"}


def test_dialogs_are_three_floors_and_no_journey_imports_another() -> None:
    floors = {name: 0 for name in DIALOGS_GROUND} | {name: 1 for name in DIALOGS_FRAMEWORK}
    offenders: dict[str, list[str]] = {}
    for path in sorted((ROOT / "dialogs").glob("*.py")):
        if path.stem in DIALOGS_DIRECTORY:
            continue
        floor = floors.get(path.stem, 2)
        for name in imported_names(path):
            parts = name.split(".")
            if parts[0] != "dialogs" or len(parts) < 2 or module_path(name) is None:
                continue
            imported = parts[1]
            # A floor imports the floors below it; the ground and the framework their own.
            allowed = floors.get(imported, 2) < floor or (
                floor < 2 and floors.get(imported, 2) == floor
            )
            if not allowed:
                offenders.setdefault(path.stem, []).append(imported)
    assert not offenders
    # No room hides under another: dialogs/ has no sub-packages.
    assert not list((ROOT / "dialogs").glob("*/*.py"))
