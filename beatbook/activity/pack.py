"""The monthly performance pack of a neighbourhood policing area (NPA): its figures, read once.

`build_pack` gathers everything the pack's page, PDF and spreadsheet show, so the three agree:

- compliance of the NPA's teams (the NPA itself and its neighbourhoods) for the month and for
  the year to date, both judged on the month's last day (or today, for the current month), as
  `compliance_selectors.judging_date` has it, so a finished month reads as the compliance
  pages show it;
- activity by type for each of the twelve months to the pack's month;
- people reached in person and online, activities with partners, each month;
- issues raised by category (activities naming each category), twelve months and the month;
- partner involvement: the partners named most often, and the share of patch walks with a
  partner.

"The NPA's activity" is every activity linked to the NPA itself or to one of its
neighbourhoods, each counted once however many of them it names (a joint patch walk of two
neighbourhoods is one walk). Force-wide activity is not the NPA's. The figures are a fixed
number of grouped queries whatever the number of teams or activities (tested).

`compliance_tables` turns ranked `TeamCompliance` rows into tables by team level, with one
column per standard; the compliance pages use it too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.formats import date_format
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _

from beatbook.areas.models import Area, Level

from .compliance import Status
from .compliance_selectors import StandardResult, TeamCompliance, judging_date, teams_compliance, teams_under
from .models import Activity, ActivityArea, ActivityType, IssueCategory, Standard
from .periods import Period, month_period, parse_period, year_period

PACK_MONTHS = 12
TOP_PARTNERS = 10
PATCH_WALK = "patch-walk"

# GOV.UK tag colours; the tag's text always names the status too.
STATUS_TAGS: dict[Status, str] = {
    Status.MET: "govuk-tag--green",
    Status.ON_TRACK: "",  # the plain GOV.UK tag is blue
    Status.AT_RISK: "govuk-tag--orange",
    Status.MISSED: "govuk-tag--red",
    Status.NOT_STARTED: "govuk-tag--grey",
}
# Ranking order of the statuses, for summaries (best first).
STATUS_ORDER = (Status.MET, Status.ON_TRACK, Status.AT_RISK, Status.MISSED, Status.NOT_STARTED)


def status_text(status: Status) -> str:
    """'Met', 'On track', 'At risk'… as a tag or a cell shows it."""
    return capfirst(str(status.label))


# --- Compliance tables ----------------------------------------------------------------------


@dataclass(frozen=True)
class StatusCell:
    result: StandardResult

    @property
    def status(self) -> Status:
        return self.result.status

    @property
    def text(self) -> str:
        return status_text(self.result.status)

    @property
    def css(self) -> str:
        return STATUS_TAGS[self.result.status]


@dataclass(frozen=True)
class ComplianceRow:
    rank: int
    compliance: TeamCompliance
    cells: list[StatusCell | None]  # one per column; None where the standard is not the team's

    @property
    def team(self) -> Area:
        return self.compliance.team

    @property
    def score_text(self) -> str:
        """The share of judged standards met or on track, as a percentage; a dash before any is judged."""
        return f"{self.compliance.score:.0%}" if self.compliance.judged else "\u2013"


@dataclass(frozen=True)
class ComplianceTable:
    level: str  # Level.NPA or Level.NEIGHBOURHOOD
    standards: list[Standard]
    rows: list[ComplianceRow]

    @property
    def counts(self) -> dict[Status, int]:
        """How many team-standard results have each status, over the whole table."""
        tally = dict.fromkeys(STATUS_ORDER, 0)
        for row in self.rows:
            for cell in row.cells:
                if cell is not None:
                    tally[cell.status] += 1
        return tally

    @property
    def summary(self) -> list[tuple[str, int]]:
        return [(status_text(status), n) for status, n in self.counts.items()]


def compliance_tables(ranked: Sequence[TeamCompliance]) -> list[ComplianceTable]:
    """Policing areas first, then neighbourhoods; each keeps the ranking it was given."""
    tables = []
    for level in (Level.NPA, Level.NEIGHBOURHOOD):
        teams = [c for c in ranked if c.team.level == level]
        if not teams:
            continue
        columns: dict[int, Standard] = {}
        for team in teams:
            for result in team.results:
                columns.setdefault(result.standard.pk, result.standard)
        standards = sorted(columns.values(), key=lambda s: (s.position, s.name, s.pk))
        rows = []
        for rank, team in enumerate(teams, start=1):
            by_standard = {r.standard.pk: r for r in team.results}
            cells = [StatusCell(by_standard[s.pk]) if s.pk in by_standard else None for s in standards]
            rows.append(ComplianceRow(rank=rank, compliance=team, cells=cells))
        tables.append(ComplianceTable(level=level, standards=standards, rows=rows))
    return tables


# --- Months ---------------------------------------------------------------------------------


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) the month holding `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def default_month(today: date) -> Period:
    """The last complete month: the pack is made for the meeting after a month ends."""
    previous = add_months(today, -1)
    return month_period(previous.year, previous.month)


def parse_month(text: str, *, today: date) -> Period:
    """'2025-03' → March 2025. ValueError (a message for people) for anything else or a future month."""
    try:
        period = parse_period(text)
    except ValueError:
        raise ValueError(_("Enter a month like %(example)s") % {"example": f"{today:%Y-%m}"}) from None
    if period.kind != "month":
        raise ValueError(_("Enter a month like %(example)s") % {"example": f"{today:%Y-%m}"})
    if period.start > today:
        raise ValueError(_("The month cannot be in the future"))
    return period


def months_to(month: Period, count: int = PACK_MONTHS) -> list[Period]:
    """The `count` months ending with `month`, oldest first."""
    firsts = [add_months(month.start, -offset) for offset in range(count - 1, -1, -1)]
    return [month_period(m.year, m.month) for m in firsts]


# --- The pack -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeTrend:
    type: ActivityType
    counts: list[int]  # one per month of the pack, oldest first

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def this_month(self) -> int:
        return self.counts[-1]


@dataclass(frozen=True)
class Figures:
    activities: int
    people_reached: int
    online_reach: int
    with_partner: int  # activities with at least one partner


@dataclass(frozen=True)
class MonthFigures(Figures):
    month: Period


@dataclass(frozen=True)
class CategoryCount:
    category: IssueCategory
    twelve_months: int
    this_month: int


@dataclass(frozen=True)
class PartnerCount:
    name: str
    twelve_months: int
    this_month: int


@dataclass(frozen=True)
class Share:
    """Some of a total (patch walks with a partner of all patch walks)."""

    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def text(self) -> str:
        return f"{self.ratio:.0%}" if self.ratio is not None else "\u2013"


@dataclass
class Pack:
    npa: Area
    force: Area
    month: Period
    year_to_date: Period  # the calendar year holding the month, judged as of `as_of`
    as_of: date
    months: list[Period]
    compliance_month: list[ComplianceTable]
    compliance_year: list[ComplianceTable]
    by_type: list[TypeTrend]
    monthly: list[MonthFigures]
    categories: list[CategoryCount]
    partners: list[PartnerCount]
    unlisted_partner_activities: int  # activities naming partners outside the force's list
    patch_walks_year: Share
    patch_walks_month: Share
    notes: list[str] = field(default_factory=list)

    @property
    def span(self) -> tuple[date, date]:
        return self.months[0].start, self.months[-1].end

    @property
    def this_month(self) -> MonthFigures:
        return self.monthly[-1]

    @property
    def totals(self) -> Figures:
        """The twelve months together."""
        return Figures(
            activities=sum(m.activities for m in self.monthly),
            people_reached=sum(m.people_reached for m in self.monthly),
            online_reach=sum(m.online_reach for m in self.monthly),
            with_partner=sum(m.with_partner for m in self.monthly),
        )

    @property
    def title(self) -> str:
        return _("Performance pack: %(npa)s, %(month)s") % {"npa": self.npa.name, "month": self.month.label}

    @property
    def filename_stem(self) -> str:
        return f"performance-pack-{slugify(self.npa.code)}-{self.month.code}"


def _npa_links(npa: Area, start: date, end: date) -> QuerySet[ActivityArea]:
    return ActivityArea.objects.filter(
        Q(area=npa) | Q(area__parent=npa, area__level=Level.NEIGHBOURHOOD), date__gte=start, date__lte=end
    )


def npa_activities(npa: Area, *, start: date, end: date) -> QuerySet[Activity]:
    """The NPA's activity from `start` to `end` (local dates, inclusive), each activity once."""
    return Activity.objects.filter(
        pk__in=_npa_links(npa, start, end).values("activity_id"), date__gte=start, date__lte=end
    )


