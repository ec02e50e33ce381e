"""Read entry files, and say exactly where a bad one is wrong: file, line and field.

Every file of a directory is read and checked before anything is returned, so an
import either gets all entries or none (`ContentErrors` lists every problem found).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.schema import EntryFile

ENTRY_SUFFIX = ".yaml"


@dataclass(frozen=True)
class ContentError:
    path: Path
    #: 1-based; None when the problem is the file as a whole.
    line: int | None
    #: Where in the entry, e.g. `translations.en.summary` or `checklist[2].labels`; "" for the file.
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ContentErrors(Exception):
    def __init__(self, errors: Sequence[ContentError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class LoadedContent:
    entries: tuple[EntryFile, ...]
    errors: tuple[ContentError, ...] = field(default=())


def entry_paths(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.iterdir()
        if path.suffix == ENTRY_SUFFIX and path.is_file() and not path.name.startswith(".")
    )


def read_dir(directory: Path) -> LoadedContent:
    """Every entry file of `directory` that is valid, and every problem of the others."""
    if not directory.is_dir():
        error = ContentError(directory, None, "", "not a directory")
        return LoadedContent(entries=(), errors=(error,))
    entries: list[EntryFile] = []
    errors: list[ContentError] = []
    paths_by_slug: dict[str, Path] = {}
    for path in entry_paths(directory):
        entry, problems = parse_entry(path.read_text(encoding="utf-8"), path)
        errors.extend(problems)
        if entry is None:
            continue
        if entry.slug in paths_by_slug:
            message = f"slug {entry.slug!r} is already used by {paths_by_slug[entry.slug].name}"
            errors.append(ContentError(path, None, "slug", message))
            continue
        paths_by_slug[entry.slug] = path
        entries.append(entry)
    return LoadedContent(entries=tuple(entries), errors=tuple(errors))


def load_dir(directory: Path) -> list[EntryFile]:
    """All entries of `directory`, or `ContentErrors` naming every problem in every file."""
    content = read_dir(directory)
    if content.errors:
        raise ContentErrors(content.errors)
    return list(content.entries)


def load_file(path: Path) -> EntryFile:
    entry, problems = parse_entry(path.read_text(encoding="utf-8"), path)
    if entry is None or problems:
        raise ContentErrors(problems)
    return entry


def parse_entry(text: str, path: Path) -> tuple[EntryFile | None, list[ContentError]]:
    """The entry in `text`, or the problems that keep it from being one."""
    try:
        node, data = _compose_and_construct(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        return None, [ContentError(path, line, "", f"not valid YAML: {error.problem}")]
    except yaml.YAMLError as error:
        return None, [ContentError(path, None, "", f"not valid YAML: {error}")]
    if node is None or not isinstance(node, yaml.MappingNode):
        return None, [ContentError(path, 1, "", "an entry file must be a mapping of fields")]
    repeated = [
        ContentError(path, line, where, "this key is written twice")
        for where, line in _repeated_keys(node, ())
    ]
    if repeated:
        return None, repeated
    try:
        entry = EntryFile.model_validate(data)
    except ValidationError as error:
        return None, [_located(path, node, problem) for problem in error.errors()]
    if entry.slug != path.stem:
        line = _line_of(node, ("slug",))
        message = f"the file of entry {entry.slug!r} must be named {entry.slug}{ENTRY_SUFFIX}"
        return None, [ContentError(path, line, "slug", message)]
    return entry, []


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        return node, data
    finally:
        loader.dispose()


def _located(path: Path, root: yaml.Node, problem: Any) -> ContentError:
    loc: tuple[int | str, ...] = tuple(problem["loc"])
    message = str(problem["msg"]).removeprefix("Value error, ")
    return ContentError(path, _line_of(root, loc), _field_name(loc), message)


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part != "[key]":
            name += f".{part}" if name else part
    return name


def _line_of(root: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest part of `loc` present in the file (a missing field: its parent).

    A list or mapping written under a key starts on the line after it: the key's line is
    the one a person looks for.
    """
    node, line = root, root.start_mark.line
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        key, node = found
        collection = isinstance(node, yaml.MappingNode | yaml.SequenceNode)
        line = (key if key is not None and collection else node).start_mark.line
    return line + 1


def _child(node: yaml.Node, part: int | str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """(the key, the value) of `part` in a mapping, (None, the item) in a list."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


def _repeated_keys(node: yaml.Node, where: tuple[int | str, ...]) -> Iterator[tuple[str, int]]:
    # YAML lets the last of two equal keys win silently: a translation written twice
    # would lose the first without a word.
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                yield _field_name((*where, name)), key.start_mark.line + 1
            seen.add(name)
            yield from _repeated_keys(value, (*where, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _repeated_keys(item, (*where, index))
