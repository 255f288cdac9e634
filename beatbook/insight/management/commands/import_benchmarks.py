"""`beatbook import-benchmarks FILE --format {csew-perceptions,mopac-pas} [--commit] [--json]`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.core.imports import ImportCommand, ImportReport
from beatbook.insight.importers.benchmarks import FORMATS, import_benchmarks


class Command(ImportCommand):
    help = (
        "Import external benchmark figures: the ONS CSEW perceptions open data table (regions and England "
        "and Wales, all adults) or the MOPAC Public Attitude Survey borough dashboard (boroughs and the "
        "MPS-wide series). All or nothing; re-importing changes nothing. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", metavar="FILE", help="The CSV file (plain or .gz).")
        parser.add_argument("--format", dest="file_format", required=True, choices=FORMATS, help="What the file is.")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_benchmarks(
            Path(options["path"]), file_format=options["file_format"], commit=commit, show_progress=show_progress
        )