def _monthly_by_type(
    activities: QuerySet[Activity], partnered_ids: QuerySet[ActivityArea, Any]
) -> dict[tuple[date, int], dict[str, int]]:
    """(first of month, type id) → activities, reach and partnered counts. One query."""
    rows = (
        activities.annotate(month=TruncMonth("date"))
        .values("month", "type_id")
        .annotate(
            activities=Count("id"),
            people_reached=Sum("people_reached"),
            online_reach=Sum("online_reach"),
            partnered=Count("id", filter=Q(pk__in=partnered_ids)),
            unlisted=Count("id", filter=~Q(other_partners="")),
        )
        .order_by()
    )
    result: dict[tuple[date, int], dict[str, int]] = {}
    for row in rows:
        month = row["month"]
        # Some databases give the truncated date back as a midnight datetime.
        first = month.date() if isinstance(month, datetime) else month
        result[(first, row["type_id"])] = {
            name: int(row[name] or 0) for name in ("activities", "people_reached", "online_reach", "unlisted")
        }
        # Not annotated as "with_partner": that name is a property of Activity.
        result[(first, row["type_id"])]["with_partner"] = int(row["partnered"] or 0)
    return result


def _categories(activities: QuerySet[Activity], month: Period) -> list[CategoryCount]:
    """Activities naming each category, twelve months and this month. Two queries."""
    through = Activity.issue_categories.through
    rows = (
        through.objects.filter(activity__in=activities)
        .values("issuecategory_id")
        .annotate(
            twelve_months=Count("activity_id", distinct=True),
            this_month=Count("activity_id", distinct=True, filter=Q(activity__date__gte=month.start)),
        )
        .order_by()
    )
    counts = {row["issuecategory_id"]: row for row in rows}
    categories = IssueCategory.objects.filter(pk__in=list(counts)) if counts else IssueCategory.objects.none()
    found = [CategoryCount(c, counts[c.pk]["twelve_months"], counts[c.pk]["this_month"]) for c in categories]
    return sorted(found, key=lambda c: (-c.twelve_months, -c.this_month, c.category.position, c.category.name))


