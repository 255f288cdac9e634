"""`beatbook areas --level L [--within CODE [--within-level L]] [--json]`: areas with population and deprivation.

For an LSOA the deprivation columns are its own IMD 2019 rank and decile; for any larger
area they are the average rank of its LSOAs (weighted by population when every LSOA has
one) and the decile that average falls in.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beatbook.accounts.access import AmbiguousAreaCode, find_area
from beatbook.areas import selectors
from beatbook.areas.models import Area, Level


def _find(code: str, level: str | None) -> Area:
    # The command runs for an operator with the whole database, so every area counts; the
    # rule is the pages' and the API's: a code naming several areas needs its level.
    try:
        area = find_area(Area.objects.all(), code=code, level=level)
    except AmbiguousAreaCode as error:
        raise CommandError(
            f"The code {code!r} names more than one area ({', '.join(error.levels)}); "
            f"say which with --within-level, for example --within-level {error.levels[0]}."
        ) from error
    if area is None:
        where = f" at level {level!r}" if level else ""
        raise CommandError(f"No area has the code {code!r}{where}.")
    return area


def _row(area: Area, fig: selectors.AreaFigures) -> dict[str, Any]:
    rank: float | int | None = fig.imd_rank
    if rank is not None:
        rank = round(rank, 1) if fig.imd_rank_is_average else int(rank)
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "parent": area.parent.code if area.parent else None,
        "population": fig.population,
        "census_year": fig.census_year,
        "imd_population_2015": fig.imd_population,
        "imd_rank": rank,
        "imd_rank_type": None if rank is None else ("average" if fig.imd_rank_is_average else "lsoa"),
        "imd_rank_weighted": fig.imd_rank_is_weighted,
        "imd_decile": fig.imd_decile,
        "lsoas": fig.lsoa_count,
    }


def _cell(value: Any, *, average: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"~{value:,.0f}" if average else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class Command(BaseCommand):
    help = "List areas with population (census), IMD rank and decile, and number of LSOAs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--level", required=True, choices=Level.values, help="Which areas to list.")
        parser.add_argument(
            "--within", metavar="CODE", help="Only areas sharing at least one LSOA with the area that has this code."
        )
        parser.add_argument(
            "--within-level",
            choices=Level.values,
            help="The level of the --within area, needed when its code names more than one area.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON (a list of objects) instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        level = options["level"]
        if options["within"]:
            queryset = selectors.areas_overlapping(_find(options["within"], options["within_level"]), level=level)
        else:
            queryset = Area.objects.filter(level=level)
        areas = list(queryset.select_related("parent").order_by("name", "code"))
        figures = selectors.figures_for_areas(areas)
        rows = [_row(area, figures[area.pk]) for area in areas]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        self._table(rows)

    def _table(self, rows: list[dict[str, Any]]) -> None:
        headers = ["Code", "Name", "Level", "Parent", "Population", "IMD rank", "Decile", "LSOAs"]
        body = [
            [
                _cell(r["code"]),
                _cell(r["name"]),
                _cell(r["level"]),
                _cell(r["parent"]),
                _cell(r["population"]),
                _cell(r["imd_rank"], average=r["imd_rank_type"] == "average"),
                _cell(r["imd_decile"]),
                _cell(r["lsoas"]),
            ]
            for r in rows
        ]
        widths = [max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(headers)]
        numeric = {4, 5, 6, 7}

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.rjust(widths[i]) if i in numeric else c.ljust(widths[i]) for i, c in enumerate(cells)
            ).rstrip()

        self.stdout.write(line(headers))
        self.stdout.write(line(["-" * w for w in widths]))
        for cells in body:
            self.stdout.write(line(cells))
        averaged = [r for r in rows if r["imd_rank_type"] == "average"]
        summary = f"{len(rows)} area{'s' if len(rows) != 1 else ''}."
        if averaged and all(r["imd_rank_weighted"] for r in averaged):
            summary += " ~ marks a population-weighted average of the LSOAs' IMD 2019 ranks."
        elif averaged:
            summary += (
                " ~ marks an average of the LSOAs' IMD 2019 ranks, weighted by population"
                " where every LSOA of the area has one (see --json for which)."
            )
        self.stdout.write(summary)
