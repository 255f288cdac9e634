"""Reads for compliance: which activity counts for which team and standard, and the judgements.

Which activity counts for a team and a standard (the same rule in `daily_counts` and
`evidence`):

- it is of one of the standard's types, and satisfies its conditions (at least one partner;
  priorities set), as copied onto `ActivityArea` by the services;
- a neighbourhood standard counts activity linked to that neighbourhood; an NPA standard counts
  activity linked to the NPA itself or to any of its neighbourhoods, each activity once (a joint
  patch walk in two neighbourhoods of an NPA is one walk for the NPA);
- it is dated (Europe/London) inside one of the standard's windows (`periods.periods_within`)
  and on or before `as_of`.

A force's compliance for a year is a constant number of queries whatever the number of teams
or standards: the standards (`services.standards_for_force`), the forces of the teams, and one
grouped query over `ActivityArea` (bench/compliance.py measures it). Access is decided by the
caller (`access.teams_for_user`); the `compliance` command has the whole database.

The day a period is judged on is `judging_date`, the one rule for the pages, the command, the
API and the performance pack: by default the period's last day, or today while it runs; never
a day in the future. That day counts inclusively, and it is over (`day_over`, rule 1 of
`compliance`) whenever it is before today, so a finished month shows the same verdicts whether
it is looked at the day after or a year later.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, When, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from beatbook.areas.models import Area, Level

from .compliance import Evaluation, Status, evaluate
from .models import Activity, ActivityArea, AppliesTo, Standard
from .periods import Period, covered_span
from .services import standards_for_force

# The team level each kind of standard applies to.
TEAM_LEVEL = {AppliesTo.NEIGHBOURHOOD: Level.NEIGHBOURHOOD, AppliesTo.NPA: Level.NPA}
UNIT_PLURALS = {
    "day": lambda n: ngettext("day", "days", n),
    "week": lambda n: ngettext("week", "weeks", n),
    "month": lambda n: ngettext("month", "months", n),
    "quarter": lambda n: ngettext("quarter", "quarters", n),
    "year": lambda n: ngettext("year", "years", n),
}
MISSED_SHOWN = 3  # missed windows named in an explanation; the rest are counted


@dataclass(frozen=True)
class StandardResult:
    standard: Standard
    evaluation: Evaluation
    explanation: str  # one plain sentence: "2 of 2 activities with a partner in 2025: met."

    @property
    def status(self) -> Status:
        return self.evaluation.status


@dataclass
class TeamCompliance:
    team: Area
    results: list[StandardResult]
    met: int
    on_track: int
    at_risk: int
    missed: int
    score: float  # share of judged standards met or on track, 0 to 1 (0 when none is judged yet)
    not_started: int = 0

    @property
    def judged(self) -> int:
        """Standards with a verdict: every one except those not started."""
        return self.met + self.on_track + self.at_risk + self.missed


def judging_date(period: Period, as_of: date | None, *, today: date) -> tuple[date, bool]:
    """The day to judge `period` on, and whether that day is over: `(as_of, day_over)`.

    `as_of` None means the default, `min(today, period.end)`: a past period is judged on its
    last day, so activity recorded for later days never changes its verdicts, and a running
    period on today. `day_over` is `as_of < today`. `today` is the Europe/London date
    (`timezone.localdate()`). ValueError, a sentence for people, when `as_of` is after today.
    """
    if as_of is None:
        as_of = min(today, period.end)
    elif as_of > today:
        raise ValueError(
            _("The date cannot be in the future: %(day)s is after today, %(today)s.")
            % {"day": as_of.isoformat(), "today": today.isoformat()}
        )
    return as_of, as_of < today


def applies(standard: Standard, team: Area) -> bool:
    return TEAM_LEVEL.get(AppliesTo(standard.applies_to)) == team.level


def _standard_types(standards: Sequence[Standard]) -> dict[int, set[int]]:
    # No query when the standards come prefetched (standards_for_force); one otherwise.
    prefetch_related_objects(list(standards), "types")
    return {s.pk: {t.pk for t in s.types.all()} for s in standards}


def _rows(
    *, teams: Sequence[Area], standards: Sequence[Standard], types: dict[int, set[int]], start: date, end: date
) -> QuerySet[Any] | None:
    """One grouped query (a UNION ALL of the neighbourhood and the NPA part when both are needed):
    rows of (type id, date, with partner, priorities set, team id, activities)."""
    columns = ("type_id", "date", "with_partner", "priorities_set")
    parts = []
    for level, applies_to in ((Level.NEIGHBOURHOOD, AppliesTo.NEIGHBOURHOOD), (Level.NPA, AppliesTo.NPA)):
        team_ids = [t.pk for t in teams if t.level == level]
        type_ids = {pk for s in standards if s.applies_to == applies_to for pk in types[s.pk]}
        if not team_ids or not type_ids:
            continue
        links = ActivityArea.objects.filter(date__gte=start, date__lte=end, type_id__in=sorted(type_ids))
        if level == Level.NEIGHBOURHOOD:
            # One link per activity and area (a unique constraint), so a plain count is of activities.
            part = links.filter(area_id__in=team_ids).values(*columns, team=F("area_id")).annotate(n=Count("*"))
        else:
            # Rolled up to the NPA here rather than in Python, so that an activity linked to the
            # NPA and a neighbourhood, or to two of its neighbourhoods, is counted once.
            team = Case(
                When(area__level=Level.NPA, then=F("area_id")),
                default=F("area__parent_id"),
                output_field=IntegerField(),
            )
            part = (
                links.filter(Q(area_id__in=team_ids) | Q(area__parent_id__in=team_ids, area__level=Level.NEIGHBOURHOOD))
                .values(*columns, team=team)
                .annotate(n=Count("activity_id", distinct=True))
            )
        parts.append(part.order_by().values_list(*columns, "team", "n"))
    if not parts:
        return None
    return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]


def daily_counts(
    *, teams: Sequence[Area], standards: Sequence[Standard], start: date, end: date
) -> dict[tuple[int, int], dict[date, int]]:
    """(team id, standard id) → {local date: activities that count}, for every standard that
    applies to the team's level, from `start` to `end` inclusive.

    One grouped query over `ActivityArea` for all the teams and standards (plus one for the
    standards' types if they were not prefetched); the query count does not grow with either.
    """
    result: dict[tuple[int, int], dict[date, int]] = {
        (t.pk, s.pk): {} for t in teams for s in standards if applies(s, t)
    }
    if not result or end < start:
        return result
    types = _standard_types(standards)
    rows = _rows(teams=teams, standards=standards, types=types, start=start, end=end)
    if rows is None:
        return result
    level_of = {t.pk: t.level for t in teams}
    # (team level, type id) → the standards that type counts for, with their conditions.
    counts_for: dict[tuple[str, int], list[tuple[int, bool, bool]]] = defaultdict(list)
    for standard in standards:
        for type_id in types[standard.pk]:
            counts_for[(TEAM_LEVEL[AppliesTo(standard.applies_to)], type_id)].append(
                (standard.pk, standard.requires_partner, standard.requires_priorities)
            )
    for type_id, day, with_partner, priorities_set, team_id, n in rows:
        level = level_of.get(team_id)
        if level is None:
            continue
        for standard_id, needs_partner, needs_priorities in counts_for.get((level, type_id), ()):
            if (needs_partner and not with_partner) or (needs_priorities and not priorities_set):
                continue
            days = result[(team_id, standard_id)]
            days[day] = days.get(day, 0) + n
    return result


def _activities_phrase(standard: Standard) -> str:
    if standard.requires_partner and standard.requires_priorities:
        return _("activities with a partner that set priorities")
    if standard.requires_partner:
        return _("activities with a partner")
    if standard.requires_priorities:
        return _("activities that set priorities")
    return _("activities")


def explain(*, standard: Standard, evaluation: Evaluation, report_period: Period) -> str:
    """One plain sentence for people: what counted, against what, and the verdict."""
    status = str(evaluation.status.label)
    if evaluation.status == Status.NOT_STARTED:
        return _("%(period)s has not started yet.") % {"period": report_period.label}
    windows = evaluation.windows
    if len(windows) == 1:
        window = windows[0]
        values: dict[str, Any] = {
            "count": window.count,
            "minimum": window.minimum,
            "things": _activities_phrase(standard),
            "period": window.period.label,
            "status": status,
        }
        if not window.is_open:
            return _("%(count)s of %(minimum)s %(things)s in %(period)s: %(status)s.") % values
        if window.status == Status.MET:
            return _("%(count)s of %(minimum)s %(things)s in %(period)s so far: %(status)s.") % values
        values["projected"] = f"{window.projected:.1f}"
        return (
            _(
                "%(count)s of %(minimum)s %(things)s in %(period)s so far; at this pace %(projected)s by its end: %(status)s."
            )
            % values
        )
    unit = UNIT_PLURALS[windows[0].period.kind](len(windows))
    parts = [
        _("%(met)s of %(total)s %(unit)s met in %(period)s")
        % {"met": evaluation.met_windows, "total": len(windows), "unit": unit, "period": report_period.label}
    ]
    missed = evaluation.missed_windows
    if missed:
        named = ", ".join(w.period.label for w in missed[:MISSED_SHOWN])
        if len(missed) > MISSED_SHOWN:
            named = _("%(named)s and %(more)s more") % {"named": named, "more": len(missed) - MISSED_SHOWN}
        parts.append(_("missed %(windows)s") % {"windows": named})
    current = evaluation.open_window
    if current is not None and current.status != Status.MET:
        parts.append(
            _("%(needed)s more needed in %(window)s") % {"needed": current.needed, "window": current.period.label}
        )
    to_come = sum(1 for w in windows if w.status == Status.NOT_STARTED)
    if to_come:
        parts.append(_("%(n)s still to come") % {"n": to_come})
    return _("%(facts)s: %(status)s.") % {"facts": "; ".join(parts), "status": status}


def _tally(team: Area, results: list[StandardResult]) -> TeamCompliance:
    counts = {status: sum(1 for r in results if r.status == status) for status in Status}
    judged = len(results) - counts[Status.NOT_STARTED]
    good = counts[Status.MET] + counts[Status.ON_TRACK]
    return TeamCompliance(
        team=team,
        results=results,
        met=counts[Status.MET],
        on_track=counts[Status.ON_TRACK],
        at_risk=counts[Status.AT_RISK],
        missed=counts[Status.MISSED],
        score=good / judged if judged else 0.0,
        not_started=counts[Status.NOT_STARTED],
    )


def _span(standards: Iterable[Standard], period: Period, as_of: date) -> tuple[date, date] | None:
    """The days whose activity can count for any of the standards, up to as_of; None if none."""
    spans = [covered_span(s.period, period) for s in standards]
    if not spans:
        return None
    start = min(first for first, _last in spans)
    end = min(max(last for _first, last in spans), as_of)
    return (start, end) if start <= end else None


def _force_id(team: Area) -> int | None:
    return team.pk if team.level == Level.FORCE else team.force_id


def teams_compliance(
    *, teams: Sequence[Area], period: Period, as_of: date, day_over: bool | None = None
) -> list[TeamCompliance]:
    """Each team judged against its force's active standards for its level, best first.

    Ranked by score (highest first), then fewest missed, then name. `day_over` as from
    `judging_date`; None works it out from today (`as_of < timezone.localdate()`).
    """
    if day_over is None:
        day_over = as_of < timezone.localdate()
    by_force: dict[int | None, list[Area]] = defaultdict(list)
    for team in teams:
        if team.level not in TEAM_LEVEL.values():
            raise ValueError(f"{team} is not a team: compliance is for neighbourhoods and policing areas.")
        by_force[_force_id(team)].append(team)
    forces = Area.objects.in_bulk([pk for pk in by_force if pk is not None]) if by_force else {}
    judged: list[TeamCompliance] = []
    for force_id, force_teams in by_force.items():
        force = forces.get(force_id) if force_id is not None else None
        standards = [s for s in standards_for_force(force) if s.active] if force is not None else []
        span = _span(standards, period, as_of)
        counts = daily_counts(teams=force_teams, standards=standards, start=span[0], end=span[1]) if span else {}
        for team in force_teams:
            results = []
            for standard in standards:
                if not applies(standard, team):
                    continue
                evaluation = evaluate(
                    minimum=standard.minimum,
                    standard_period=standard.period,
                    report_period=period,
                    as_of=as_of,
                    daily_counts=counts.get((team.pk, standard.pk), {}),
                    day_over=day_over,
                )
                results.append(
                    StandardResult(
                        standard=standard,
                        evaluation=evaluation,
                        explanation=explain(standard=standard, evaluation=evaluation, report_period=period),
                    )
                )
            judged.append(_tally(team, results))
    judged.sort(key=lambda c: (-c.score, c.missed, c.team.name, c.team.pk))
    return judged


def team_compliance(*, team: Area, period: Period, as_of: date, day_over: bool | None = None) -> TeamCompliance:
    return teams_compliance(teams=[team], period=period, as_of=as_of, day_over=day_over)[0]


def evidence(*, team: Area, standard: Standard, window: Period, as_of: date | None = None) -> QuerySet[Activity]:
    """The activities that counted for `team` and `standard` in `window` (and on or before
    `as_of` when given), newest first."""
    links = ActivityArea.objects.filter(
        type_id__in=standard.types.values("pk"), date__gte=window.start, date__lte=window.end
    )
    if as_of is not None:
        links = links.filter(date__lte=as_of)
    if standard.applies_to == AppliesTo.NPA:
        links = links.filter(Q(area=team) | Q(area__parent=team, area__level=Level.NEIGHBOURHOOD))
    else:
        links = links.filter(area=team)
    if standard.requires_partner:
        links = links.filter(with_partner=True)
    if standard.requires_priorities:
        links = links.filter(priorities_set=True)
    return (
        Activity.objects.filter(pk__in=links.values("activity_id")).select_related("type").order_by("-starts_at", "-id")
    )


def teams_under(area: Area) -> list[Area]:
    """The teams a compliance view of `area` ranks: policing areas first, then neighbourhoods.

    A force: all its NPAs and neighbourhoods (callers keep the level they show); an NPA: itself
    and its neighbourhoods; a neighbourhood: itself; any other level: none.
    """
    if area.level == Level.NEIGHBOURHOOD:
        return [area]
    if area.level == Level.FORCE:
        found = Area.objects.filter(force=area, level__in=TEAM_LEVEL.values())
    elif area.level == Level.NPA:
        found = Area.objects.filter(Q(pk=area.pk) | Q(parent=area, level=Level.NEIGHBOURHOOD))
    else:
        return []
    return sorted(found.select_related("force", "parent"), key=lambda a: (a.level != Level.NPA, a.name, a.pk))
