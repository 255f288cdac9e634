"""Import engagement activity from a spreadsheet: a CSV (UTF-8, plain or .gz) or an .xlsx workbook.

    import_activities(Path("activity-2025.csv"), commit=True)

The columns are the export's (`COLUMNS`), in any order; only `date`, `type` and `areas` must
be there, and a column the importer does not know is an error rather than silently dropped.
Each row becomes an `ActivityData` (`activity_rows`) and goes through the services, so a row
obeys exactly the rules of the forms and the API; the importer only turns text into values
(names and codes into rows of the database, looked up once per file).

A row without an `id` is a new activity (`services.activity_create`). A row with the `id` of
an export is that activity, corrected: it is replaced by what the row says
(`services.activity_update`), once it is checked to belong to the force the row's areas (or
`--force`) name. So a file exported, corrected in a spreadsheet and imported again means
what it meant, rather than adding a copy of every activity.

Every problem of every row is collected, named by physical line (the header is line 1; a
row with a quoted line break is named by its first line) and field, and then the whole
file is refused: nothing from a file with one bad row is saved.

Importing the same file again changes nothing. A new row's `import_key` is the SHA-256 of its
values as understood (so `Patch walk` and `patch-walk` are the same row), and a row whose
key the force already holds is counted as unchanged; identical rows within one file are kept
apart by their position among the copies (the second copy is a second activity, as two
identical posts on one day are). A row with an `id` that says what the activity holds
already is counted as unchanged and not written.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.utils import timezone

from beatbook.areas.models import Area, Level
from beatbook.areas.services import import_audit_by_force
from beatbook.core.exports import csv_cell_unescape
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, open_text, progress

from .. import services
from ..models import Activity
from ..services import RowsInvalid, activities_create_many
from .activity_rows import (
    BASIC_COLUMNS,
    COLUMNS,
    Lookups,
    ParsedRow,
    Problem,
    RowParser,
    canonical,
    chunks,
    data_of,
    import_key,
)

__all__ = ["COLUMNS", "IGNORED_COLUMNS", "REQUIRED_COLUMNS", "ActivityImportFailed", "Problem", "import_activities"]

KIND = "activities"
REQUIRED_COLUMNS = ("date", "type", "areas")
# Columns a new activity's row leaves out (the demo data writes the others).
IGNORED_COLUMNS = ("id",)
# How many problems a failure lists before "and N more".
MAX_LISTED = 20
# Service field names that are not column names.
SERVICE_FIELD_COLUMNS = {"starts_at": "date", "__all__": "row"}


# --- failures ----------------------------------------------------------------------------


class ActivityImportFailed(ImportFailed):
    """One or more bad rows. One problem reads like any import failure; several are listed."""

    def __init__(self, *, path: Path, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        if len(self.problems) == 1:
            only = self.problems[0]
            super().__init__(f"{only.message}; nothing was imported", path=path, line=only.line, field=only.field)
            return
        listed = [f"  {p.text(path.name)}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            listed.append(f"  … and {len(self.problems) - MAX_LISTED} more")
        rows = len({p.line for p in self.problems})
        message = f"{len(self.problems)} problems on {rows} rows; nothing was imported:\n" + "\n".join(listed)
        super().__init__(message, path=path)

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["problems"] = [{"line": p.line, "field": p.field, "error": p.message} for p in self.problems]
        return data


# --- reading the file --------------------------------------------------------------------


@dataclass
class SheetRow:
    line: int
    cells: list[Any]


def read_sheet(path: Path) -> tuple[list[str], list[SheetRow]]:
    """The header (as text) and the non-empty rows of a CSV or XLSX file, each with its line."""
    rows = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path)
    rows = [row for row in rows if not all(_blank(cell) for cell in row.cells)]
    if not rows:
        raise ImportFailed("is empty: expected a header row", path=path, line=1)
    header = ["" if cell is None else str(cell).replace("\ufeff", "").strip() for cell in rows[0].cells]
    if rows[0].line != 1:
        raise ImportFailed("the header must be the first line", path=path, line=rows[0].line)
    return header, rows[1:]


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _read_csv(path: Path) -> list[SheetRow]:
    rows = []
    with open_text(path) as source:
        reader = csv.reader(source)
        while True:
            start = source.line_number + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise ImportFailed(f"is not valid CSV: {exc}", path=path, line=start) from exc
            # The export guards text that a spreadsheet would run as a formula; undo exactly that.
            rows.append(SheetRow(start, [csv_cell_unescape(cell) for cell in cells]))
    return rows


def _read_xlsx(path: Path) -> list[SheetRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        raise ImportFailed("file not found", path=path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFailed(f"is not an Excel workbook (.xlsx) that can be read: {exc}", path=path) from exc
    try:
        if not workbook.worksheets:
            raise ImportFailed("has no worksheet", path=path)
        sheet = workbook.worksheets[0]
        return [SheetRow(line, list(values)) for line, values in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        workbook.close()


def cell_text(value: Any, column: str) -> str:
    """A cell as the text a CSV would hold: spreadsheets give dates, times and numbers as values."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if column == "time":
            return value.strftime("%H:%M")
        if column == "date":
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer() and column != "officer_hours":
        return str(int(value))
    return str(value).strip()


