"""`beatbook import-survey-responses FILE [--survey SLUG] [--commit] [--json]`: responses from CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from beatbook.core.imports import ImportCommand, ImportReport
from beatbook.surveys.importers.responses import import_survey_responses
from beatbook.surveys.models import Survey


def find_survey(slug: str | None) -> Survey:
    """The survey named by --survey, or the only survey when there is one."""
    surveys = Survey.objects.select_related("force")
    if slug:
        survey = surveys.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"No survey has the short name {slug!r}.")
        return survey
    found = list(surveys[:2])
    if len(found) != 1:
        raise CommandError("Say which survey with --survey SLUG." if found else "There is no survey yet.")
    return found[0]


class Command(ImportCommand):
    help = (
        "Import survey responses from CSV: columns wave, submitted_at, postcode or lsoa, channel, language, "
        "optional id, then one column per question key. All or nothing; re-importing changes nothing. "
        "Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="FILE", help="The CSV file (plain or .gz).")
        parser.add_argument("--survey", metavar="SLUG", help="The survey (default: the only one).")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_survey_responses(
            Path(options["path"]), survey=find_survey(options["survey"]), commit=commit, show_progress=show_progress
        )
