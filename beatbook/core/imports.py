"""What every importer shares: dry runs, atomic commits, line-numbered errors, reports.

An importer is a function `import_x(path, *, commit, ...) -> ImportReport` that does its
work inside `import_transaction(commit)`. Without `commit` everything is rolled back at the
end, so a dry run reports exactly what a real run would do. Any `ImportFailed` raised
part-way rolls back the whole file: nothing is half-written.

Its management command subclasses `ImportCommand`, which adds the options every import
shares (--commit, --json, --no-progress) and turns the report or failure into output.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

T = TypeVar("T")


class ImportFailed(Exception):
    """A file that cannot be imported. The message names the file and where in it."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str,
        line: int | None = None,
        field: str | None = None,
        feature: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.feature = feature
        self.reason = message
        where = [self.path]
        if line is not None:
            where.append(f"line {line}")
        if feature is not None:
            where.append(f"feature {feature}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "line": self.line,
            "feature": self.feature,
            "field": self.field,
            "error": self.reason,
        }


@dataclass
class ImportReport:
    """What an import read, created, updated, deleted, left unchanged and rejected."""

    source: str
    kind: str
    committed: bool = False
    read: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    notes: list[str] = field(default_factory=list)
    skipped_reasons: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped += count
        self.skipped_reasons[reason] = self.skipped_reasons.get(reason, 0) + count

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["changed"] = self.changed
        return data

    def as_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=True)

    def summary(self) -> str:
        mode = "Imported" if self.committed else "Dry run (nothing saved; add --commit to save)"
        parts = [
            f"{mode}: {self.kind} from {self.source}",
            f"  read {self.read}, created {self.created}, updated {self.updated}, deleted {self.deleted}, "
            f"unchanged {self.unchanged}, skipped {self.skipped}, rejected {self.rejected}",
        ]
        parts += [f"  skipped {n}: {reason}" for reason, n in sorted(self.skipped_reasons.items())]
        parts += [f"  note: {note}" for note in self.notes]
        return "\n".join(parts)


class _DryRunRollback(Exception):
    pass


@contextmanager
def import_transaction(commit: bool) -> Iterator[None]:
    """Run the block atomically; roll it back at the end unless `commit`."""
    try:
        with transaction.atomic():
            yield
            if not commit:
                raise _DryRunRollback
    except _DryRunRollback:
        pass


def open_text(path: Path) -> TextSource:
    """Open a text file, gzipped or not, as UTF-8 (a byte-order mark is dropped).

    Bytes that are not UTF-8 fail with the line they are on, not a Python traceback.
    """
    if not path.is_file():
        raise ImportFailed("file not found", path=path)
    return TextSource(path)


class TextSource:
    """Lines of a UTF-8 file (plain or .gz), decoded one by one so errors know their line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.line_number = 0
        # Closed by close() or the context manager; the source outlives this call.
        self._raw: BinaryIO = (
            gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")  # type: ignore[assignment]  # noqa: SIM115
        )

    def __enter__(self) -> TextSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._raw.close()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            data = self._raw.readline()
        except (OSError, EOFError) as exc:
            message = f"cannot be read after line {self.line_number}: {exc}"
            raise ImportFailed(message, path=self.path) from exc
        if not data:
            raise StopIteration
        self.line_number += 1
        return self._decode(data, self.line_number)

    def read(self) -> str:
        try:
            data = self._raw.read()
        except (OSError, EOFError) as exc:
            raise ImportFailed(f"cannot be read: {exc}", path=self.path) from exc
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ImportFailed("is not UTF-8 text; save it as UTF-8", path=self.path, line=line) from exc

    def _decode(self, data: bytes, line: int) -> str:
        try:
            return data.decode("utf-8-sig" if line == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFailed("is not UTF-8 text; save it as UTF-8", path=self.path, line=line) from exc


def progress(iterable: Iterable[T], *, enabled: bool, desc: str, total: int | None = None) -> Iterable[T]:
    """A progress bar on stderr when `enabled` (interactive commands), else the plain iterable."""
    if not enabled:
        return iterable
    return tqdm(iterable, desc=desc, total=total, unit=" rows", leave=False, mininterval=0.5)


# --- management commands ------------------------------------------------------------------


def add_common_arguments(parser: CommandParser) -> None:
    """The options every import command has."""
    parser.add_argument("--commit", action="store_true", help="Save the changes (without it: a dry run).")
    parser.add_argument("--json", action="store_true", help="Print the import report (or the failure) as JSON.")
    parser.add_argument("--no-progress", action="store_true", help="No progress bar, even on a terminal.")


def run_import_command(command: BaseCommand, options: dict[str, Any], run: Callable[[bool], ImportReport]) -> None:
    """Run an importer for a management command: report on stdout, failure as CommandError.

    `run` gets whether to show a progress bar: only on a terminal, and not with --no-progress.
    """
    show_progress = not options.get("no_progress") and sys.stderr.isatty()
    try:
        report = run(show_progress)
    except ImportFailed as exc:
        if options.get("json"):
            command.stdout.write(json.dumps({"ok": False, "failure": exc.as_dict()}, indent=2, sort_keys=True))
        raise CommandError(str(exc)) from exc
    if options.get("json"):
        command.stdout.write(report.as_json())
    else:
        command.stdout.write(report.summary())


class ImportCommand(BaseCommand):
    """A management command that runs one importer.

    A subclass adds its own arguments in `add_import_arguments` and calls its importer in
    `run_import` with the parsed options; this class adds the shared options and the output.
    """

    def add_import_arguments(self, parser: CommandParser) -> None:
        raise NotImplementedError

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        raise NotImplementedError

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_import_arguments(parser)
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_import_command(
            self,
            options,
            lambda show_progress: self.run_import(options, commit=options["commit"], show_progress=show_progress),
        )
