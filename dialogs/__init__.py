"""Conversations as data, in three floors (tests/test_layers.py keeps them so).

- Journeys: one module per main-menu item (its `Dialog` has the `menu_label`): `rights`,
  `french`, `documents`, `appointments` (and `my_appointments`), `ask`, `core` (language,
  menu, settings, help), `handover` (talk to a person, `/myquestions`, a conversation an
  agent took over), plus `reading`, `near`, `asylum` (asked before "no papers" in My
  rights) and the agents' `agents`. A step lists its buttons and what each does; a journey
  opens another through the registry (`Opens`).
- Framework: `framework` (steps, buttons, the registry, the emergency words), `engine` (the
  way of one message), `booking_words` (how a booking reads, shared with the jobs and the
  agents), `crisis` (danger first: the check the engine runs on every message, and its card)
  and `traps` (how a step waiting for a postcode or a name tells a question from its answer).
- Ground: `replies`, `state`, `incoming`, `i18n`, `ports` (what the runtime provides:
  conversations, the knowledge base, search, bookings), `codec`.

`catalog` lists the journeys for the runtime.
"""