def column_positions(header: list[str], path: Path) -> dict[str, int]:
    """column name → position; unknown, repeated or missing required columns fail the file."""
    positions: dict[str, int] = {}
    unknown: list[str] = []
    repeated: list[str] = []
    known = set(COLUMNS)
    for index, text in enumerate(header):
        name = text.strip().lower()
        if not name:
            continue  # a blank header cell: spreadsheets often carry an empty last column
        if name not in known:
            unknown.append(text)
        elif name in positions:
            repeated.append(text)
        else:
            positions[name] = index
    reasons = []
    if unknown:
        reasons.append(f"unknown columns: {', '.join(unknown)}")
    if repeated:
        reasons.append(f"repeated columns: {', '.join(repeated)}")
    missing = [c for c in REQUIRED_COLUMNS if c not in positions]
    if missing:
        reasons.append(f"missing required columns: {', '.join(missing)}")
    if reasons:
        raise ImportFailed(
            "; ".join(reasons) + f" (the columns are those of the activity export: {', '.join(BASIC_COLUMNS)}, "
            "reached_<group>_<category>…)",
            path=path,
            line=1,
        )
    return positions


def _service_problems(parsed: ParsedRow, error: ValidationError) -> list[Problem]:
    """The service's objections to a row, but on columns the row's own checks have not named
    already (a negative count is reported once, in the importer's words)."""
    named = {p.field for p in parsed.problems}
    problems = []
    for name, messages in error.message_dict.items():
        column = SERVICE_FIELD_COLUMNS.get(name, name)
        if column not in named:
            problems += [Problem(parsed.line, column, message) for message in messages]
    return problems


# --- the import --------------------------------------------------------------------------


def _force(force_code: str | None, path: Path) -> Area | None:
    if not force_code:
        return None
    force = Area.objects.filter(level=Level.FORCE, code=force_code.strip()).first()
    if force is None:
        raise ImportFailed(f"no force has the code {force_code!r}", path=path, field="--force")
    return force


def import_activities(
    path: Path,
    *,
    commit: bool,
    force_code: str | None = None,
    show_progress: bool = False,
    today: dt.date | None = None,
    bulk: bool = False,
) -> ImportReport:
    """Import a CSV or XLSX file of activities (see the module note). Dry run unless `commit`.

    With `bulk` the new rows are checked by the same rules and written in a few statements
    (`services.activities_create_many`): ten times faster, with one audit event per force instead
    of one per row. Rows with an `id` are always updated one by one.
    """
    today = today or timezone.localdate()
    report = ImportReport(source=path.name, kind=KIND)
    header, sheet_rows = read_sheet(path)
    positions = column_positions(header, path)
    problems: list[Problem] = []
    rows: list[tuple[int, dict[str, str]]] = []
    width = len(header)
    for row in sheet_rows:
        extra = [c for c in row.cells[width:] if not _blank(c)]
        if extra:
            problems.append(Problem(row.line, "row", f"has {len(row.cells)} cells but the header has {width}"))
        values = {
            name: cell_text(row.cells[index], name) if index < len(row.cells) else ""
            for name, index in positions.items()
        }
        rows.append((row.line, values))
    report.read = len(rows)
    if not rows:
        raise ImportFailed("has a header but no rows", path=path, line=2)

    with import_transaction(commit):
        force = _force(force_code, path)
        lookups = Lookups([values for _, values in rows], force=force)
        parser = RowParser(lookups, today=today)
        parsed_rows: list[tuple[ParsedRow, str]] = []
        exported: list[ParsedRow] = []
        copies: Counter[str] = Counter()
        for line, values in progress(rows, enabled=show_progress, desc=f"{path.name} (reading)", total=len(rows)):
            parsed = parser.parse(line, values)
            problems += parsed.problems
            if parsed.activity_id is not None:
                exported.append(parsed)
                continue
            if parsed.data is None:
                continue
            base = import_key(parsed.canonical)
            copies[base] += 1
            parsed_rows.append((parsed, import_key(parsed.canonical, copy=copies[base])))
        changed, unchanged, id_problems = _match_exported(exported, lookups)
        problems += id_problems
        existing = _existing_keys({(_force_id(p), key) for p, key in parsed_rows})
        new_rows = [(p, key) for p, key in parsed_rows if (_force_id(p), key) not in existing]
        report.unchanged = len(parsed_rows) - len(new_rows) + unchanged
        problems += _save_changes(changed, today=today)
        if bulk:
            problems += _save_in_bulk(new_rows, today=today)
        else:
            problems += _save_each(new_rows, today=today, show_progress=show_progress, desc=f"{path.name} (saving)")
        report.created = len(new_rows)
        report.updated = len(changed)
        if problems:
            problems.sort(key=lambda p: (p.line, COLUMNS.index(p.field) if p.field in COLUMNS else len(COLUMNS)))
            report.rejected = len({p.line for p in problems})
            raise ActivityImportFailed(path=path, problems=problems)
        report.committed = commit
        if report.changed:
            force_ids = {_force_id(p) for p, _key in new_rows} | {activity.force_id for _p, activity in changed}
            import_audit_by_force(report=report, force_ids=force_ids)
    return report


