"""`beatbook immediate-response --as-of YYYY-MM [--level L] [--force CODE] [--alpha A] [--json]`.

Lists the areas flagged for immediate-response engagement in a month: those whose crime
or anti-social behaviour was unusually high against their own history (the test is
described in `beatbook.crime.detector`), and those staff marked by hand with a flag
active in that month (on an area of any level in the force). Each flag explains itself.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beatbook.areas.models import Area, Level
from beatbook.crime import detection


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError as error:
        raise CommandError(f"--alpha must be a number, not {text!r}") from error
    if not 0.0 < value < 0.5:
        raise CommandError("--alpha must be above 0 and below 0.5 (for example 0.01 for 1%)")
    return value


def _force(code: str | None) -> Area:
    forces = Area.objects.filter(level=Level.FORCE)
    if code:
        force = forces.filter(code=code).first()
        if force is None:
            raise CommandError(f"No force has the code {code!r}.")
        return force
    found = list(forces.order_by("code")[:2])
    if not found:
        raise CommandError("There is no force in the database yet.")
    if len(found) > 1:
        raise CommandError("There is more than one force: say which with --force CODE.")
    return found[0]


class Command(BaseCommand):
    help = (
        "List areas needing immediate-response engagement in a month: unusually high crime or anti-social "
        "behaviour against the area's own history, and areas marked by staff."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", metavar="YYYY-MM", help="The month to test (default: the latest month with data)."
        )
        parser.add_argument(
            "--level",
            default=Level.NEIGHBOURHOOD.value,
            choices=[level.value for level in detection.LEVELS],
            help="Which areas to test (default: neighbourhood).",
        )
        parser.add_argument(
            "--force", dest="force_code", metavar="CODE", help="The force (needed if there are several)."
        )
        parser.add_argument(
            "--alpha",
            default=None,
            help=f"False-alarm rate per area, month and measure (default {detection.default_alpha():g}).",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON instead of text.")

    def handle(self, *args: Any, **options: Any) -> None:
        force = _force(options["force_code"])
        alpha = None if options["alpha"] is None else _alpha(options["alpha"])
        if options["as_of"]:
            try:
                month = detection.parse_month(options["as_of"])
            except ValueError as error:
                raise CommandError(f"--as-of: {error}") from error
        else:
            months = detection.months_with_data(force)
            if not months:
                raise CommandError(f"{force.name} has no crime data yet: import some, or give --as-of.")
            month = months[0]
        result = detection.immediate_response(force=force, month=month, level=options["level"], alpha=alpha)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
            return
        self._text(result)

    def _text(self, result: detection.ImmediateResponse) -> None:
        self.stdout.write(f"{result.force.name}: {result.level} areas, {result.month:%B %Y}.")
        if result.has_data:
            self.stdout.write(
                f"{result.areas_checked} areas checked; {result.statistical_count} unusual counts at a "
                f"{100 * result.alpha:g}% false-alarm rate; {len(result.not_enough_history)} not tested "
                "(less than two years of data)."
            )
        else:
            self.stdout.write(f"No crime data for {result.month:%B %Y}: no area tested.")
        if not result.flagged:
            self.stdout.write("No area is flagged.")
        for item in result.flagged:
            self.stdout.write("")
            self.stdout.write(f"{item.area.name} ({item.area.get_level_display()}, {item.area.code})")
            for flag in item.statistical:
                self.stdout.write(f"  - {flag.explanation()}")
            for manual in item.manual:
                until = manual.ends_on.isoformat() if manual.ends_on else "until closed"
                self.stdout.write(f"  - Marked by staff: {manual.title} (from {manual.starts_on.isoformat()}, {until})")
