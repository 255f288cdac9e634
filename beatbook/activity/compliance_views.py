"""Staff compliance pages: teams ranked against the engagement standards, and one team's detail.

Access (all from `access`):

- The overview shows the teams of an area the user may see: the force (force-scoped users),
  an NPA or a neighbourhood from `access.teams_for_user`; by default the user's own scope, so
  an officer sees their own team's row. Partners have no teams, so they get a 403.
- A team page is `access.get_team_for_user`: a 404 for a team out of scope.

The judging is `compliance_selectors` (the engine); these views only choose the period and
lay out its results. `?period=` is a year, quarter, month or ISO week (`periods.parse_period`)
and `?as_of=` a date: by default the period's last day, or today while it runs, and never in
the future (`compliance_selectors.judging_date`, the rule the command and the pack follow too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from beatbook.accounts.forms import GovukFormMixin
from beatbook.accounts.models import User
from beatbook.areas.models import Area, Level

from . import access
from .compliance import Evaluation, Status, WindowResult
from .compliance_selectors import (
    StandardResult,
    evidence,
    judging_date,
    team_compliance,
    teams_compliance,
    teams_under,
)
from .pack import STATUS_TAGS, compliance_tables, status_text
from .pack_views import may_have_packs
from .periods import Period, covered_span, parse_period, period_containing

EVIDENCE_SHOWN = 50
# Up to this many windows are listed one by one; more (the days of a year) are summarised.
WINDOWS_LISTED = 14
QUICK_PERIODS = (
    ("year", gettext_lazy("This year")),
    ("quarter", gettext_lazy("This quarter")),
    ("month", gettext_lazy("This month")),
    ("week", gettext_lazy("This week")),
)
UNITS = {
    "day": lambda n: ngettext("%(n)s day", "%(n)s days", n) % {"n": n},
    "week": lambda n: ngettext("%(n)s week", "%(n)s weeks", n) % {"n": n},
    "month": lambda n: ngettext("%(n)s month", "%(n)s months", n) % {"n": n},
    "quarter": lambda n: ngettext("%(n)s quarter", "%(n)s quarters", n) % {"n": n},
    "year": lambda n: ngettext("%(n)s year", "%(n)s years", n) % {"n": n},
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- Choosing the area and the period --------------------------------------------------------


class Judging(NamedTuple):
    """A period, the day it is judged on, and whether that day is over (`judging_date`)."""

    period: Period
    as_of: date
    day_over: bool


class PeriodForm(GovukFormMixin, forms.Form):
    """The period and the date it is judged on (a GET form, so the address can be shared)."""

    period = forms.CharField(
        label=gettext_lazy("Period"),
        required=False,
        max_length=10,
        help_text=gettext_lazy(
            "A year (2025), quarter (2025-Q3), month (2025-07) or ISO week (2025-W27). Empty for this year."
        ),
    )
    as_of = forms.DateField(
        label=gettext_lazy("Judged on (optional)"),
        required=False,
        help_text=gettext_lazy(
            "See the period as it stood on an earlier day, for example 2025-06-30. Empty for the "
            "period's last day, or today while it runs."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    widths = {"period": "govuk-input--width-10", "as_of": "govuk-input--width-10"}

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["period"].widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})
        self.fields["as_of"].error_messages["invalid"] = _("Enter the date like 2025-06-30")

    def clean_period(self) -> Period:
        text = (self.cleaned_data.get("period") or "").strip()
        if not text:
            return period_containing("year", self.today)
        try:
            return parse_period(text)
        except ValueError:
            raise forms.ValidationError(
                _("Enter a period like 2025, 2025-Q3, 2025-07 or 2025-W27"), code="invalid"
            ) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "as_of" not in cleaned:
            return cleaned
        # A wrong period shows this year (`chosen`), but a day in the future is still named.
        period = cleaned.get("period") or period_containing("year", self.today)
        try:
            cleaned["as_of"], cleaned["day_over"] = judging_date(period, cleaned["as_of"], today=self.today)
        except ValueError as error:
            self.add_error("as_of", forms.ValidationError(str(error), code="future"))
        return cleaned

    def chosen(self) -> Judging:
        """The valid choice, or this year as of today when the form is empty or wrong."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            return Judging(data["period"], data["as_of"], data["day_over"])
        period = period_containing("year", self.today)
        return Judging(period, *judging_date(period, None, today=self.today))


