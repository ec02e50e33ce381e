"""Every dialog Passerelle has, in one registry: the main menu is built from it."""

from __future__ import annotations

from dialogs import ask, core
from dialogs.agents import AGENTS, COMMANDS
from dialogs.appointments import APPOINTMENTS
from dialogs.asylum import ASYLUM
from dialogs.crisis import CRISIS
from dialogs.documents import DOCUMENTS
from dialogs.framework import Registry
from dialogs.french import FRENCH
from dialogs.handover import COMMANDS as HANDOVER_COMMANDS
from dialogs.handover import PERSON, QUESTIONS, while_taken_over
from dialogs.my_appointments import MY_APPOINTMENTS
from dialogs.near import NEAR, location_anywhere
from dialogs.reading import READING, open_from_link
from dialogs.rights import RIGHTS


def build_registry() -> Registry:
    registry = Registry()
    for dialog in (*core.DIALOGS, READING, RIGHTS, FRENCH, DOCUMENTS, NEAR, ask.ASK, ask.EMERGENCY):
        registry.add(dialog)
    # Appointments: the person's side in the menu; the agents' side as role-checked commands.
    registry.add(APPOINTMENTS)
    registry.add(MY_APPOINTMENTS)
    registry.add(AGENTS)
    registry.add(CRISIS)
    registry.add(ASYLUM)
    registry.commands.update(COMMANDS)
    # The agents' inbox, the person's side: talk to a person, answers, a taken-over chat.
    registry.add(PERSON)
    registry.add(QUESTIONS)
    registry.commands.update(HANDOVER_COMMANDS)
    registry.text_first.append(while_taken_over)
    # Deep links: `/start e-<slug>` opens an entry in the reader's own language.
    registry.on_start("e", open_from_link)
    registry.text_fallbacks.append(ask.fallback)
    registry.location_fallback = location_anywhere
    registry.check()
    return registry
