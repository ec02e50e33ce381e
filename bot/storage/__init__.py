"""Storage, the runtime's one front door to the database's rows.

- `tables`: the runtime's tables (people, conversations, the outbox, tickets...),
  `whatsapp` the WhatsApp channel's own, and `bot.workspace.tables` the agents' workspace's; with `knowledge.models` and `bookings.models`,
  all in the one metadata of `sqlbase`, complete as soon as this package is imported;
- `SqlConversationStore`: the engine's units of work, one kind per database
  (`conversations` through SQLAlchemy, `sqlite_conversations` straight on SQLite);
- `Outbox`: what channels ask of the outbox;
- `erasure`: what "forget me" erases, in every table.

Channels decode replies with `dialogs.codec`, never through storage.
"""

from __future__ import annotations

# Every table joins `sqlbase.Base.metadata` when its module is imported: all of them here,
# so that migrations and erasure see every table in every process.
import bookings.models  # noqa: F401
import bot.storage.whatsapp
import bot.workspace.tables  # noqa: F401
import knowledge.models  # noqa: F401
from bot.storage.conversations import SqlConversations, sqlite_time
from bot.storage.erasure import ERASERS, erase_person
from bot.storage.outbox import Outbox
from bot.storage.sqlite_conversations import SqliteConversations
from bot.storage.tables import (
    SENDER,
    ConversationRow,
    OutboxRow,
    PersonRow,
    ProcessedUpdate,
    RejectedUpdate,
    TicketRow,
    UnansweredCount,
    utcnow,
)
from bot.storage.units import SqlConversationStore
from sqlbase import Base

__all__ = [
    "ERASERS",
    "SENDER",
    "Base",
    "ConversationRow",
    "Outbox",
    "OutboxRow",
    "PersonRow",
    "ProcessedUpdate",
    "RejectedUpdate",
    "SqlConversationStore",
    "SqlConversations",
    "SqliteConversations",
    "TicketRow",
    "UnansweredCount",
    "erase_person",
    "sqlite_time",
    "utcnow",
]
