"""`passerelle kb search` and `passerelle kb eval`: the knowledge search from a terminal.

The index is built from the knowledge base the bot answers from (the database; the
bundled content is imported into an empty one), or from the entry files of a directory
with `--content DIR`. `_documents` is the one place that decides.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click

from bot.db import open_database
from bot.settings import SettingsError, get_settings
from knowledge.danger import DangerDataError, load_detector
from knowledge.danger_eval import (
    HELDOUT,
    TARGET_FALSE_ALARMS,
    TARGET_LOCALE_RECALL,
    TARGET_RECALL,
    DangerReport,
    MessagesError,
    evaluate_danger,
    load_messages,
)
from knowledge.documents import SearchDocument
from knowledge.evaluation import (
    TARGET_LOCALE_TOP3,
    TARGET_TOP1,
    TARGET_TOP3,
    EvaluationReport,
    QuestionsError,
    evaluate,
    load_questions,
)
from knowledge.loader import ContentErrors
from knowledge.schema import SOURCE_LOCALE
from knowledge.search import SearchHit, SearchIndex, load_bundled_documents
from knowledge.store import KnowledgeStore
from knowledge.transfer import ensure_bundled

__all__ = ["eval_command", "search_command"]

_CONTENT_OPTION = click.option(
    "--content",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Index the entry files of this directory instead of the knowledge base.",
)


def _documents(content: Path | None) -> list[SearchDocument]:
    """Where the index gets its documents: the knowledge base, or a directory of entry files."""
    try:
        if content is not None:
            return load_bundled_documents(content)
        return asyncio.run(_stored_documents())
    except ContentErrors as errors:
        raise click.ClickException(f"the entry files have errors:\n{errors}") from errors
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


async def _stored_documents() -> list[SearchDocument]:
    database = await open_database(get_settings().database_url)
    try:
        store = KnowledgeStore(database.sessions, write_sessions=database.write_sessions)
        await ensure_bundled(store)
        return await store.search_documents()
    finally:
        await database.close()


def _build_index(content: Path | None) -> SearchIndex:
    return SearchIndex.build(_documents(content))


@click.command("search")
@click.argument("query", required=False)
@click.option(
    "--lang", "locale", default=SOURCE_LOCALE, show_default=True, help="The person's locale."
)
@click.option("--limit", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True, help="Print the results as one JSON object.")
@click.option(
    "--jsonl",
    is_flag=True,
    help='Read {"query": ..., "lang": ...} lines on stdin; write one result line for each.',
)
@_CONTENT_OPTION
def search_command(
    query: str | None,
    locale: str,
    limit: int,
    as_json: bool,
    jsonl: bool,
    content: Path | None,
) -> None:
    """Search the knowledge base as a person would type: QUERY, or --jsonl lines on stdin."""
    if jsonl == (query is not None):
        raise click.UsageError("give either a QUERY or --jsonl (with requests on stdin)")
    index = _build_index(content)
    if jsonl:
        for answer in answer_lines(index, sys.stdin, default_locale=locale, limit=limit):
            click.echo(json.dumps(answer, ensure_ascii=False))
        return
    assert query is not None
    hits = index.search(query, locale, limit=limit)
    if as_json:
        answer = {"query": query, "lang": locale, "results": _results(hits)}
        click.echo(json.dumps(answer, ensure_ascii=False))
        return
    if not hits:
        click.echo("no entry matches")
    for rank, hit in enumerate(hits, start=1):
        click.echo(f"{rank}. {hit.slug:<32} {hit.score:8.3f}  {_title(index, hit, locale)}")


def answer_lines(
    index: SearchIndex, lines: Iterable[str], *, default_locale: str, limit: int
) -> Iterator[dict[str, Any]]:
    """One answer per non-blank request line, in order; a bad line gets an `error`, no crash."""
    for line in lines:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except json.JSONDecodeError:
            yield {"query": None, "results": [], "error": "not a JSON object"}
            continue
        query = request.get("query") if isinstance(request, dict) else None
        if not isinstance(query, str):
            yield {"query": None, "results": [], "error": 'needs a "query" string'}
            continue
        lang = request.get("lang")
        locale = lang if isinstance(lang, str) and lang else default_locale
        yield {"query": query, "results": _results(index.search(query, locale, limit=limit))}


def _results(hits: list[SearchHit]) -> list[dict[str, Any]]:
    return [{"slug": hit.slug, "score": hit.score} for hit in hits]


def _title(index: SearchIndex, hit: SearchHit, locale: str) -> str:
    return index.title(hit.slug, locale) or index.title(hit.slug, SOURCE_LOCALE) or ""


@click.command("eval")
@click.argument("questions_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--crisis",
    "crisis_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=HELDOUT,
    show_default="the held-out crisis messages",
    help="Crisis and ordinary messages to measure the danger check on.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option("--misses", is_flag=True, help="Also list the questions not answered in the top 3.")
@click.option("--strict", is_flag=True, help="Exit with status 1 when a target is not met.")
@_CONTENT_OPTION
def eval_command(
    questions_file: Path,
    crisis_file: Path,
    as_json: bool,
    misses: bool,
    strict: bool,
    content: Path | None,
) -> None:
    """Search accuracy (top-1, top-3) and the danger check's crisis recall and false alarms."""
    try:
        questions = load_questions(questions_file)
        messages = load_messages(crisis_file)
        detector = load_detector()
    except (QuestionsError, MessagesError, DangerDataError) as error:
        raise click.ClickException(str(error)) from error
    report = evaluate(_build_index(content), questions)
    danger = evaluate_danger(detector, messages)
    if as_json:
        answer = {**report.to_dict(), "crisis": danger.to_dict()}
        click.echo(json.dumps(answer, ensure_ascii=False))
    else:
        _print_report(report, with_misses=misses)
        _print_danger(danger, with_slips=misses)
    if strict and not (report.meets_targets() and danger.meets_targets()):
        sys.exit(1)


