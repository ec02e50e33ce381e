"""The bookable services come from the knowledge base; the domain knows no runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from bookings.catalogue import (
    CatalogueError,
    ContactNeed,
    Mode,
    check_against_knowledge,
    load_catalogue,
    parse_catalogue,
)
from bot.app import App
from dialogs.appointments import CONTACT_REASONS
from tests.conftest import TEST_SERVICES
from tests.test_layers import FORBIDDEN_IN_CORE, ROOT, imported_roots


def test_the_services_file_is_valid_and_covers_the_issue() -> None:
    catalogue = load_catalogue()
    by_id = {service.id: service for service in catalogue.services}
    # Not shown as partners by the sources: the person asks, an agent confirms.
    assert {"legal-aid", "mental-health"} <= {
        s.id for s in catalogue.services if s.mode is Mode.REQUEST
    }
    assert {"eif-fel", "ame-help", "css-help", "domiciliation", "employment"} <= {
        s.id for s in catalogue.services if s.mode is Mode.REQUEST
    }
    assert by_id["ame-help"].bring == "health-ame"
    assert by_id["mental-health"].contact is ContactNeed.PHONE


async def test_every_service_and_place_is_backed_by_the_knowledge_base(app: App) -> None:
    """No address is made up: each place is a place of its entry, bookable for slots."""
    problems = await check_against_knowledge(load_catalogue(), app.engine.services.library)
    assert problems == []


def test_the_reasons_for_a_contact_reach_the_translators() -> None:
    english = {service.why["en"] for service in load_catalogue().services if service.why}
    assert english == set(CONTACT_REASONS)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("mode: slots", "mode: sometimes"), "services.0.mode"),
        (("id: ame-help", "id: legal-aid"), "used twice: legal-aid"),
        (("bring: health-ame", "bring: health-ame\n    colour: red"), "colour: Extra inputs"),
    ],
)
def test_a_wrong_services_file_says_where(change: tuple[str, str], message: str) -> None:
    text = TEST_SERVICES.read_text(encoding="utf-8").replace(*change, 1)
    assert text != TEST_SERVICES.read_text(encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        parse_catalogue(text)


def test_a_service_asking_for_a_contact_must_say_why() -> None:
    text = "services:\n  - {id: x1, entry: legal-aid, mode: request, contact: name, why: {fr: a}}\n"
    with pytest.raises(CatalogueError, match="says why, in fr and en"):
        parse_catalogue(text)


def test_the_booking_domain_imports_no_platform_and_not_the_runtime() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN_IN_CORE)
        for path in (ROOT / "bookings").rglob("*.py")
    }
    assert not {name: found for name, found in offenders.items() if found}
    dialogs = [ROOT / "dialogs" / "appointments.py", ROOT / "dialogs" / "agents.py"]
    assert all(not imported_roots(Path(path)) & FORBIDDEN_IN_CORE for path in dialogs)
