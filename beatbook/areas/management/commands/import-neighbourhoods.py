"""`beatbook import-neighbourhoods FILE`: a force's neighbourhoods and NPAs (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.areas.importers.neighbourhoods import EXPECTED, import_neighbourhoods
from beatbook.core.imports import ImportCommand, ImportReport


class Command(ImportCommand):
    help = (
        f"Import neighbourhoods and policing areas (NPAs): a CSV with columns {EXPECTED} (one row per ward or "
        "LSOA), which replaces the force's whole hierarchy, or a data.police.uk neighbourhood boundary KML. "
        "Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV or KML file (plain or .gz).")
        parser.add_argument("--force", dest="force_code", help="The force's code (detected from the areas if omitted).")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_neighbourhoods(
            Path(options["file"]), commit=commit, force_code=options["force_code"], show_progress=show_progress
        )