def _force_id(parsed: ParsedRow) -> int | None:
    return parsed.force.pk if parsed.force is not None else None


def _match_exported(
    rows: list[ParsedRow], lookups: Lookups
) -> tuple[list[tuple[ParsedRow, Activity]], int, list[Problem]]:
    """Rows with an export's id: (row, activity) for each that changes its activity, how many
    say what their activity holds already, and the problems with the ids themselves."""
    changed: list[tuple[ParsedRow, Activity]] = []
    unchanged = 0
    problems: list[Problem] = []
    first_line: dict[int, int] = {}
    for parsed in rows:
        assert parsed.activity_id is not None
        number = parsed.activity_id
        seen = first_line.setdefault(number, parsed.line)
        activity = lookups.activities.get(number)
        message = ""
        if seen != parsed.line:
            message = f"activity {number} is also on line {seen}: a file may change an activity once"
        elif activity is None:
            message = f"no activity has the id {number}: remove the id to import the row as a new activity"
        elif parsed.force is not None and activity.force_id != parsed.force.pk:
            message = f"activity {number} is not an activity of {parsed.force.name}"
        if message:
            problems.append(Problem(parsed.line, "id", message))
        elif parsed.data is None or activity is None:
            continue  # the row's own problems are reported; it is compared once they are put right
        elif canonical(data_of(activity), activity.force) == parsed.canonical:
            unchanged += 1
        else:
            changed.append((parsed, activity))
    return changed, unchanged, problems


def _save_changes(rows: list[tuple[ParsedRow, Activity]], *, today: dt.date) -> list[Problem]:
    """Each corrected row through `services.activity_update`, as the full edit saves one."""
    problems: list[Problem] = []
    for parsed, activity in rows:
        assert parsed.data is not None
        try:
            services.activity_update(actor=None, activity=activity, data=parsed.data, today=today)
        except ValidationError as error:
            problems += _service_problems(parsed, error)
    return problems


def _save_each(rows: list[tuple[ParsedRow, str]], *, today: dt.date, show_progress: bool, desc: str) -> list[Problem]:
    """Each row through `services.activity_create`, as a form or the API records one."""
    problems: list[Problem] = []
    for parsed, key in progress(rows, enabled=show_progress, desc=desc):
        assert parsed.data is not None
        try:
            services.activity_create(actor=None, data=parsed.data, import_key=key, today=today)
        except ValidationError as error:
            problems += _service_problems(parsed, error)
    return problems


def _save_in_bulk(rows: list[tuple[ParsedRow, str]], *, today: dt.date) -> list[Problem]:
    """All rows checked by the same rules, then written in a few statements (see `bulk`)."""
    batch = []
    for parsed, key in rows:
        assert parsed.data is not None  # only rows that were understood are saved
        batch.append((parsed.data, key))
    try:
        activities_create_many(actor=None, rows=batch, today=today)
    except RowsInvalid as invalid:
        problems: list[Problem] = []
        for index, error in sorted(invalid.errors.items()):
            problems += _service_problems(rows[index][0], error)
        return problems
    return []


def _existing_keys(wanted: set[tuple[int | None, str]]) -> set[tuple[int | None, str]]:
    """Which of these (force, import key) pairs are already held: rows imported before."""
    found: set[tuple[int | None, str]] = set()
    by_force: dict[int | None, list[str]] = defaultdict(list)
    for force_id, key in wanted:
        by_force[force_id].append(key)
    for force_id, keys in by_force.items():
        if force_id is None:
            continue
        for chunk in chunks(keys):
            held = Activity.objects.filter(force_id=force_id, import_key__in=chunk).values_list("import_key", flat=True)
            found |= {(force_id, key) for key in held}
    return found