class OverviewForm(PeriodForm):
    area = forms.ChoiceField(label=gettext_lazy("Area"), required=False)
    widths = {**PeriodForm.widths}

    def __init__(self, *args: Any, areas: list[Area], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.areas = areas
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ChoiceField)
        area_field.choices = [(a.code, f"{a.name} ({a.get_level_display()})") for a in areas]
        area_field.error_messages["invalid_choice"] = _("Choose an area from the list")
        # The area comes first on the page.
        self.order_fields(["area", "period", "as_of"])

    def chosen_area(self, default: Area) -> Area:
        code = self.cleaned_data.get("area") if self.is_bound and self.is_valid() else None
        return next((a for a in self.areas if a.code == code), default) if code else default

    def first_field_id(self) -> str:
        return "id_area"


def _areas_for(user: User) -> list[Area]:
    """The areas whose teams the user may rank: their force if they see it whole, then NPAs, then neighbourhoods."""
    teams = list(access.teams_for_user(user).select_related("force", "parent"))
    if not teams:
        raise PermissionDenied(_("Compliance with engagement standards is shown to the force's own staff."))
    teams.sort(key=lambda a: (a.level != Level.NPA, a.name, a.pk))
    scope = user.area
    if scope is not None and scope.level == Level.FORCE:
        return [scope, *teams]
    return teams


def _query(period: Period, as_of: date, today: date, **extra: str) -> str:
    values = {**extra, "period": period.code}
    if as_of != today:
        values["as_of"] = as_of.isoformat()
    return urlencode(values)


def _quick_links(today: date, **extra: str) -> list[dict[str, str]]:
    return [
        {"label": str(label), "query": urlencode({**extra, "period": period_containing(kind, today).code})}
        for kind, label in QUICK_PERIODS
    ]


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    areas = _areas_for(user)
    today = timezone.localdate()
    form = OverviewForm(request.GET or None, areas=areas, today=today)
    default = user.area if user.area in areas else areas[0]
    assert default is not None
    area = form.chosen_area(default)
    period, as_of, day_over = form.chosen()
    # Only the chosen area's own teams: an NPA's commander does not see the other NPAs.
    teams = [t for t in teams_under(area) if t in set(areas)]
    ranked = teams_compliance(teams=teams, period=period, as_of=as_of, day_over=day_over)
    context = {
        "form": form,
        "area": area,
        "period": period,
        "as_of": as_of,
        "today": today,
        "tables": compliance_tables(ranked),
        "link_query": _query(period, as_of, today),
        "quick_links": _quick_links(today, area=area.code),
        "pack_npas": [t for t in teams if t.level == Level.NPA] if may_have_packs(user) else [],
    }
    return render(request, "activity/compliance_overview.html", context)


# --- One team -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowGroup:
    """Several windows summarised in one row (the days of one month of a daily standard)."""

    label: str
    windows: int
    met: int
    missed: int
    counted: int


@dataclass(frozen=True)
class StandardSection:
    result: StandardResult
    tag: str
    status_text: str
    needed: list[str]
    windows: list[WindowResult]  # listed one by one, when there are few
    groups: list[WindowGroup]  # otherwise summarised
    missed_runs: list[str]
    evidence: list[Any]
    evidence_total: int
    evidence_span: tuple[date, date]

    @property
    def standard(self) -> Any:
        return self.result.standard

    @property
    def evidence_more(self) -> int:
        return self.evidence_total - len(self.evidence)


def window_text(window: WindowResult) -> str:
    return status_text(window.status)


def _day(day: date) -> str:
    return date_format(day, "j F Y")


