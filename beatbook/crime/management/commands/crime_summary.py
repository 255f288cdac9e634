"""`beatbook crime-summary --area CODE [--level L] [--from YYYY-MM] [--to YYYY-MM] [--json]`.

Counts of crime and anti-social behaviour by category and by month, with harm (see
`beatbook.crime.harm`), for one area of any level. A force counts every row published for
it; any other area the rows in its LSOAs. The command runs for an operator who holds the
whole database, so only the area limits what it counts. Without --from/--to it covers the
last 12 months of data held for the area's force.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beatbook.accounts.access import AmbiguousAreaCode, find_area
from beatbook.areas.models import Area, Level
from beatbook.crime import selectors


def _find(code: str, level: str | None) -> Area:
    try:
        area = find_area(Area.objects.select_related("force"), code=code, level=level)
    except AmbiguousAreaCode as error:
        raise CommandError(
            f"The code {code!r} names more than one area ({', '.join(error.levels)}); "
            f"say which with --level, for example --level {error.levels[0]}."
        ) from error
    if area is None:
        where = f" at level {level!r}" if level else ""
        raise CommandError(f"No area has the code {code!r}{where}.")
    return area


def _month(value: str | None, option: str) -> Any:
    if value is None:
        return None
    try:
        return selectors.parse_month(value)
    except ValueError as error:
        raise CommandError(f"{option}: {error}") from error


def _number(value: float | None, places: int = 0) -> str:
    return "-" if value is None else f"{value:,.{places}f}"


class Command(BaseCommand):
    help = "Counts and harm of crime and anti-social behaviour by category and month for one area."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", required=True, metavar="CODE", help="The area's code (ONS or the force's own).")
        parser.add_argument(
            "--level", choices=Level.values, help="The area's level, needed when its code names more than one area."
        )
        parser.add_argument("--from", dest="start", metavar="YYYY-MM", help="First month (default: 11 before --to).")
        parser.add_argument("--to", dest="end", metavar="YYYY-MM", help="Last month (default: the latest held).")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")

    def handle(self, *args: Any, **options: Any) -> None:
        area = _find(options["area"], options["level"])
        start = _month(options["start"], "--from")
        end = _month(options["end"], "--to")
        if end is None:
            held = selectors.available_months(area)
            if start is not None and held:
                end = max(held[-1], start)
            elif held:
                end = held[-1]
            else:
                end = start
        if end is None:
            raise CommandError(f"No crime data is held for {area.name} ({area.code}); give --from and --to.")
        if start is None:
            start = selectors.add_months(end, 1 - selectors.TREND_MONTHS)
        if end < start:
            raise CommandError(
                f"--to ({selectors.format_month(end)}) is before --from ({selectors.format_month(start)})."
            )
        summary = selectors.crime_summary(area, start=start, end=end)
        if options["json"]:
            self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
            return
        self._tables(summary)

    def _tables(self, summary: selectors.CrimeSummary) -> None:
        area = summary.area
        self.stdout.write(
            f"{area.name} ({area.get_level_display()}, {area.code}), "
            f"{selectors.format_month(summary.start)} to {selectors.format_month(summary.end)}"
        )
        self.stdout.write("")
        rows = [[c.category.name, _number(c.count), _number(c.harm)] for c in summary.categories]
        rows.append(["Total", _number(summary.count), _number(summary.harm)])
        self._table(["Category", "Count", "Harm"], rows)
        self.stdout.write("")
        months = [
            [m.label, _number(m.count), _number(m.anti_social_behaviour), _number(m.harm)] for m in summary.months
        ]
        self._table(["Month", "Count", "ASB", "Harm"], months)
        if summary.population.residents:
            self.stdout.write("")
            self.stdout.write(
                f"Per 1,000 residents ({summary.population.residents:,}, {summary.population.source}): "
                f"{_number(summary.count_per_1000, 1)} crimes and ASB incidents, harm {_number(summary.harm_per_1000, 1)}."
            )

    def _table(self, headers: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

        def line(cells: list[str]) -> str:
            return "  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)).rstrip()

        self.stdout.write(line(headers))
        self.stdout.write(line(["-" * w for w in widths]))
        for row in rows:
            self.stdout.write(line(row))
