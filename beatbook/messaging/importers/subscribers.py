"""Import an existing subscriber list, only with the evidence of each person's consent.

    import_subscribers(Path("alerts-list.csv"), commit=True, force_code="LEICS")

A UTF-8 CSV (plain or .gz) with a header row; columns in any order:

- `email` and/or `phone` (a UK mobile number): at least one;
- `postcode` and/or `neighbourhoods` (neighbourhood codes of the force, separated by `;`):
  at least one; with only a postcode, its neighbourhood is used;
- `interests`: interest slugs separated by `;` (e.g. `burglary;road-safety`); at least one;
- `language` (en, cy, ur, pa, gu, pl; default en), `email_format` (html or text, default
  html), `frequency` (immediate or weekly, default immediate): optional;
- `consent_date` (YYYY-MM-DD, or an ISO date and time), `consent_method` (how the person
  agreed on the old list: web_form, paper, phone or import) and `consent_source` (where the
  evidence is: the old system and its wording, the form's reference…): all three required.

A row without its consent evidence is refused, named by file, line and field, and then the
whole file is refused: nothing from a file with one bad row is saved. Imported subscribers
are active at once, with a `Consent` of method `import` per channel whose evidence names the
file, line and what the row said. People matched by email or number are brought up to date
(never signed up again if they left), so importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, open_text, progress
from beatbook.surveys.importers.postcodes import normalise_postcode
from beatbook.surveys.models import Postcode

from .. import subscriber_selectors as selectors
from .. import subscriber_services as services
from ..models import ConsentMethod, EmailFormat, Frequency

KIND = "subscribers"
COLUMNS = (
    "email",
    "phone",
    "postcode",
    "neighbourhoods",
    "interests",
    "language",
    "email_format",
    "frequency",
    "consent_date",
    "consent_method",
    "consent_source",
)
REQUIRED_COLUMNS = ("consent_date", "consent_method", "consent_source")
MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str


class SubscriberImportFailed(ImportFailed):
    def __init__(self, *, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        if len(problems) == 1:
            only = problems[0]
            super().__init__(f"{only.message}; nothing was imported", path=path, line=only.line, field=only.field)
            return
        listed = [f"  {path.name}, line {p.line}, field {p.field!r}: {p.message}" for p in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            listed.append(f"  … and {len(problems) - MAX_LISTED} more")
        super().__init__(f"{len(problems)} problems; nothing was imported:\n" + "\n".join(listed), path=path)

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["problems"] = [{"line": p.line, "field": p.field, "error": p.message} for p in self.problems]
        return data


def _force(code: str | None, path: Path) -> Area:
    forces = Area.objects.filter(level=Level.FORCE)
    if code:
        force = forces.filter(code=code).first()
        if force is None:
            raise ImportFailed(f"no force with the code {code!r}", path=path)
        return force
    found = list(forces[:2])
    if len(found) != 1:
        raise ImportFailed("there are several forces (or none): name one with --force CODE", path=path)
    return found[0]


def _read(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    rows: list[tuple[int, list[str]]] = []
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
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
    if not rows or rows[0][0] != 1:
        raise ImportFailed("expected a header row on line 1", path=path, line=1)
    header = [cell.strip().lower() for cell in rows[0][1]]
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise ImportFailed(f"unknown columns {', '.join(unknown)}; expected {', '.join(COLUMNS)}", path=path, line=1)
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise ImportFailed(
            f"no {', '.join(missing)} column: every subscriber needs the evidence of their consent",
            path=path,
            line=1,
            field=missing[0],
        )
    return header, rows[1:]


def _consent_time(text: str) -> dt.datetime:
    """A date (midnight, London time) or an ISO date and time; ValueError otherwise."""
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return timezone.make_aware(dt.datetime.combine(day, dt.time()))
    moment = dt.datetime.fromisoformat(text)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class RowReader:
    """Turns one row's text into an `ImportedSubscriber`, collecting problems by field."""

    def __init__(self, force: Area, path: Path) -> None:
        self.path = path
        self.areas = {a.code.upper(): a.pk for a in selectors.neighbourhoods_of(force)}
        self.interests = services.interest_ids_by_slug(force)
        self.force = force
        self.postcodes: dict[str, tuple[int | None, int | None, int | None]] = {}

    def _postcode(self, text: str) -> tuple[int | None, int | None, int | None] | None:
        """(LSOA id, neighbourhood id, LSOA's force id) of a known postcode, or None."""
        if text not in self.postcodes:
            entry = Postcode.objects.select_related("lsoa__parent").filter(postcode=text).first()
            if entry is None or entry.lsoa is None:
                return None
            parent = entry.lsoa.parent
            hood = parent.pk if parent is not None and parent.level == Level.NEIGHBOURHOOD else None
            self.postcodes[text] = (entry.lsoa_id, hood, entry.lsoa.force_id)
        return self.postcodes[text]

    def read(self, line: int, row: dict[str, str], problems: list[Problem]) -> services.ImportedSubscriber | None:
        found: list[Problem] = []

        def problem(field: str, message: str) -> None:
            found.append(Problem(line, field, message))

        email = phone = ""
        if row["email"]:
            try:
                email = services.normalise_email(row["email"])
            except ValidationError as error:
                problem("email", error.messages[0])
        if row["phone"]:
            try:
                phone = services.normalise_mobile(row["phone"])
            except ValidationError as error:
                problem("phone", error.messages[0])
        if not row["email"] and not row["phone"]:
            problem("email", "give an email address or a mobile number")
        postcode, lsoa_id, home_hood = "", None, None
        if row["postcode"]:
            try:
                postcode = normalise_postcode(row["postcode"])
            except ValueError:
                problem("postcode", f"{row['postcode']!r} is not a UK postcode")
            else:
                known = self._postcode(postcode)
                if known is None:
                    problem("postcode", f"{postcode} is not a known postcode (import the postcode directory)")
                elif known[2] != self.force.pk:
                    problem("postcode", f"{postcode} is outside {self.force.name}")
                else:
                    lsoa_id, home_hood = known[0], known[1]
        area_ids: list[int] = []
        for code in filter(None, (c.strip().upper() for c in row["neighbourhoods"].split(";"))):
            if code not in self.areas:
                problem("neighbourhoods", f"{code} is not a neighbourhood of {self.force.name}")
            else:
                area_ids.append(self.areas[code])
        if not area_ids and home_hood is not None:
            area_ids = [home_hood]
        if not area_ids and not any(p.field in ("postcode", "neighbourhoods") for p in found):
            problem("neighbourhoods", "give neighbourhood codes or a postcode")
        interest_ids: list[int] = []
        for slug in filter(None, (s.strip().lower() for s in row["interests"].split(";"))):
            if slug not in self.interests:
                problem("interests", f"{slug!r} is not one of the interests: {', '.join(sorted(self.interests))}")
            else:
                interest_ids.append(self.interests[slug])
        if not row["interests"].strip():
            problem("interests", "give at least one interest")
        language = (row["language"] or "en").lower()
        if language not in selectors.LANGUAGE_CODES:
            problem("language", f"{language!r} is not one of {', '.join(selectors.LANGUAGE_CODES)}")
        email_format = (row["email_format"] or EmailFormat.HTML).lower()
        if email_format not in EmailFormat.values:
            problem("email_format", "must be html or text")
        frequency = (row["frequency"] or Frequency.IMMEDIATE).lower()
        if frequency not in Frequency.values:
            problem("frequency", "must be immediate or weekly")
        given_at = None
        if not row["consent_date"]:
            problem("consent_date", "no consent date: a subscriber is imported only with the evidence of consent")
        else:
            try:
                given_at = _consent_time(row["consent_date"])
            except ValueError:
                problem("consent_date", f"{row['consent_date']!r} is not a date (YYYY-MM-DD)")
            else:
                if given_at > timezone.now():
                    problem("consent_date", "is in the future")
        method = row["consent_method"].lower()
        if not method:
            problem("consent_method", "no consent method: say how the person agreed (web_form, paper, phone)")
        elif method not in ConsentMethod.values:
            problem("consent_method", f"{method!r} is not one of {', '.join(ConsentMethod.values)}")
        if not row["consent_source"]:
            problem("consent_source", "no consent source: say where the evidence of consent is kept")
        problems.extend(found)
        if found or given_at is None:
            return None
        evidence = (
            f"Imported from {self.path.name} line {line}. Consent given on {row['consent_date']} "
            f"by {method}; evidence: {row['consent_source']}"
        )
        return services.ImportedSubscriber(
            email=email,
            phone=phone,
            postcode=postcode,
            home_lsoa_id=lsoa_id,
            area_ids=sorted(set(area_ids)),
            interest_ids=sorted(set(interest_ids)),
            language=language,
            email_format=email_format,
            frequency=frequency,
            consent_given_at=given_at,
            evidence=evidence,
        )


