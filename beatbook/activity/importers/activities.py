"""Import engagement activity from a spreadsheet: a CSV (UTF-8, plain or .gz) or an .xlsx workbook.

    import_activities(Path("activity-2025.csv"), commit=True)

The columns are the export's (`COLUMNS`), in any order; only `date`, `type` and `areas` must
be there, and a column the importer does not know is an error rather than silently dropped.
Each row becomes an `ActivityData` and goes through `services.activity_create`, so a row
obeys exactly the rules of the forms and the API; the importer only turns text into values
(names and codes into rows of the database, looked up once per file).

Every problem of every row is collected, named by physical line (the header is line 1; a
row with a quoted line break is named by its first line) and field, and then the whole
file is refused: nothing from a file with one bad row is saved.

Importing the same file again changes nothing: each row's `import_key` is the SHA-256 of its
values as understood (so `Patch walk` and `patch-walk` are the same row), and a row whose
key the force already holds is counted as unchanged. Identical rows within one file are
kept apart by their position among the copies (the second copy is a second activity, as
two identical posts on one day are).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zipfile import BadZipFile

from django.core.exceptions import ValidationError
from django.utils import timezone

from beatbook.accounts.models import User
from beatbook.areas.models import Area, Level
from beatbook.areas.services import import_audit_by_force
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, open_text, progress

from .. import services
from ..access import ACTIVITY_LEVELS
from ..demographics import clean_demographics, field_names
from ..exports import EXPORT_COLUMNS, csv_cell_unescape, demographic_column
from ..models import Activity, ActivityType, IssueCategory, Partner, Place
from ..services import RowsInvalid, activities_create_many

KIND = "activities"
LIST_SEPARATOR = ";"
DEFAULT_TIME = dt.time(12, 0)
REQUIRED_COLUMNS = ("date", "type", "areas")
IGNORED_COLUMNS = ("id",)
# How many problems a failure lists before "and N more".
MAX_LISTED = 20
# Longest `IN (…)` list sent at once: SQLite limits the number of query parameters.
IN_LIST_LIMIT = 900
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0", ""})
# Text columns and the longest value the database keeps for each.
TEXT_LIMITS: dict[str, int | None] = {
    "title": Activity._meta.get_field("title").max_length,
    "address": Activity._meta.get_field("address").max_length,
    "other_partners": Activity._meta.get_field("other_partners").max_length,
    "issues_raised": None,
    "follow_up": None,
    "notes": None,
}
# Service field names that are not column names.
SERVICE_FIELD_COLUMNS = {"starts_at": "date", "__all__": "row"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


DEMOGRAPHIC_COLUMNS = {demographic_column(g, c): (g, c) for g, c in field_names()}
# The export's columns: a file exported, corrected in a spreadsheet and imported again means
# what it meant. Its `id` column is accepted and ignored.
COLUMNS: list[str] = list(EXPORT_COLUMNS)
BASIC_COLUMNS = [c for c in COLUMNS if c not in DEMOGRAPHIC_COLUMNS]


# --- failures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def text(self, file: str) -> str:
        return f"{file}:{self.line}: {self.field}: {self.message}"


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


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


# --- looking names and codes up once -----------------------------------------------------


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(set(values))
    for start in range(0, len(items), IN_LIST_LIMIT):
        yield items[start : start + IN_LIST_LIMIT]


class Lookups:
    """The database rows a file's names and codes refer to, fetched in a few queries."""

    def __init__(self, rows: list[dict[str, str]], *, force: Area | None) -> None:
        self.force = force
        self.types: dict[str, ActivityType] = {}
        for activity_type in ActivityType.objects.all():
            self.types[activity_type.slug.lower()] = activity_type
            self.types[activity_type.name.lower()] = activity_type
        self.categories: dict[str, IssueCategory] = {}
        for category in IssueCategory.objects.all():
            self.categories[category.slug.lower()] = category
            self.categories[category.name.lower()] = category

        codes = {code for row in rows for code in split_list(row.get("areas", ""))}
        self.areas: dict[str, list[Area]] = defaultdict(list)
        for chunk in _chunks(codes):
            for area in Area.objects.filter(code__in=chunk, level__in=ACTIVITY_LEVELS).select_related("force"):
                self.areas[area.code].append(area)
        missing = codes - set(self.areas)
        self.other_levels: dict[str, str] = {}
        for chunk in _chunks(missing):
            for code, level in Area.objects.filter(code__in=chunk).values_list("code", "level"):
                self.other_levels[code] = str(Level(level).label).lower()

        ward_codes = {row["ward"] for row in rows if row.get("ward")}
        self.wards: dict[str, Area] = {}
        for chunk in _chunks(ward_codes):
            self.wards.update({w.code: w for w in Area.objects.filter(level=Level.WARD, code__in=chunk)})

        usernames = {name.lower() for row in rows for name in split_list(row.get("officers", ""))}
        self.users: dict[str, User] = {}
        for chunk in _chunks(usernames):
            for user in User.objects.filter(username__in=chunk).select_related("area", "area__force"):
                self.users[user.username.lower()] = user
        # Usernames typed in another case: one more query only when there are some.
        unmatched = usernames - set(self.users)
        if unmatched:
            for user in User.objects.select_related("area", "area__force").filter(
                username__iregex=r"^(" + "|".join(re.escape(u) for u in sorted(unmatched)) + r")$"
            ):
                self.users.setdefault(user.username.lower(), user)

        force_ids = {a.owning_force.pk for found in self.areas.values() for a in found if a.owning_force is not None}
        if force is not None:
            force_ids.add(force.pk)
        self.partners = {(p.force_id, p.name.lower()): p for p in Partner.objects.filter(force_id__in=force_ids)}
        self.places = {(p.force_id, p.name.lower()): p for p in Place.objects.filter(force_id__in=force_ids)}

    def area(self, code: str) -> tuple[Area | None, str]:
        """The area with this code, or None and why not."""
        found = self.areas.get(code, [])
        if self.force is not None:
            found = [a for a in found if a.owning_force == self.force]
            if not found and self.areas.get(code):
                return None, f"{code} is not an area of {self.force.name} ({self.force.code})"
        if len(found) > 1:
            levels = ", ".join(sorted(str(Level(a.level).label).lower() for a in found))
            return None, f"{code} names more than one area ({levels}); give --force or use another code"
        if found:
            return found[0], ""
        if code in self.other_levels:
            return None, f"{code} is a {self.other_levels[code]}: give a neighbourhood, NPA or force code"
        return None, f"no neighbourhood, NPA or force has the code {code}"


