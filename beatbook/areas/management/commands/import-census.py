"""`beatbook import-census FILE...`: census counts per LSOA (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.areas.importers.census import import_census
from beatbook.core.imports import ImportCommand, ImportReport


class Command(ImportCommand):
    help = (
        "Import census counts for LSOAs already imported: Census 2011 OAC raw uVariables CSVs (output areas, "
        "summed to LSOA) or Nomis Census 2021 LSOA bulk CSVs (TS007 or TS007A age, TS008 sex, TS021 ethnic group, "
        "TS029 English, TS030 religion; one table per topic in a run). Plain or .gz. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV files; the layout is told from the header.")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_census([Path(p) for p in options["files"]], commit=commit, show_progress=show_progress)
