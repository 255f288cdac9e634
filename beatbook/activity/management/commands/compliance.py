"""`beatbook compliance --area CODE [--level L] --period P [--as-of YYYY-MM-DD] [--json]`.

Engagement-standard compliance for a report period. For a force or a policing area (NPA):
every team under it ranked, policing areas and neighbourhoods each best first; for a
neighbourhood: its standards with every window. The period is YYYY, YYYY-Qn, YYYY-MM or
YYYY-Www (an ISO week; a single day YYYY-MM-DD also works). `--as-of` defaults to the period's
last day, or today while the period runs, and cannot be in the future: the same rule as the pages
and the performance pack (`compliance_selectors.judging_date`). The command runs for an operator
who holds the whole database, so only the area limits what it shows.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from beatbook.accounts.access import AmbiguousAreaCode, find_area
from beatbook.activity import compliance_selectors as selectors
from beatbook.activity.compliance import Status
from beatbook.activity.periods import Period, parse_period
from beatbook.areas.models import Area, Level

AREA_LEVELS = (Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD)
WINDOWS_LISTED = 53  # more windows than a year of weeks (a year of days) are tallied, not listed


def _find(code: str, level: str | None) -> Area:
    try:
        area = find_area(Area.objects.select_related("force", "parent"), code=code, level=level)
    except AmbiguousAreaCode as error:
        raise CommandError(
            f"The code {code!r} names more than one area ({', '.join(error.levels)}); "
            f"say which with --level, for example --level {error.levels[0]}."
        ) from error
    if area is None:
        where = f" at level {level!r}" if level else ""
        raise CommandError(f"No area has the code {code!r}{where}.")
    if area.level not in AREA_LEVELS:
        raise CommandError(
            f"{area.name} ({area.code}) is a {area.get_level_display().lower()}: compliance is for a force, "
            "a policing area or a neighbourhood."
        )
    return area


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as error:
        raise CommandError(f"--period: {error}") from error


def _as_of(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"--as-of: {text!r} is not a date: write it as YYYY-MM-DD, for example 2025-06-30."
        ) from None


def _judging(period: Period, text: str | None) -> tuple[date, bool]:
    try:
        return selectors.judging_date(period, _as_of(text), today=timezone.localdate())
    except ValueError as error:
        raise CommandError(f"--as-of: {error}") from error


def _ordered(judged: list[selectors.TeamCompliance]) -> list[selectors.TeamCompliance]:
    """Policing areas first, then neighbourhoods, each in the ranked order."""
    return [t for t in judged if t.team.level == Level.NPA] + [t for t in judged if t.team.level != Level.NPA]


def as_dict(area: Area, period: Period, as_of: date, judged: list[selectors.TeamCompliance]) -> dict[str, Any]:
    return {
        "area": area.code,
        "area_name": area.name,
        "area_level": area.level,
        "period": {
            "code": period.code,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "label": period.label,
        },
        "as_of": as_of.isoformat(),
        "teams": [
            {
                "code": t.team.code,
                "name": t.team.name,
                "level": t.team.level,
                "score": round(t.score, 4),
                "met": t.met,
                "on_track": t.on_track,
                "at_risk": t.at_risk,
                "missed": t.missed,
                "not_started": t.not_started,
                "standards": [
                    {
                        "key": r.standard.key,
                        "name": r.standard.name,
                        "status": str(r.status),
                        "counted": r.evaluation.counted,
                        "minimum": r.evaluation.minimum,
                        "needed_now": r.evaluation.needed_now,
                        "explanation": r.explanation,
                        "windows": [
                            {"period": w.period.code, "count": w.count, "status": str(w.status)}
                            for w in r.evaluation.windows
                        ],
                    }
                    for r in t.results
                ],
            }
            for t in judged
        ],
    }


class Command(BaseCommand):
    help = "Engagement-standard compliance of the teams in an area for a year, quarter, month or ISO week."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--area", required=True, metavar="CODE", help="A force, policing area or neighbourhood.")
        parser.add_argument(
            "--level", choices=AREA_LEVELS, help="The area's level, needed when its code names more than one area."
        )
        parser.add_argument(
            "--period", required=True, metavar="PERIOD", help="YYYY, YYYY-Qn, YYYY-MM or YYYY-Www (an ISO week)."
        )
        parser.add_argument(
            "--as-of",
            dest="as_of",
            metavar="YYYY-MM-DD",
            help="Judge as on this day, inclusive (default: the period's last day, or today while it runs).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON instead of tables.")

    def handle(self, *args: Any, **options: Any) -> None:
        area = _find(options["area"], options["level"])
        period = _period(options["period"])
        as_of, day_over = _judging(period, options["as_of"])
        teams = selectors.teams_under(area)
        judged = (
            _ordered(selectors.teams_compliance(teams=teams, period=period, as_of=as_of, day_over=day_over))
            if teams
            else []
        )
        if options["json"]:
            self.stdout.write(json.dumps(as_dict(area, period, as_of, judged), ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{area.name} ({area.get_level_display()}, {area.code}): engagement standards, "
            f"{period.label} ({period.code}), as of {as_of:%d %B %Y}"
        )
        if area.level == Level.NEIGHBOURHOOD:
            self._team(judged[0])
        else:
            self._ranking(judged)

    def _ranking(self, judged: list[selectors.TeamCompliance]) -> None:
        for level, heading in ((Level.NPA, "Policing areas"), (Level.NEIGHBOURHOOD, "Neighbourhood teams")):
            rows = [
                [
                    str(rank),
                    t.team.name,
                    t.team.code,
                    f"{t.score:.0%}",
                    str(t.met),
                    str(t.on_track),
                    str(t.at_risk),
                    str(t.missed),
                ]
                for rank, t in enumerate((t for t in judged if t.team.level == level), start=1)
            ]
            if not rows:
                continue
            self.stdout.write("")
            self.stdout.write(heading)
            self._table(["#", "Team", "Code", "Score", "Met", "On track", "At risk", "Missed"], rows, left=3)

    def _team(self, team: selectors.TeamCompliance) -> None:
        self.stdout.write("")
        rows = [
            [
                r.standard.name,
                str(r.status.label),
                f"{r.evaluation.counted}/{r.evaluation.minimum}",
                str(r.evaluation.needed_now),
            ]
            for r in team.results
        ]
        self._table(["Standard", "Status", "Counted", "Needed now"], rows, left=2)
        for result in team.results:
            self.stdout.write("")
            self.stdout.write(f"{result.standard.name}: {result.explanation}")
            windows = result.evaluation.windows
            if len(windows) <= WINDOWS_LISTED:
                for line in _wrap([f"{w.period.code} {w.count} {w.status.label}" for w in windows]):
                    self.stdout.write(f"  {line}")
            else:
                tally = {status: sum(1 for w in windows if w.status == status) for status in Status}
                self.stdout.write(
                    "  "
                    + ", ".join(f"{n} {status.label}" for status, n in tally.items() if n)
                    + f" (of {len(windows)})"
                )

    def _table(self, headers: list[str], rows: list[list[str]], *, left: int) -> None:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.ljust(widths[i]) if i < left else c.rjust(widths[i]) for i, c in enumerate(cells)
            ).rstrip()

        self.stdout.write(line(headers))
        self.stdout.write(line(["-" * w for w in widths]))
        for row in rows:
            self.stdout.write(line(row))


def _wrap(items: list[str], width: int = 100) -> list[str]:
    lines: list[str] = []
    current = ""
    for item in items:
        candidate = f"{current}; {item}" if current else item
        if current and len(candidate) > width:
            lines.append(current)
            candidate = item
        current = candidate
    if current:
        lines.append(current)
    return lines