def import_subscribers(
    path: Path, *, commit: bool, force_code: str | None = None, show_progress: bool = False
) -> ImportReport:
    report = ImportReport(source=str(path), kind=KIND)
    force = _force(force_code, path)
    header, rows = _read(path)
    reader = RowReader(force, path)
    problems: list[Problem] = []
    parsed: list[services.ImportedSubscriber] = []
    seen: dict[str, int] = {}
    for line, cells in progress(rows, enabled=show_progress, desc="Checking subscribers", total=len(rows)):
        report.read += 1
        row = dict.fromkeys(COLUMNS, "")
        row.update({name: cell.strip() for name, cell in zip(header, cells, strict=False) if name})
        item = reader.read(line, row, problems)
        if item is None:
            continue
        for key in filter(None, (item.email, item.phone)):
            if key in seen:
                problems.append(Problem(line, "email" if key == item.email else "phone", f"repeats line {seen[key]}"))
            seen[key] = line
        parsed.append(item)
    if problems:
        raise SubscriberImportFailed(path=path, problems=problems)
    with import_transaction(commit):
        counts = services.subscribers_import(force=force, rows=parsed)
    report.committed = commit
    report.created, report.updated, report.unchanged = counts.created, counts.updated, counts.unchanged
    for reason, count in counts.skipped.items():
        report.skip(reason, count)
    return report
