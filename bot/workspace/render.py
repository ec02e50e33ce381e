"""What a person receives from the workspace, rendered in the person's own language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dialogs.framework import NAV_MENU
from dialogs.handover import answer_option_id
from dialogs.i18n import Translator, isolate_reply
from dialogs.ports import Library
from dialogs.replies import Card, Option, Options, Reply, Text

#: The reading step's "related entry" button opens an entry from any later press.
OPEN_ENTRY = "card:r-{slug}"


async def staff_reply(
    t: Translator,
    library: Library,
    number: int,
    text: str,
    slugs: Sequence[str],
    today: dt.date,
) -> list[Reply]:
    """The agent's text as written, under a line saying it comes from a staff member; each
    attached entry as a card in the person's language; a way to answer and to the menu."""
    replies: list[Reply] = []
    header = t("💬 A staff member answered your question {number}:", number=number)
    if text.strip():
        replies.append(Text(f"{header}\n\n{text.strip()}"))
    else:
        replies.append(Text(header))
    buttons: list[tuple[Option, ...]] = []
    for slug in slugs:
        entry = await library.entry(slug, t.code)
        if entry is None:
            continue
        badges: list[str] = []
        if entry.is_fallback:
            badges.append(t("Not yet translated into your language: shown in French."))
        elif entry.needs_review_label:
            badges.append(t("Machine translation, not yet checked by a person."))
        if entry.review_overdue(today):
            badges.append(
                t("This information is due for a check: ask a social worker to confirm it.")
            )
        replies.append(
            Card(
                title=entry.title,
                body=entry.summary,
                footer=t("Last checked: {date}", date=t.date(entry.last_checked)),
                badges=tuple(badges),
            )
        )
        buttons.append((Option(id=OPEN_ENTRY.format(slug=slug), label=f"📖 {entry.label}"),))
    buttons.append((Option(id=answer_option_id(number), label=t("↩️ Answer")),))
    buttons.append((Option(id=NAV_MENU, label=t("🏠 Menu")),))
    replies.append(Options(text=t("What next?"), rows=tuple(buttons), replaceable=False))
    return _isolated(t, replies)


def takeover_notice(t: Translator, number: int, taken: bool) -> list[Reply]:
    if taken:
        text = t(
            "👤 A staff member is now answering you about question {number}. "
            "What you write goes to them.",
            number=number,
        )
    else:
        text = t("🤖 The staff member has finished. The bot answers you again.")
    return _isolated(t, [Text(text)])


def _isolated(t: Translator, replies: list[Reply]) -> list[Reply]:
    return [isolate_reply(reply) for reply in replies] if t.rtl else replies
