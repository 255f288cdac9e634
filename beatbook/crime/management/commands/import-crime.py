"""`beatbook import-crime PATH… [--force CODE] [--commit] [--json]`: data.police.uk street-level crime.

The module carries the hyphenated name the README documents (Django names a command after
its file), as the other import commands do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.core.imports import ImportCommand, ImportReport
from beatbook.crime.importers.street import import_crime


class Command(ImportCommand):
    help = (
        "Import data.police.uk street-level crime files (YYYY-MM-<force>-street.csv, plain or .gz), folders "
        "(searched recursively, e.g. the unpacked archive YYYY-MM/...) or downloaded .zip archives. Each file "
        "is one force-month; importing it again replaces that month. Outcomes and stop-and-search files are "
        "skipped and counted. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="Files, folders or .zip archives.")
        parser.add_argument(
            "--force",
            dest="force_code",
            metavar="CODE",
            help="The force every file belongs to (default: the force named in the file name, or the only force).",
        )

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_crime(
            [Path(p) for p in options["paths"]],
            commit=commit,
            force_code=options["force_code"],
            show_progress=show_progress,
        )
