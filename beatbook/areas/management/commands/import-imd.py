"""`beatbook import-imd FILE...`: IoD2019 File 1, 2 and 6 CSVs for imported LSOAs (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.areas.importers.imd import import_imd
from beatbook.core.imports import ImportCommand, ImportReport


class Command(ImportCommand):
    help = (
        "Import English Indices of Deprivation 2019 CSVs (File 1 IMD, File 2 domains, File 6 population; "
        "plain or .gz) for LSOAs already imported. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV files; the layout is told from the header.")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_imd([Path(p) for p in options["files"]], commit=commit, show_progress=show_progress)