def _partners(activities: QuerySet[Activity], month: Period) -> list[PartnerCount]:
    """The partners named on most activities over the twelve months. One query."""
    through = Activity.partners.through
    rows = (
        through.objects.filter(activity__in=activities)
        .values("partner__name")
        .annotate(
            twelve_months=Count("activity_id", distinct=True),
            this_month=Count("activity_id", distinct=True, filter=Q(activity__date__gte=month.start)),
        )
        .order_by("-twelve_months", "-this_month", "partner__name")[:TOP_PARTNERS]
    )
    return [PartnerCount(row["partner__name"], row["twelve_months"], row["this_month"]) for row in rows]


def build_pack(*, npa: Area, month: Period, today: date) -> Pack:
    """Everything in the NPA's pack for `month`. Access is the caller's (`pack_views`)."""
    if npa.level != Level.NPA:
        raise ValueError(f"{npa} is not a neighbourhood policing area")
    force = npa.owning_force
    assert force is not None
    as_of, day_over = judging_date(month, None, today=today)
    months = months_to(month)
    start, end = months[0].start, months[-1].end

    teams = teams_under(npa)
    year = year_period(month.start.year)
    compliance_month = compliance_tables(teams_compliance(teams=teams, period=month, as_of=as_of, day_over=day_over))
    compliance_year = compliance_tables(teams_compliance(teams=teams, period=year, as_of=as_of, day_over=day_over))

    activities = npa_activities(npa, start=start, end=end)
    partnered = _npa_links(npa, start, end).filter(with_partner=True).values("activity_id")
    grouped = _monthly_by_type(activities, partnered)
    types = list(ActivityType.objects.all())
    used = {type_id for _month, type_id in grouped}
    by_type = [
        TypeTrend(t, [grouped.get((m.start, t.pk), {}).get("activities", 0) for m in months])
        for t in types
        if t.active or t.pk in used
    ]
    monthly = []
    for m in months:
        cells = [v for (first, _type), v in grouped.items() if first == m.start]
        monthly.append(
            MonthFigures(
                month=m,
                activities=sum(c["activities"] for c in cells),
                people_reached=sum(c["people_reached"] for c in cells),
                online_reach=sum(c["online_reach"] for c in cells),
                with_partner=sum(c["with_partner"] for c in cells),
            )
        )
    walk_ids = {t.pk for t in types if t.slug == PATCH_WALK}
    walks = {k: v for k, v in grouped.items() if k[1] in walk_ids}
    walks_month = [v for (first, _type), v in walks.items() if first == month.start]

    notes = []
    if as_of < month.end:
        notes.append(
            _("%(month)s is not over: figures are to %(day)s.")
            % {"month": month.label, "day": date_format(as_of, "j F Y")}
        )
    return Pack(
        npa=npa,
        force=force,
        month=month,
        year_to_date=year,
        as_of=as_of,
        months=months,
        compliance_month=compliance_month,
        compliance_year=compliance_year,
        by_type=by_type,
        monthly=monthly,
        categories=_categories(activities, month),
        partners=_partners(activities, month),
        unlisted_partner_activities=sum(v["unlisted"] for v in grouped.values()),
        patch_walks_year=Share(
            sum(v["with_partner"] for v in walks.values()), sum(v["activities"] for v in walks.values())
        ),
        patch_walks_month=Share(sum(v["with_partner"] for v in walks_month), sum(v["activities"] for v in walks_month)),
        notes=notes,
    )
