"""`passerelle kb`: import, export, check and translate the knowledge base."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from itertools import groupby
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bot.db import open_database
from bot.settings import SettingsError, get_settings
from knowledge.canonical import dump_entry
from knowledge.checks import CheckReport, Finding, check_dir, check_entries
from knowledge.edits import with_checked
from knowledge.loader import ContentErrors, load_dir, load_file
from knowledge.po import PoError, export_po, import_po
from knowledge.schema import TranslationStatus
from knowledge.stats import Coverage, coverage
from knowledge.store import KnowledgeStore, UnknownEntry, UnknownRevision
from knowledge.transfer import (
    BUNDLED_CONTENT,
    ImportReport,
    ensure_bundled,
    export_dir,
    format_dir,
    import_entries,
)

DIRECTORY = click.Path(file_okay=False, path_type=Path)
EXISTING_DIRECTORY = click.Path(file_okay=False, exists=True, path_type=Path)
STATUS_LETTERS = {
    TranslationStatus.SOURCE: "S",
    TranslationStatus.REVIEWED: "R",
    TranslationStatus.MACHINE: "M",
    TranslationStatus.OUTDATED: "O",
    None: "·",
}


@asynccontextmanager
async def opened_store() -> AsyncIterator[KnowledgeStore]:
    try:
        url = get_settings().database_url
    except SettingsError as error:
        click.echo(f"passerelle: {error}", err=True)
        sys.exit(2)
    database = await open_database(url)
    try:
        yield KnowledgeStore(database.sessions, write_sessions=database.write_sessions)
    finally:
        await database.close()


def fail_on_content_errors(error: ContentErrors) -> None:
    for problem in error.errors:
        click.echo(f"error: {problem}", err=True)
    click.echo(f"{len(error.errors)} error(s): nothing was imported", err=True)
    sys.exit(1)


@click.group()
def kb() -> None:
    """The knowledge base: import, export, check, translate."""


@kb.command("import")
@click.argument("directory", required=False, type=EXISTING_DIRECTORY)
@click.option("--by", default="import", show_default=True, help="Who the revisions name.")
def import_command(directory: Path | None, by: str) -> None:
    """Import entry files (the bundled content by default); safe to run again.

    An entry an agent changed since the last import is not overwritten: the file's
    version is kept as a pending revision and reported as a conflict.
    """
    source = directory or BUNDLED_CONTENT
    try:
        entries = load_dir(source)
    except ContentErrors as error:
        fail_on_content_errors(error)
        return

    async def run() -> ImportReport:
        async with opened_store() as store:
            with Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            ) as progress:
                task = progress.add_task("", total=len(entries))
                return await import_entries(
                    store,
                    entries,
                    source=str(source),
                    by=by,
                    on_entry=lambda slug: progress.update(task, advance=1, description=slug),
                )

    print_import_report(asyncio.run(run()))


def print_import_report(report: ImportReport) -> None:
    click.echo(
        f"created {len(report.created)}, updated {len(report.updated)}, "
        f"unchanged {len(report.unchanged)}, conflicts {len(report.conflicts)}"
    )
    for conflict in report.conflicts:
        click.echo(
            f"conflict: {conflict.slug} was changed in the database; the file's version is "
            f"pending revision {conflict.pending_revision} (passerelle kb restore "
            f"{conflict.pending_revision} applies it)"
        )


@kb.command("export")
@click.argument("directory", type=DIRECTORY)
def export_command(directory: Path) -> None:
    """Write every entry of the database as <slug>.yaml into DIRECTORY."""

    async def run() -> None:
        async with opened_store() as store:
            report = await export_dir(store, directory)
        click.echo(f"wrote {len(report.written)}, unchanged {len(report.unchanged)}")
        for name in report.strays:
            click.echo(f"warning: {directory / name} matches no entry of the database")

    asyncio.run(run())


@kb.command("format")
@click.argument("directory", required=False, type=EXISTING_DIRECTORY)
def format_command(directory: Path | None) -> None:
    """Rewrite entry files in the canonical form export writes (bundled content by default)."""
    try:
        rewritten = format_dir(directory or BUNDLED_CONTENT)
    except ContentErrors as error:
        fail_on_content_errors(error)
        return
    for slug in rewritten:
        click.echo(f"formatted {slug}")
    click.echo(f"{len(rewritten)} file(s) rewritten")


@kb.command("check")
@click.argument("directory", required=False, type=EXISTING_DIRECTORY)
def check_command(directory: Path | None) -> None:
    """Check the database (after importing the bundled content into an empty one), or
    the entry files of DIRECTORY. Exits 1 on errors; warnings are listed."""
    if directory is not None:
        report = check_dir(directory)
    else:

        async def run() -> CheckReport:
            async with opened_store() as store:
                await ensure_bundled(store)
                return check_entries(await store.documents())

        try:
            report = asyncio.run(run())
        except ContentErrors as error:
            fail_on_content_errors(error)
            return
    for finding in report.errors:
        click.echo(f"error: {finding}")
    for line in grouped_warnings(report.warnings):
        click.echo(f"warning: {line}")
    click.echo(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
    if report.errors:
        sys.exit(1)


def grouped_warnings(warnings: Sequence[Finding]) -> Iterable[str]:
    """One line per entry and kind of warning about locales: `slug: no translation: ar, fa`."""
    for (slug, code), group in groupby(warnings, key=lambda f: (f.slug, f.code)):
        findings = list(group)
        locales = [f.locale for f in findings if f.locale]
        if len(findings) > 1 and len(locales) == len(findings):
            yield f"{slug}: {code} in {len(locales)} locale(s): {', '.join(locales)}"
        else:
            yield from (str(finding) for finding in findings)


@kb.command("checked")
@click.argument("slugs", nargs=-1, required=True)
@click.option(
    "--on",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day of the check, YYYY-MM-DD (today by default).",
)
@click.option(
    "--dir",
    "directory",
    type=EXISTING_DIRECTORY,
    default=None,
    help="Set it in the entry files of DIRECTORY instead of the database.",
)
@click.option("--by", default="kb-checked", show_default=True, help="Who checked (revisions).")
def checked_command(
    slugs: tuple[str, ...], day: dt.datetime | None, directory: Path | None, by: str
) -> None:
    """Record that a person checked SLUG... against its sources: the entry's "last checked"
    date, which readers see (not a source's own date)."""
    when = day.date() if day is not None else dt.date.today()
    if when > dt.date.today():
        raise click.BadParameter(f"{when.isoformat()} is still to come", param_hint="--on")
    if directory is not None:
        for slug in slugs:
            path = directory / f"{slug}.yaml"
            if not path.is_file():
                raise click.ClickException(f"no entry file {path}")
            try:
                entry = load_file(path)
            except ContentErrors as error:
                fail_on_content_errors(error)
                return
            path.write_text(dump_entry(with_checked(entry, when)), encoding="utf-8")
            click.echo(f"{slug}: checked on {when.isoformat()}")
        return

    async def run() -> None:
        async with opened_store() as store:
            await ensure_bundled(store)
            for slug in slugs:
                entry = await store.document(slug)
                if entry is None:
                    raise click.ClickException(f"no entry {slug!r} in the database")
                await store.save_entry(with_checked(entry, when), by=by)
                click.echo(f"{slug}: checked on {when.isoformat()}")

    asyncio.run(run())


@kb.command("stats")
@click.option("--by-entry", is_flag=True, help="Also show each entry's status per locale.")
def stats_command(by_entry: bool) -> None:
    """Translation coverage: entries × locales × status."""

    async def run() -> Coverage:
        async with opened_store() as store:
            await ensure_bundled(store)
            return coverage(await store.documents())

    table = coverage_table(asyncio.run(run()), by_entry=by_entry)
    Console().print(*table)


def coverage_table(report: Coverage, *, by_entry: bool) -> list[Table]:
    summary = Table(title=f"{report.entries} entries")
    summary.add_column("locale")
    for status in TranslationStatus:
        summary.add_column(status.value, justify="right")
    summary.add_column("missing", justify="right")
    for row in report.locales:
        counts = [str(row.count(status)) for status in TranslationStatus]
        summary.add_row(row.locale, *counts, str(row.missing))
    if not by_entry:
        return [summary]
    matrix = Table(title="S source · R reviewed · M machine · O outdated · · missing")
    matrix.add_column("entry")
    for locale in report.locale_codes:
        matrix.add_column(locale, justify="center")
    for entry in report.by_entry:
        matrix.add_row(entry.slug, *(STATUS_LETTERS[status] for status in entry.statuses))
    return [summary, matrix]


@kb.command("pending")
def pending_command() -> None:
    """Files' versions kept on import because an agent had changed the entry."""

    async def run() -> None:
        async with opened_store() as store:
            for revision in await store.pending_revisions():
                click.echo(
                    f"{revision.id}\t{revision.slug}\t{revision.at:%Y-%m-%d %H:%M}\t{revision.by}"
                )

    asyncio.run(run())


@kb.command("restore")
@click.argument("revision_id", type=int)
@click.option("--by", required=True, help="Who restores it (named in the new revision).")
def restore_command(revision_id: int, by: str) -> None:
    """Put an entry back as it was after REVISION_ID (a pending one is applied)."""

    async def run() -> None:
        async with opened_store() as store:
            revision = await store.restore(revision_id, by)
        if revision is None:
            click.echo(f"nothing to do: the entry already is as revision {revision_id} left it")
        else:
            click.echo(f"{revision.slug} restored (revision {revision.id})")

    try:
        asyncio.run(run())
    except (UnknownRevision, UnknownEntry) as error:
        raise click.ClickException(f"no such revision or entry: {error}") from None


@kb.group("po")
def po() -> None:
    """Translators' round trip through gettext PO files (Poedit, Weblate)."""


@po.command("export")
@click.option("--lang", "locale", required=True, help="The locale to translate into, e.g. ar.")
@click.argument("directory", type=DIRECTORY)
def po_export_command(locale: str, directory: Path) -> None:
    """Write DIRECTORY/<lang>.po: French ids, current translations, drafts marked fuzzy."""

    async def run() -> Path:
        async with opened_store() as store:
            return await export_po(store, locale, directory)

    try:
        click.echo(f"wrote {asyncio.run(run())}")
    except PoError as error:
        raise click.ClickException(str(error)) from None


@po.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--by", default="translator", show_default=True, help="Who translated it.")
def po_import_command(file: Path, by: str) -> None:
    """Import a translated PO file: reviewed unless fuzzy (then machine)."""

    async def run() -> None:
        async with opened_store() as store:
            report = await import_po(store, file, by=by)
        click.echo(
            f"{report.locale}: updated {len(report.updated)}, unchanged {len(report.unchanged)}"
            f", skipped {len(report.skipped)}"
        )
        for slug in report.outdated:
            click.echo(f"outdated: {slug} was translated from an older French text")
        for skipped in report.skipped:
            click.echo(f"skipped: {skipped.slug}: {skipped.reason}")

    try:
        asyncio.run(run())
    except PoError as error:
        raise click.ClickException(str(error)) from None
