"""`beatbook import-subscribers FILE [--force CODE] [--commit] [--json]`: a subscriber list with its consent evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.core.imports import ImportCommand, ImportReport
from beatbook.messaging.importers.subscribers import COLUMNS, REQUIRED_COLUMNS, import_subscribers


class Command(ImportCommand):
    help = (
        f"Import subscribers from a CSV (UTF-8, plain or .gz) with the columns {', '.join(COLUMNS)}. "
        f"Every row needs {', '.join(REQUIRED_COLUMNS)} (the evidence of consent), an email or mobile number, "
        "a postcode or neighbourhood codes, and interests. Every bad row is reported by line and field and then "
        "nothing is imported. Importing the same file again changes nothing. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv or .csv.gz file.")
        parser.add_argument(
            "--force", dest="force_code", metavar="CODE", help="The force (needed when there are several)."
        )

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_subscribers(
            Path(options["file"]), commit=commit, force_code=options["force_code"], show_progress=show_progress
        )