# --- one row -----------------------------------------------------------------------------


@dataclass
class ParsedRow:
    line: int
    data: services.ActivityData | None
    force: Area | None
    canonical: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)


class RowParser:
    """Turns one row's text into an ActivityData, noting every value it cannot understand."""

    def __init__(self, lookups: Lookups) -> None:
        self.lookups = lookups

    def parse(self, line: int, values: dict[str, str]) -> ParsedRow:
        problems: list[Problem] = []

        def problem(name: str, message: str) -> None:
            problems.append(Problem(line, name, message))

        text = {name: values.get(name, "") for name in COLUMNS}
        day = self._date(text["date"], problem)
        moment = self._time(text["time"], problem)
        activity_type = self._type(text["type"], problem)
        areas = self._areas(text["areas"], problem)
        force = self._force_of(areas)

        ward = None
        if text["ward"]:
            ward = self.lookups.wards.get(text["ward"])
            if ward is None:
                problem("ward", f"no ward has the code {text['ward']}")
        place = None
        if text["place"]:
            place = self.lookups.places.get((force.pk, text["place"].lower())) if force is not None else None
            if place is None:
                problem("place", f"“{text['place']}” is not one of the force's places")
        latitude = self._number(text["latitude"], "latitude", problem)
        longitude = self._number(text["longitude"], "longitude", problem)
        officers = self._officers(text["officers"], force, problem)
        partners = self._named(text["partners"], force, self.lookups.partners, "partners", "partners", problem)
        categories = self._categories(text["issue_categories"], problem)
        people = self._whole(text["people_reached"], "people_reached", problem)
        online = self._whole(text["online_reach"], "online_reach", problem)
        hours = self._hours(text["officer_hours"], problem)
        priorities = self._yes_no(text["priorities_set"], "priorities_set", problem)
        shared = self._yes_no(text["shared_with_partners"], "shared_with_partners", problem)
        demographics = self._demographics(text, problem)
        for name, limit in TEXT_LIMITS.items():
            if limit is not None and len(text[name]) > limit:
                problem(name, f"is {len(text[name])} characters long; at most {limit} are kept")
        links = split_list(text["links"])

        data = None
        if activity_type is not None and areas and day is not None:
            starts_at = dt.datetime.combine(day, moment or DEFAULT_TIME, tzinfo=timezone.get_default_timezone())
            data = services.ActivityData(
                type=activity_type,
                starts_at=starts_at,
                areas=areas,
                title=text["title"],
                address=text["address"],
                ward=ward,
                place=place,
                latitude=latitude,
                longitude=longitude,
                officers=officers,
                partners=partners,
                other_partners=text["other_partners"],
                people_reached=people or 0,
                online_reach=online or 0,
                demographics=demographics,
                issues_raised=text["issues_raised"],
                issue_categories=categories,
                follow_up=text["follow_up"],
                priorities_set=bool(priorities),
                officer_hours=hours if hours is not None else Decimal(0),
                links=links,
                notes=text["notes"],
                shared_with_partners=bool(shared),
            )
        canonical = _canonical(data, force) if data is not None else {}
        return ParsedRow(line=line, data=data, force=force, canonical=canonical, problems=problems)

    # Each reader returns None (and notes a problem) when the text cannot be understood.

    @staticmethod
    def _date(value: str, problem: Any) -> dt.date | None:
        if not value:
            problem("date", "is empty: give the date as YYYY-MM-DD")
            return None
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        problem("date", f"“{value}” is not a date in the form YYYY-MM-DD")
        return None

    @staticmethod
    def _time(value: str, problem: Any) -> dt.time | None:
        if not value:
            return None
        match = _TIME.match(value)
        if match:
            hour, minute = int(match[1]), int(match[2])
            if hour < 24 and minute < 60:
                return dt.time(hour, minute)
        problem("time", f"“{value}” is not a time in the form HH:MM")
        return None

    def _type(self, value: str, problem: Any) -> ActivityType | None:
        if not value:
            problem("type", "is empty: give the activity type's name or slug")
            return None
        found = self.lookups.types.get(value.lower())
        if found is None:
            problem("type", f"“{value}” is not an activity type")
        return found

    def _areas(self, value: str, problem: Any) -> list[Area]:
        codes = split_list(value)
        if not codes:
            problem("areas", "is empty: give one or more area codes separated by ;")
        areas = []
        for code in codes:
            area, reason = self.lookups.area(code)
            if area is None:
                problem("areas", reason)
            elif area not in areas:
                areas.append(area)
        return areas

    def _force_of(self, areas: list[Area]) -> Area | None:
        if self.lookups.force is not None:
            return self.lookups.force
        # A row across forces is refused by the service; the first area's force names its partners.
        return areas[0].owning_force if areas else None

    def _officers(self, value: str, force: Area | None, problem: Any) -> list[User]:
        officers: list[User] = []
        unknown: list[str] = []
        elsewhere: list[str] = []
        for name in split_list(value):
            user = self.lookups.users.get(name.lower())
            if user is None:
                unknown.append(name)
            elif force is not None and (user.area is None or user.area.owning_force != force):
                elsewhere.append(name)
            elif user not in officers:
                officers.append(user)
        if unknown:
            problem("officers", f"no account has the username {', '.join(unknown)}")
        if elsewhere:
            problem("officers", f"{', '.join(elsewhere)} do not work in this force")
        return officers

    @staticmethod
    def _named(
        value: str,
        force: Area | None,
        table: dict[tuple[int, str], Any],
        column: str,
        what: str,
        problem: Any,
    ) -> list[Any]:
        found: list[Any] = []
        unknown: list[str] = []
        for name in split_list(value):
            row = table.get((force.pk, name.lower())) if force is not None else None
            if row is None:
                unknown.append(name)
            elif row not in found:
                found.append(row)
        if unknown:
            problem(column, f"not among the force's {what}: {', '.join(unknown)}")
        return found

    def _categories(self, value: str, problem: Any) -> list[IssueCategory]:
        found: list[IssueCategory] = []
        unknown: list[str] = []
        for name in split_list(value):
            category = self.lookups.categories.get(name.lower())
            if category is None:
                unknown.append(name)
            elif category not in found:
                found.append(category)
        if unknown:
            problem("issue_categories", f"not issue categories: {', '.join(unknown)}")
        return found

    @staticmethod
    def _whole(value: str, name: str, problem: Any) -> int | None:
        # Negative numbers are read here and refused by the service, with its own message.
        text = value.replace(",", "").replace(" ", "")
        if not text:
            return None
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        problem(name, f"“{value}” is not a whole number")
        return None

    @staticmethod
    def _number(value: str, name: str, problem: Any) -> float | None:
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            problem(name, f"“{value}” is not a number")
            return None
        return number

    @staticmethod
    def _hours(value: str, problem: Any) -> Decimal | None:
        if not value:
            return None
        try:
            hours = Decimal(value.replace(",", ""))
        except InvalidOperation:
            problem("officer_hours", f"“{value}” is not a number of hours")
            return None
        if not hours.is_finite():
            problem("officer_hours", f"“{value}” is not a number of hours")
            return None
        if hours != hours.quantize(Decimal("0.01")):
            problem("officer_hours", f"“{value}”: give hours to at most two decimal places")
            return None
        return hours.quantize(Decimal("0.01"))

    @staticmethod
    def _yes_no(value: str, name: str, problem: Any) -> bool | None:
        lowered = value.lower()
        if lowered in YES:
            return True
        if lowered in NO:
            return False
        problem(name, f"“{value}” is not yes or no")
        return None

    def _demographics(self, text: dict[str, str], problem: Any) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for column, (group, category) in DEMOGRAPHIC_COLUMNS.items():
            number = self._whole(text[column], column, problem)
            if number is not None:
                counts.setdefault(group, {})[category] = number
        return clean_demographics(counts)


