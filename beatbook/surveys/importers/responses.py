"""Import survey responses collected elsewhere (paper, phone, another tool) from CSV.

Columns: `wave` (its code), `submitted_at` (ISO date or date-time; London time when no offset
is given), `postcode` or `lsoa` (either or both; blank is allowed: the response is kept but
counts for no area), optional `channel` (paper, phone, online or import; default import),
`language` (default en), optional `id` (the source's own response id), then one column per
question key. Every row is validated like a response entered on the form; any bad row stops
the whole file, and the failure names each bad row's line and column (up to 20 of them).

Re-importing a file changes nothing: each row is keyed by its `id`, or else by a hash of its
contents (with a counter for identical rows), and a row already imported is left as it is or
updated if the file now says something else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError

from beatbook.areas.importers.common import CsvRows, normalise_header
from beatbook.areas.models import Area, Level
from beatbook.areas.services import import_audit_by_force
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, progress

from .. import selectors
from ..models import Channel, Survey

LONDON = zoneinfo.ZoneInfo("Europe/London")
FIXED_COLUMNS = ("wave", "submitted_at", "postcode", "lsoa", "channel", "language", "id")
MAX_PROBLEMS = 20


def parse_moment(text: str) -> dt.datetime:
    value = text.strip()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date or date-time like 2026-05-14 or 2026-05-14T18:30") from None
    if len(value) == 10:  # a date alone: midday, so the London date is the date given
        moment = moment.replace(hour=12)
    return moment if moment.tzinfo else moment.replace(tzinfo=LONDON)


def _import_key(given_id: str, cells: list[str], occurrences: Counter[str]) -> str:
    if given_id:
        return f"id:{given_id}"[:80]
    digest = hashlib.sha256("\x1f".join(cell.strip() for cell in cells).encode()).hexdigest()[:40]
    occurrences[digest] += 1
    return f"row:{digest}:{occurrences[digest]}"


def import_survey_responses(path: Path, *, survey: Survey, commit: bool, show_progress: bool = False) -> ImportReport:
    """Import one CSV of responses into `survey`. Dry run unless `commit`; all or nothing."""
    from ..services import response_import

    report = ImportReport(source=path.name, kind="survey responses")
    waves = {wave.code: wave for wave in selectors.survey_waves(survey)}
    questions = selectors.current_questions(survey)
    lsoas = {
        area.code: area
        for area in Area.objects.filter(level=Level.LSOA, force_id=survey.force_id).select_related("parent")
    }
    problems: list[ImportFailed] = []

    def problem(message: str, line: int, column: str) -> None:
        problems.append(ImportFailed(message, path=path, line=line, field=column))

    with CsvRows(path) as rows, import_transaction(commit):
        header = [normalise_header(h) for h in rows.header]
        if "wave" not in header or "submitted_at" not in header:
            raise ImportFailed("needs the columns wave and submitted_at", path=path, line=1)
        unknown = [h for h in header if h not in FIXED_COLUMNS and h not in questions]
        if unknown:
            raise ImportFailed(
                f"has columns that are not questions of survey {survey.slug}: {', '.join(unknown)}",
                path=path,
                line=1,
            )
        if not any(h in questions for h in header):
            raise ImportFailed("has no question columns", path=path, line=1)
        occurrences: Counter[str] = Counter()
        for line, cells in progress(rows, enabled=show_progress, desc="responses"):
            report.read += 1
            row = dict(zip(header, (cell.strip() for cell in cells), strict=False))
            wave = waves.get(row["wave"])
            if wave is None:
                problem(f"no wave {row['wave']!r} in survey {survey.slug}", line, "wave")
                continue
            try:
                submitted_at = parse_moment(row["submitted_at"])
            except ValueError as error:
                problem(str(error), line, "submitted_at")
                continue
            lsoa = None
            if row.get("lsoa"):
                lsoa = lsoas.get(row["lsoa"].upper())
                if lsoa is None:
                    problem(f"{row['lsoa']!r} is not an LSOA of the survey's force", line, "lsoa")
                    continue
            try:
                outcome = response_import(
                    survey=survey,
                    wave=wave,
                    answers={key: value for key, value in row.items() if key in questions},
                    language=row.get("language") or "en",
                    channel=row.get("channel") or Channel.IMPORT,
                    lsoa=lsoa,
                    postcode=row.get("postcode") or None,
                    submitted_at=submitted_at,
                    questions=questions,
                    import_key=_import_key(row.get("id", ""), cells, occurrences),
                )
            except ValidationError as error:
                for column, messages in error.message_dict.items():
                    problem("; ".join(messages), line, column)
                continue
            if outcome == "created":
                report.created += 1
            elif outcome == "updated":
                report.updated += 1
            else:
                report.unchanged += 1
        if problems:
            report.rejected = len({p.line for p in problems})
            first = problems[0]
            more = "; ".join(f"line {p.line} column {p.field!r}: {p.reason}" for p in problems[1:MAX_PROBLEMS])
            extra = f" (also {more}{'; …' if len(problems) > MAX_PROBLEMS else ''})" if more else ""
            raise ImportFailed(
                f"{first.reason}{extra}. Nothing was imported.", path=path, line=first.line, field=first.field
            )
        report.committed = commit
        import_audit_by_force(report=report, force_ids=[survey.force_id])
    return report