def missed_runs(windows: list[WindowResult]) -> list[str]:
    """Missed windows as runs of consecutive ones: '6 to 19 January 2025 (14 days)'."""
    runs: list[list[WindowResult]] = []
    for window in windows:
        if window.status != Status.MISSED:
            continue
        if runs and runs[-1][-1].period.end + timedelta(days=1) == window.period.start:
            runs[-1].append(window)
        else:
            runs.append([window])
    texts = []
    for run in runs:
        if len(run) == 1:
            texts.append(run[0].period.label)
        else:
            texts.append(
                _("%(first)s to %(last)s (%(count)s)")
                % {
                    "first": _day(run[0].period.start),
                    "last": _day(run[-1].period.end),
                    "count": UNITS[run[0].period.kind](len(run)),
                }
            )
    return texts


def window_groups(windows: list[WindowResult], report: Period) -> list[WindowGroup]:
    """Windows summed by month (or by ISO week when the report is a month or shorter).

    A week goes to the month holding its Thursday, as in `periods`.
    """
    by = "week" if report.kind in ("month", "week", "day") else "month"
    groups: dict[Period, list[WindowResult]] = {}
    for window in windows:
        anchor = window.period.start + timedelta(days=3) if window.period.kind == "week" else window.period.start
        groups.setdefault(period_containing(by, anchor), []).append(window)
    return [
        WindowGroup(
            label=group.label,
            windows=len(items),
            met=sum(1 for w in items if w.status == Status.MET),
            missed=sum(1 for w in items if w.status == Status.MISSED),
            counted=sum(w.count for w in items),
        )
        for group, items in groups.items()
    ]


def still_needed(evaluation: Evaluation) -> list[str]:
    """What the team still has to do, in plain sentences."""
    lines = []
    current = evaluation.open_window
    if current is not None and current.needed:
        lines.append(
            ngettext(
                "%(n)s more in %(window)s, by %(end)s.",
                "%(n)s more in %(window)s, by %(end)s.",
                current.needed,
            )
            % {"n": current.needed, "window": current.period.label, "end": _day(current.period.end)}
        )
    to_come = [w for w in evaluation.windows if w.status == Status.NOT_STARTED]
    if to_come:
        lines.append(
            _("Then at least %(minimum)s in each of the %(count)s still to come.")
            % {"minimum": to_come[0].minimum, "count": UNITS[to_come[0].period.kind](len(to_come))}
        )
    if not lines and evaluation.status == Status.MET:
        lines.append(_("Nothing more is needed for this period."))
    elif not lines and evaluation.status == Status.MISSED:
        lines.append(_("The period is over: missed windows cannot be made up."))
    return lines


def _section(team: Area, result: StandardResult, period: Period, as_of: date) -> StandardSection:
    evaluation = result.evaluation
    start, end = covered_span(result.standard.period, period)
    found = evidence(team=team, standard=result.standard, window=Period(period.kind, start, end), as_of=as_of)
    shown = list(found[: EVIDENCE_SHOWN + 1])
    total = len(shown) if len(shown) <= EVIDENCE_SHOWN else found.count()
    many = len(evaluation.windows) > WINDOWS_LISTED
    return StandardSection(
        result=result,
        tag=STATUS_TAGS[result.status],
        status_text=status_text(result.status),
        needed=still_needed(evaluation),
        windows=[] if many else evaluation.windows,
        groups=window_groups(evaluation.windows, period) if many else [],
        missed_runs=missed_runs(evaluation.windows) if many else [],
        evidence=shown[:EVIDENCE_SHOWN],
        evidence_total=total,
        evidence_span=(start, min(end, as_of)),
    )


@login_required
def team(request: HttpRequest, level: str, code: str) -> HttpResponse:
    user = _user(request)
    found = access.get_team_for_user(user, code=code, level=level)
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, today=today)
    period, as_of, day_over = form.chosen()
    judged = team_compliance(team=found, period=period, as_of=as_of, day_over=day_over)
    sections = [_section(found, result, period, as_of) for result in judged.results]
    context = {
        "form": form,
        "team": found,
        "period": period,
        "as_of": as_of,
        "today": today,
        "compliance": judged,
        "sections": sections,
        "quick_links": _quick_links(today),
        "overview_query": _query(period, as_of, today, area=found.code),
        "pack_month": f"{period.end:%Y-%m}" if period.end < today else "",
        "show_pack": found.level == Level.NPA and may_have_packs(user),
    }
    return render(request, "activity/compliance_team.html", context)