def _canonical(data: services.ActivityData, force: Area | None) -> dict[str, Any]:
    """A row's values as understood, the same however they were spelt: what the import key hashes."""
    local = timezone.localtime(data.starts_at)
    return {
        "force": force.code if force is not None else "",
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "type": data.type.slug,
        "areas": sorted(f"{a.level}:{a.code}" for a in data.areas),
        "title": data.title,
        "address": data.address,
        "ward": data.ward.code if data.ward else "",
        "place": data.place.name if data.place else "",
        "latitude": data.latitude,
        "longitude": data.longitude,
        "officers": sorted(u.username for u in data.officers),
        "partners": sorted(p.name for p in data.partners),
        "other_partners": data.other_partners,
        "people_reached": data.people_reached,
        "online_reach": data.online_reach,
        "demographics": data.demographics,
        "issues_raised": data.issues_raised,
        "issue_categories": sorted(c.slug for c in data.issue_categories),
        "follow_up": data.follow_up,
        "priorities_set": data.priorities_set,
        "officer_hours": f"{data.officer_hours:.2f}",
        "links": list(data.links),
        "notes": data.notes,
        "shared_with_partners": data.shared_with_partners,
    }


def import_key(canonical: dict[str, Any], *, copy: int = 1) -> str:
    """SHA-256 of a row's understood values; the second identical row of a file is copy 2."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if copy > 1:
        text += f"#{copy}"
    return hashlib.sha256(text.encode()).hexdigest()


def _service_problems(line: int, error: ValidationError) -> list[Problem]:
    problems = []
    for name, messages in error.message_dict.items():
        column = SERVICE_FIELD_COLUMNS.get(name, name)
        problems += [Problem(line, column, message) for message in messages]
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

    With `bulk` the rows are checked by the same rules and written in a few statements
    (`services.activities_create_many`): ten times faster, with one audit event per force instead of one per row.
    """
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
            if name not in IGNORED_COLUMNS
        }
        rows.append((row.line, values))
    report.read = len(rows)
    if not rows:
        raise ImportFailed("has a header but no rows", path=path, line=2)

    with import_transaction(commit):
        force = _force(force_code, path)
        lookups = Lookups([values for _, values in rows], force=force)
        parser = RowParser(lookups)
        parsed_rows: list[tuple[ParsedRow, str]] = []
        copies: Counter[str] = Counter()
        for line, values in progress(rows, enabled=show_progress, desc=f"{path.name} (reading)", total=len(rows)):
            parsed = parser.parse(line, values)
            problems += parsed.problems
            if parsed.data is None:
                continue
            base = import_key(parsed.canonical)
            copies[base] += 1
            parsed_rows.append((parsed, import_key(parsed.canonical, copy=copies[base])))
        existing = _existing_keys({(_force_id(p), key) for p, key in parsed_rows})
        new_rows = [(p, key) for p, key in parsed_rows if (_force_id(p), key) not in existing]
        report.unchanged = len(parsed_rows) - len(new_rows)
        if bulk:
            problems += _save_in_bulk(new_rows, today=today)
        else:
            problems += _save_each(new_rows, today=today, show_progress=show_progress, desc=f"{path.name} (saving)")
        report.created = len(new_rows)
        if problems:
            problems.sort(key=lambda p: (p.line, COLUMNS.index(p.field) if p.field in COLUMNS else len(COLUMNS)))
            report.rejected = len({p.line for p in problems})
            raise ActivityImportFailed(path=path, problems=problems)
        report.committed = commit
        if report.created:
            import_audit_by_force(report=report, force_ids={_force_id(p) for p, _key in new_rows})
    return report


def _force_id(parsed: ParsedRow) -> int | None:
    return parsed.force.pk if parsed.force is not None else None


def _save_each(
    rows: list[tuple[ParsedRow, str]], *, today: dt.date | None, show_progress: bool, desc: str
) -> list[Problem]:
    """Each row through `services.activity_create`, as a form or the API records one."""
    problems: list[Problem] = []
    for parsed, key in progress(rows, enabled=show_progress, desc=desc):
        assert parsed.data is not None
        try:
            services.activity_create(actor=None, data=parsed.data, import_key=key, today=today)
        except ValidationError as error:
            problems += [p for p in _service_problems(parsed.line, error) if p not in parsed.problems]
    return problems


def _save_in_bulk(rows: list[tuple[ParsedRow, str]], *, today: dt.date | None) -> list[Problem]:
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
            parsed = rows[index][0]
            problems += [p for p in _service_problems(parsed.line, error) if p not in parsed.problems]
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
        for chunk in _chunks(keys):
            held = Activity.objects.filter(force_id=force_id, import_key__in=chunk).values_list("import_key", flat=True)
            found |= {(force_id, key) for key in held}
    return found
