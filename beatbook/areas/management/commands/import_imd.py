"""`beatbook import-imd FILE...`: IoD2019 File 1, 2 and 6 CSVs for imported LSOAs (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beatbook.areas.importers.common import add_common_arguments, run_import_command
from beatbook.areas.importers.imd import import_imd


class Command(BaseCommand):
    help = (
        "Import English Indices of Deprivation 2019 CSVs (File 1 IMD, File 2 domains, File 6 population; "
        "plain or .gz) for LSOAs already imported. Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="CSV files; the layout is told from the header.")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        paths = [Path(p) for p in options["files"]]
        run_import_command(
            self,
            options,
            lambda show_progress: import_imd(paths, commit=options["commit"], show_progress=show_progress),
        )
