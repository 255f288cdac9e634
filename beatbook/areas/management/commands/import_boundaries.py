"""`beatbook import-boundaries FILE --level LEVEL`: boundary GeoJSON into areas (dry run unless --commit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from beatbook.areas.importers.boundaries import LEVELS, import_boundaries
from beatbook.areas.importers.common import add_common_arguments, run_import_command


class Command(BaseCommand):
    help = (
        "Import ONS boundary GeoJSON (.geojson or .geojson.gz, WGS84) as areas of one level. Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON FeatureCollection, optionally gzipped.")
        parser.add_argument("--level", required=True, choices=LEVELS, help="What the features are.")
        parser.add_argument("--force", dest="force_code", help="Put every area in this force (its code).")
        parser.add_argument("--only", nargs="+", metavar="CODE", help="Import only these codes.")
        parser.add_argument("--code-field", help="Property holding the code (detected when omitted).")
        parser.add_argument("--name-field", help="Property holding the name (detected when omitted).")
        add_common_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        run_import_command(
            self,
            options,
            lambda show_progress: import_boundaries(
                Path(options["file"]),
                level=options["level"],
                commit=options["commit"],
                force_code=options["force_code"],
                only_codes=options["only"],
                code_field=options["code_field"],
                name_field=options["name_field"],
                show_progress=show_progress,
            ),
        )
