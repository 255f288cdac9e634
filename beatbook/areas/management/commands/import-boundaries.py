"""`beatbook import-boundaries FILE --level LEVEL`: boundary GeoJSON into areas (dry run unless --commit).

The import commands' modules carry the hyphenated names the README documents (Django names a
command after its file), so `beatbook help` lists each once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from beatbook.areas.importers.boundaries import LEVELS, import_boundaries
from beatbook.core.imports import ImportCommand, ImportReport


class Command(ImportCommand):
    help = (
        "Import ONS boundary GeoJSON (.geojson or .geojson.gz, WGS84) as areas of one level. Dry run unless --commit."
    )

    def add_import_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON FeatureCollection, optionally gzipped.")
        parser.add_argument("--level", required=True, choices=LEVELS, help="What the features are.")
        parser.add_argument("--force", dest="force_code", help="Put every area in this force (its code).")
        parser.add_argument("--only", nargs="+", metavar="CODE", help="Import only these codes.")
        parser.add_argument("--code-field", help="Property holding the code (detected when omitted).")
        parser.add_argument("--name-field", help="Property holding the name (detected when omitted).")

    def run_import(self, options: dict[str, Any], *, commit: bool, show_progress: bool) -> ImportReport:
        return import_boundaries(
            Path(options["file"]),
            level=options["level"],
            commit=commit,
            force_code=options["force_code"],
            only_codes=options["only"],
            code_field=options["code_field"],
            name_field=options["name_field"],
            show_progress=show_progress,
        )