def _print_danger(report: DangerReport, *, with_slips: bool) -> None:
    click.echo("")
    click.echo(
        f"{'crisis':<8}{'messages':>10}{'recall':>9}{'asked':>7}{'ordinary':>10}{'false':>9}"
    )
    for locale, figures in report.by_locale.items():
        flag = "" if figures.recall >= TARGET_LOCALE_RECALL else "  < target"
        click.echo(
            f"{locale:<8}{figures.crisis:>10}{figures.recall:>9.1%}{figures.asked:>7}"
            f"{figures.ordinary:>10}{figures.false_alarm_rate:>9.1%}{flag}"
        )
    overall = report.overall
    click.echo(
        f"{'all':<8}{overall.crisis:>10}{overall.recall:>9.1%}{overall.asked:>7}"
        f"{overall.ordinary:>10}{overall.false_alarm_rate:>9.1%}"
    )
    click.echo(
        f"targets: crisis recall ≥ {TARGET_RECALL:.0%}, every locale ≥ "
        f"{TARGET_LOCALE_RECALL:.0%}, false alarms ≤ {TARGET_FALSE_ALARMS:.0%}: "
        f"{'met' if report.meets_targets() else 'not met'}"
    )
    if with_slips:
        for slip in report.slips:
            expected = slip.message.kind.value if slip.message.kind else "none"
            click.echo(
                f"- [{slip.message.locale}] {slip.message.text}\n    expected {expected}; got {slip.level.value}"
            )


def _print_report(report: EvaluationReport, *, with_misses: bool) -> None:
    click.echo(f"{'locale':<8}{'questions':>10}{'top-1':>9}{'top-3':>9}")
    for locale, accuracy in report.by_locale.items():
        flag = "" if accuracy.top3_rate >= TARGET_LOCALE_TOP3 else "  < target"
        click.echo(
            f"{locale:<8}{accuracy.questions:>10}{accuracy.top1_rate:>9.1%}"
            f"{accuracy.top3_rate:>9.1%}{flag}"
        )
    overall = report.overall
    click.echo(
        f"{'all':<8}{overall.questions:>10}{overall.top1_rate:>9.1%}{overall.top3_rate:>9.1%}"
    )
    click.echo(
        f"targets: top-1 ≥ {TARGET_TOP1:.0%}, top-3 ≥ {TARGET_TOP3:.0%}, every locale top-3 ≥ "
        f"{TARGET_LOCALE_TOP3:.0%}: {'met' if report.meets_targets() else 'not met'}"
    )
    if with_misses:
        for miss in report.misses:
            note = "" if miss.answerable else "  (no such entry in the index)"
            found = ", ".join(miss.found) or "nothing"
            expected = ", ".join(miss.question.slugs)
            click.echo(
                f"- [{miss.question.locale}] {miss.question.text}\n"
                f"    expected {expected}; found {found}{note}"
            )
