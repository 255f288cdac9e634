"""`beatbook survey-scores --survey SLUG [--wave CODE] [--level L] [--representation] [--json]`.

Per area and wave: respondents, the unweighted score (the figure forces report today) and the
weighted one with 95% intervals and design effect, the change since the wave before and
whether it is more than noise, and the modelled (small-area) estimate, labelled as such.
Areas below the survey's minimum number of responses are shown as suppressed, without numbers.

With `--representation`, instead: who answered against who lives there (census), per area,
wave and group (age band, sex, ethnic group), naming the under-represented groups so that
engagement can target them (`scoring.representation`, rule 9).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from enum import StrEnum
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from beatbook.surveys import selectors
from beatbook.surveys.management.commands.import_survey_responses import find_survey
from beatbook.surveys.models import Survey, Wave
from beatbook.surveys.scoring import (
    Estimate,
    Level,
    RepresentationRow,
    ScoreRow,
    ScoringSettings,
    representation,
    under_represented_groups,
)
from beatbook.surveys.selectors import ScoringInputs


def _percent(estimate: Estimate | None) -> str:
    if estimate is None:
        return "-"
    return f"{estimate.value:.1%} ({estimate.low:.1%}-{estimate.high:.1%})"


def _plain(value: Any) -> Any:
    """JSON-ready: enums as their values, NaN (an estimate that does not exist) as null."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, StrEnum):
        return value.value
    return value


def _row_dict(row: ScoreRow, codes: list[str], name: str) -> dict[str, Any]:
    data: dict[str, Any] = _plain(asdict(row))
    data.update(wave=codes[row.wave], area_name=name)
    if row.change is not None:
        data["change"]["previous_wave"] = codes[row.change.previous_wave]
    return data


class Command(BaseCommand):
    help = "Confidence scores per neighbourhood, policing area and force, per wave, weighted, with intervals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--survey", metavar="SLUG", help="The survey (default: the only one).")
        parser.add_argument("--wave", metavar="CODE", help="Only this wave (default: every wave).")
        parser.add_argument("--level", choices=[level.value for level in Level], help="Only this level of area.")
        parser.add_argument(
            "--representation",
            action="store_true",
            help="Show who answered against who lives there, and the under-represented groups, instead of scores.",
        )
        parser.add_argument("--json", action="store_true", help="Print the scores as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        survey = find_survey(options["survey"])
        wave = None
        if options["wave"]:
            wave = survey.waves.filter(code=options["wave"]).first()
            if wave is None:
                raise CommandError(f"Survey {survey.slug} has no wave {options['wave']!r}.")
        if options["representation"]:
            self._representation(survey, wave, options)
            return
        rows, inputs = selectors.survey_scores(survey, up_to_wave=wave)
        codes = [w.code for w in inputs.waves]
        wanted = [
            row
            for row in rows
            if (options["level"] is None or row.level == options["level"])
            and (wave is None or codes[row.wave] == wave.code)
        ]
        if options["json"]:
            output = [_row_dict(row, codes, inputs.area_names.get(row.area, row.area)) for row in wanted]
            document = {
                "survey": survey.slug,
                "min_responses": survey.min_responses,
                "waves": codes,
                "left_out_responses": inputs.left_out,
                "notes": inputs.notes,
                "scores": output,
            }
            self.stdout.write(json.dumps(document, indent=2, allow_nan=False, default=str))
            return
        self.stdout.write(f"{survey.name} ({survey.slug}); suppressed below {survey.min_responses} responses")
        for note in inputs.notes:
            self.stdout.write(f"  note: {note}")
        if inputs.left_out:
            self.stdout.write(f"  note: {inputs.left_out} response(s) with no scored neighbourhood left out")
        self.stdout.write("level          area                     wave     n      unweighted             weighted")
        for row in wanted:
            name = inputs.area_names.get(row.area, row.area)
            line = (
                f"{row.level:<14} {name[:24]:<24} {codes[row.wave]:<8} "
                f"{'-' if row.responses is None else row.responses:<6} "
                f"{_percent(row.unweighted):<22} {_percent(row.weighted)}"
            )
            if row.status != "ok":
                line += f"  [{row.status}]"
            if row.modelled is not None:
                line += f"  modelled {_percent(row.modelled)}"
            if row.change is not None:
                noise = "more than noise" if row.change.more_than_noise else "within noise"
                line += f"  change {row.change.difference:+.1%} (p={row.change.p_value:.3f}, {noise})"
            self.stdout.write(line)

    def _representation(self, survey: Survey, wave: Wave | None, options: dict[str, Any]) -> None:
        inputs = selectors.scoring_inputs(survey, up_to_wave=wave)
        codes = [w.code for w in inputs.waves]
        rows = [
            row
            for row in representation(
                inputs.responses,
                areas=inputs.areas,
                census=inputs.census,
                waves=len(codes),
                settings=ScoringSettings(min_responses=survey.min_responses),
            )
            if (options["level"] is None or row.level == options["level"])
            and (wave is None or codes[row.wave] == wave.code)
        ]
        named = under_represented_groups(rows)
        if options["json"]:
            document = {
                "survey": survey.slug,
                "min_responses": survey.min_responses,
                "waves": codes,
                "left_out_responses": inputs.left_out,
                "notes": inputs.notes,
                "under_represented": [
                    {
                        "level": str(level),
                        "area": area,
                        "area_name": inputs.area_names.get(area, area),
                        "wave": codes[index],
                        "groups": groups,
                    }
                    for (level, area, index), groups in named.items()
                ],
                "representation": [_representation_dict(row, codes, inputs) for row in rows],
            }
            self.stdout.write(json.dumps(document, indent=2, allow_nan=False, default=str))
            return
        self.stdout.write(
            f"{survey.name} ({survey.slug}): who answered against who lives there; "
            f"suppressed below {survey.min_responses} responses"
        )
        for note in inputs.notes:
            self.stdout.write(f"  note: {note}")
        self.stdout.write(
            "level          area                     wave     group                              answered  census"
        )
        for row in rows:
            name = inputs.area_names.get(row.area, row.area)
            share = "-" if row.respondent_share is None else f"{row.respondent_share:.1%}"
            line = (
                f"{row.level:<14} {name[:24]:<24} {codes[row.wave]:<8} "
                f"{f'{row.characteristic}: {row.group}'[:34]:<34} {share:>8}  {row.population_share:.1%}"
            )
            if row.status != "ok":
                line += f"  [{row.status}]"
            if row.under_represented:
                line += "  UNDER-REPRESENTED"
            self.stdout.write(line)
        self.stdout.write("Under-represented groups (engage with):")
        if not named:
            self.stdout.write("  none")
        for (level, area, index), groups in named.items():
            name = inputs.area_names.get(area, area)
            self.stdout.write(f"  {level:<14} {name[:24]:<24} {codes[index]:<8} {', '.join(groups)}")


def _representation_dict(row: RepresentationRow, codes: list[str], inputs: ScoringInputs) -> dict[str, Any]:
    data: dict[str, Any] = _plain(asdict(row))
    data.update(wave=codes[row.wave], area_name=inputs.area_names.get(row.area, row.area))
    return data
