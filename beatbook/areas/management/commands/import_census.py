"""`beatbook import-census FILE...`: census counts per LSOA (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beatbook.areas.importers.census import import_census
from beatbook.areas.importers.common import add_common_arguments, run_import_command


class Command(BaseCommand):
    help = (
        "Import census counts for LSOAs already imported: Census 2011 OAC raw uVariables CSVs (output areas, "
        "summed to LSOA) or Nomis Census 2021 LSOA bulk CSVs (TS007/TS007A age, TS008 sex, TS021 ethnic group, "
        "TS029 English, TS030 religion). Plain or .gz. Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV files; the layout is told from the header.")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(p) for p in options["files"]]
        run_import_command(
            self,
            options,
            lambda show_progress: import_census(paths, commit=options["commit"], show_progress=show_progress),
        )
