"""`beatbook import-neighbourhoods FILE`: a force's neighbourhoods and NPAs (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beatbook.areas.importers.common import add_common_arguments, run_import_command
from beatbook.areas.importers.neighbourhoods import EXPECTED, import_neighbourhoods


class Command(BaseCommand):
    help = (
        f"Import neighbourhoods and policing areas (NPAs): a CSV with columns {EXPECTED} (one row per ward or "
        "LSOA), or a data.police.uk neighbourhood boundary KML. Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV or KML file (plain or .gz).")
        parser.add_argument("--force", dest="force_code", help="The force's code (detected from the areas if omitted).")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_import_command(
            self,
            options,
            lambda show_progress: import_neighbourhoods(
                Path(options["file"]),
                commit=options["commit"],
                force_code=options["force_code"],
                show_progress=show_progress,
            ),
        )
