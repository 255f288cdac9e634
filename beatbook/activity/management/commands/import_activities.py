"""`beatbook import-activities FILE [--force CODE] [--commit] [--json]`: engagement activity from a spreadsheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.activity.importers.activities import REQUIRED_COLUMNS, import_activities
from beatbook.core.imports import ImportCommand, ImportReport


class Command(ImportCommand):
    help = (
        "Import engagement activity from a CSV (UTF-8, plain or .gz) or .xlsx file with the columns of the "
        f"activity export; {', '.join(REQUIRED_COLUMNS)} are required. Every bad row is reported by line and "
        "field and then nothing is imported. Importing the same file again changes nothing. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv, .csv.gz or .xlsx file.")
        parser.add_argument(
            "--force",
            dest="force_code",
            metavar="CODE",
            help="The force the activity belongs to: area codes are looked up in it only.",
        )

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_activities(
            Path(options["file"]), commit=commit, force_code=options["force_code"], show_progress=show_progress
        )
