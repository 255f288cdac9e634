"""Two years of engagement activity for the demo force, as the spreadsheet a force would import.

`generate_activity` is pure Python over the generated geography (no queries): the same seed
and the same build day give the same rows. `load_activity` adds the force's partner
organisations and places, writes the rows as an activity CSV and imports it with
`beatbook import-activities`' own function (its bulk path, which checks each row with the
services' rules and writes them in a few statements), so every demo build runs that importer.

What the teams do, month by month up to the build day (Europe/London): quarterly ward or
parish meetings and PACT meetings (which set the priorities), patch walks with the council,
housing or fire service, monthly beat surgeries and newsletters, school visits in term time,
community events that crowd into the summer, door-knocking, drop-ins, campaigns, a survey a
quarter; each policing area's social-media account posts every day about its neighbourhoods,
teams post their own news now and then, and each area commander writes a weekly blog.

Designed outcomes, so the compliance pages show every state (`PROFILES`):

* exemplary teams meet every standard, last year and so far this year;
* some walk their patch without partners (one walk with a partner a year: missed last year,
  at risk this year), or skip a quarter's survey (missed), or miss some days of social
  media (missed);
* some are late: no newsletter yet this month, or no survey yet this quarter (at risk);
* the demo officer's team has a mix: a missed newsletter month and a survey not yet done this
  quarter this year, a quarter without priorities set last year;
* the last policing area's commander misses several weeks of blogs, and has not written this
  week's yet.

The figures (people reached, online reach, hours) are invented, in the style of a county force.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from beatbook.activity import directory_services
from beatbook.activity.importers.activities import COLUMNS as IMPORT_COLUMNS
from beatbook.activity.importers.activities import IGNORED_COLUMNS, import_activities
from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportReport

from .geography import CITY, DISTRICTS, FORCE_NAME, Geography, Group

# --- what each team is like ------------------------------------------------------------------

EXEMPLARY = "exemplary"
NO_PARTNER_WALKS = "no-partner-walks"
SURVEY_GAP = "survey-gap"
LATE_NEWSLETTER = "late-newsletter"
SURVEY_LATE = "survey-late"
SOCIAL_GAPS = "social-gaps"
MIXED = "mixed"
PROFILES = (EXEMPLARY, NO_PARTNER_WALKS, SURVEY_GAP, LATE_NEWSLETTER, SURVEY_LATE, SOCIAL_GAPS, MIXED)
# Dealt out in neighbourhood-code order to every team but the demo officer's (MIXED).
_DEAL = (
    EXEMPLARY,
    NO_PARTNER_WALKS,
    SURVEY_GAP,
    EXEMPLARY,
    LATE_NEWSLETTER,
    SOCIAL_GAPS,
    EXEMPLARY,
    SURVEY_LATE,
    NO_PARTNER_WALKS,
    EXEMPLARY,
    LATE_NEWSLETTER,
)
MONTHS_OF_HISTORY = 24
# Weeks of the year whose blog the last policing area's commander did not write.
BLOG_WEEKS_MISSED_LAST_YEAR = 6
BLOG_WEEKS_MISSED_THIS_YEAR = 3
SOCIAL_DAYS_MISSED_A_YEAR = 9

# The importer's columns (the export's, but its id): the file could have come from the export.
COLUMNS = [name for name in IMPORT_COLUMNS if name not in IGNORED_COLUMNS]
SITE = "https://www.demoshire-police.example"

# --- partners and places ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPartner:
    name: str
    kind: str  # Partner.Kind value
    district: int | None = None  # the district it serves; None: the whole county


@dataclass(frozen=True)
class DemoPlace:
    name: str
    neighbourhood: str  # code
    address: str
    longitude: float
    latitude: float


def demo_partners() -> list[DemoPartner]:
    councils = [
        DemoPartner(f"{CITY} City Council" if d == 0 else f"{name} District Council", "council", d)
        for d, (_code, name) in enumerate(DISTRICTS)
    ]
    county = FORCE_NAME.removesuffix(" Police")
    return [
        *councils,
        DemoPartner(f"{county} Fire and Rescue Service", "fire"),
        DemoPartner(f"{CITY} Homes", "housing", 0),
        DemoPartner("Fenland Vale Housing Association", "housing"),
        DemoPartner("Three Rivers Learning Trust", "education"),
        DemoPartner(f"{county} Neighbourhood Watch Association", "voluntary"),
        DemoPartner(f"{CITY} Business Improvement District", "business", 0),
        DemoPartner(f"{county} Community Health Partnership", "health"),
        DemoPartner(f"Churches Together in {CITY}", "faith", 0),
    ]


PLACE_KINDS = ("Community Centre", "Library", "Village Hall", "Methodist Church Hall", "Primary School")


def demo_places(geography: Geography) -> list[DemoPlace]:
    """Two places in each neighbourhood, in its largest wards, with a point inside the ward."""
    places = []
    for number, team in enumerate(geography.neighbourhoods):
        for index, w in enumerate(team.wards[:2]):
            ward = geography.wards[w]
            kind = PLACE_KINDS[(number + index) % len(PLACE_KINDS)]
            if kind == "Village Hall" and team.district == 0:
                kind = "Community Centre"
            point = ward.lonlat.representative_point() if ward.lonlat is not None else None
            places.append(
                DemoPlace(
                    name=f"{ward.name} {kind}",
                    neighbourhood=team.code,
                    address=f"{STREETS[(number * 3 + index) % len(STREETS)]}, {ward.name}",
                    longitude=round(point.x, 6) if point is not None else 0.0,
                    latitude=round(point.y, 6) if point is not None else 0.0,
                )
            )
    return places


# --- words ----------------------------------------------------------------------------------

STREETS = (
    "Station Road",
    "Church Lane",
    "High Street",
    "Mill Lane",
    "Victoria Road",
    "Queen Street",
    "Park Avenue",
    "Orchard Close",
    "Chapel Street",
    "Market Place",
    "School Lane",
    "Bridge Street",
    "Westgate",
    "Newland",
    "Sincil Bank",
    "Carholme Road",
)
# (category slug, what residents said); {street} and {ward} are filled in.
ISSUES = (
    ("speeding", "Speeding on {street} near the primary school"),
    ("speeding", "Cars racing along {street} late at night"),
    ("parking", "Cars parked on the pavement outside the shops on {street}"),
    ("parking", "School-run parking blocking driveways on {street}"),
    ("drugs", "Drug dealing in the alley behind {street}"),
    ("drugs", "Cannabis smell from a flat on {street}"),
    ("anti-social-behaviour", "Young people on e-scooters riding through {ward} park"),
    ("anti-social-behaviour", "Groups drinking on the benches by {street}"),
    ("youth-nuisance", "Youths throwing stones at buses on {street}"),
    ("environment", "Fly-tipping on the track off {street}"),
    ("environment", "Graffiti on the underpass near {street}"),
    ("noise", "Late-night parties at a rented house on {street}"),
    ("burglary", "Shed and garage break-ins around {street}"),
    ("vehicle-crime", "Catalytic converters stolen from cars on {street}"),
    ("fraud", "Cold callers and doorstep scams targeting older residents in {ward}"),
    ("business-crime", "Shoplifting at the convenience store on {street}"),
    ("violence", "Worries about knife crime after a fight on {street}"),
    ("safeguarding", "Concern for a vulnerable man sleeping in the {ward} bus shelter"),
)
FOLLOW_UPS = {
    "speeding": "Speed checks with the Community Speedwatch group next month.",
    "parking": "Joint patrol with council civil enforcement officers; letters to the school.",
    "drugs": "Intelligence submitted; extra patrols at the times residents gave.",
    "anti-social-behaviour": "Referred to the council's ASB team; dispersal patrols on Friday evenings.",
    "youth-nuisance": "Youth workers to visit; PCSO to speak to the bus company.",
    "environment": "Reported to the council for clearance; fly-tipping camera requested.",
    "noise": "Passed to the council's environmental health team.",
    "burglary": "Crime prevention leaflet drop and shed-alarm giveaway.",
    "vehicle-crime": "Marking kits offered at the next beat surgery.",
    "fraud": "Scam-awareness talk booked with the Neighbourhood Watch.",
    "business-crime": "Visit to the shop manager about CCTV and reporting.",
    "violence": "Reassurance patrols; knife-crime talk offered to the school.",
    "safeguarding": "Referral to the council's outreach team.",
}
SOCIAL_TOPICS = (
    "Appeal for witnesses after a burglary in {ward}",
    "Photos from today's patrol around {ward}",
    "Reminder: lock your sheds and garages",
    "Catch us at the next beat surgery in {ward}",
    "Results of last week's speed checks on {street}",
    "Scam warning: fake council tax rebate calls",
    "Thanks to everyone who came to the PACT meeting",
    "Drugs warrant executed on {street}",
    "Bike marking this weekend in {ward}",
    "Meet your neighbourhood team",
)
CAMPAIGNS = (
    (5, "Operation Sceptre: knife-crime awareness week"),
    (8, "Bike marking for the summer holidays"),
    (10, "Darker Nights: burglary prevention"),
    (11, "Operation Sceptre: knife amnesty bin"),
    (12, "Christmas shopping safety in the town centre"),
    (3, "Rural crime week"),
)
EVENTS = (
    (6, "{ward} summer fete"),
    (7, "{ward} carnival"),
    (7, "Community fun day at {ward} park"),
    (8, "{ward} family festival"),
    (10, "Halloween safety stall"),
    (12, "Christmas lights switch-on"),
    (4, "Eid celebration in the community centre"),
    (11, "Bonfire night safety event"),
)
SCHOOL_MONTHS = (1, 2, 3, 5, 6, 9, 10, 11, 12)


# --- the generated rows ----------------------------------------------------------------------


@dataclass
class DemoActivity:
    start: dt.date
    today: dt.date
    profiles: dict[str, str]  # neighbourhood code → profile
    partners: list[DemoPartner]
    places: list[DemoPlace]
    rows: list[dict[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rows)


def assign_profiles(codes: list[str], focus: str | None) -> dict[str, str]:
    """Profile of each neighbourhood: the demo officer's team (`focus`) gets the mixed one."""
    others = [code for code in sorted(codes) if code != focus]
    profiles = {code: _DEAL[index % len(_DEAL)] for index, code in enumerate(others)}
    if focus is not None:
        profiles[focus] = MIXED
    return profiles


def _months(start: dt.date, today: dt.date) -> Iterator[tuple[int, int]]:
    year, month = start.year, start.month
    while (year, month) <= (today.year, today.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _quarter(month: int) -> int:
    return (month - 1) // 3 + 1


def _day(year: int, month: int, day: int) -> dt.date:
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day, last))


class _Writer:
    """Collects rows; a row dated the build day never starts after the build time."""

    def __init__(self, today: dt.date, now: dt.time) -> None:
        self.today = today
        self.now = now
        self.rows: list[dict[str, str]] = []

    def add(self, day: dt.date, at: dt.time, kind: str, areas: list[str], **values: object) -> None:
        if day > self.today:
            return
        if day == self.today and at > self.now:
            at = self.now
        row = {"date": day.isoformat(), "time": at.strftime("%H:%M"), "type": kind, "areas": ";".join(areas)}
        for name, value in values.items():
            if isinstance(value, bool):
                row[name] = "yes" if value else "no"
            elif isinstance(value, list | tuple):
                row[name] = ";".join(str(v) for v in value)
            elif value is not None:
                row[name] = str(value)
        self.rows.append(row)


@dataclass
class _Team:
    group: Group
    profile: str
    wards: list[str]  # names
    ward_codes: list[str]
    places: list[DemoPlace]
    council: str
    officers: list[str]  # demo usernames working in this team
    rural: bool


def generate_activity(
    geography: Geography,
    *,
    seed: int,
    today: dt.date,
    now: dt.time = dt.time(23, 59),
    officers: dict[str, list[str]] | None = None,
    focus: str | None = None,
) -> DemoActivity:
    """Every row of the demo's activity file, from `MONTHS_OF_HISTORY` months ago to `today`.

    `officers` maps an area code to the demo usernames who work there (named as officers on
    its activity); `focus` is the demo officer's neighbourhood, which gets the mixed profile.
    """
    officers = officers or {}
    # The first day of the month MONTHS_OF_HISTORY - 1 months back: this month makes it up.
    back = today.year * 12 + today.month - 1 - (MONTHS_OF_HISTORY - 1)
    start = dt.date(back // 12, back % 12 + 1, 1)
    profiles = assign_profiles([n.code for n in geography.neighbourhoods], focus)
    partners = demo_partners()
    places = demo_places(geography)
    councils = {p.district: p.name for p in partners if p.kind == "council"}
    writer = _Writer(today, now)
    teams = []
    for group in geography.neighbourhoods:
        team = _Team(
            group=group,
            profile=profiles[group.code],
            wards=[geography.wards[w].name for w in group.wards],
            ward_codes=[geography.wards[w].code for w in group.wards],
            places=[p for p in places if p.neighbourhood == group.code],
            council=councils[group.district],
            officers=officers.get(group.code, []),
            rural=group.district != 0,
        )
        teams.append(team)
        _team_activity(writer, team, partners, random.Random(f"beatbook-demo-activity:{seed}:{group.code}"), start)
    for index, npa in enumerate(geography.npas):
        members = [t for t in teams if t.group.parent == index]
        rng = random.Random(f"beatbook-demo-activity:{seed}:{npa.code}")
        _social_media(writer, npa, members, rng, start)
        last = index == len(geography.npas) - 1
        _commander_blog(writer, npa, officers.get(npa.code, []), rng, start, misses_weeks=last)
    writer.rows.sort(key=lambda r: (r["date"], r["time"], r["type"], r["areas"]))
    return DemoActivity(start=start, today=today, profiles=profiles, partners=partners, places=places, rows=writer.rows)


def _issue(rng: random.Random, team: _Team, count: int = 1) -> tuple[str, list[str], str]:
    """(issues raised, category slugs, follow-up) as residents put them."""
    chosen = rng.sample(ISSUES, count)
    texts, slugs, follow = [], [], []
    for slug, template in chosen:
        texts.append(template.format(street=rng.choice(STREETS), ward=rng.choice(team.wards)))
        if slug not in slugs:
            slugs.append(slug)
            follow.append(FOLLOW_UPS[slug])
    return "; ".join(texts), slugs, " ".join(follow)


def _sign_in(rng: random.Random, people: int, *, young: bool = False) -> dict[str, int]:
    """Demographic counts from a sign-in sheet (known for some meetings and events only)."""
    if young:
        under = max(0, people - rng.randint(1, 4))
        female = rng.randint(people * 4 // 10, people * 6 // 10)
        return {"reached_age_under_18": under, "reached_age_25_44": people - under, "reached_sex_female": female}
    weights = (0.04, 0.08, 0.26, 0.32, 0.30)
    names = ("under_18", "18_24", "25_44", "45_64", "65_plus")
    counts = {f"reached_age_{n}": int(people * w) for n, w in zip(names, weights, strict=True)}
    counts["reached_age_65_plus"] += people - sum(counts.values())
    female = round(people * rng.uniform(0.45, 0.62))
    return {**counts, "reached_sex_female": female, "reached_sex_male": people - female}


def _team_activity(
    writer: _Writer, team: _Team, partners: list[DemoPartner], rng: random.Random, start: dt.date
) -> None:
    today = writer.today
    code = team.group.code
    areas = [code]
    who = team.officers
    housing = next(p.name for p in partners if p.kind == "housing" and p.district in (team.group.district, None))
    fire = next(p.name for p in partners if p.kind == "fire")
    school_partner = next(p.name for p in partners if p.kind == "education")
    walks_with_partner_left: dict[int, int] = {}

    for year, month in _months(start, today):
        current_month = (year, month) == (today.year, today.month)
        quarter = _quarter(month)
        this_year = year == today.year
        last_year = year == today.year - 1
        first_of_quarter = month % 3 == 1
        current_quarter = this_year and quarter == _quarter(today.month)
        ward_index = rng.randrange(len(team.wards))
        ward, ward_code = team.wards[ward_index], team.ward_codes[ward_index]
        place = rng.choice(team.places) if team.places else None

        # Newsletter: early in the month, or late for the teams that run late.
        late = team.profile == LATE_NEWSLETTER
        skip = (late and (current_month or (last_year and month == 8))) or (
            team.profile == MIXED and this_year and month == 2 and not current_month
        )
        if not skip:
            day = _day(year, month, rng.randint(21, 27) if late else rng.randint(1, 7))
            writer.add(
                min(day, today),
                dt.time(9, 0),
                "newsletter",
                areas,
                title=f"{team.group.name} newsletter, {day:%B %Y}",
                online_reach=rng.randint(700, 2600),
                officer_hours="2.5",
                links=[f"{SITE}/neighbourhoods/{code.lower()}/newsletter-{day:%Y-%m}"],
                officers=who,
                shared_with_partners=True,
            )

        # Beat surgery once a month at one of the team's places.
        day = _day(year, month, rng.randint(8, 26))
        writer.add(
            day,
            dt.time(rng.choice((10, 14, 18)), 0),
            "beat-surgery",
            areas,
            title=f"Beat surgery at {place.name}" if place else "Beat surgery",
            place=place.name if place else None,
            people_reached=rng.randint(2, 14),
            officer_hours="2",
            officers=who,
            **_issues_maybe(rng, team, 0.6),
        )

        if first_of_quarter:
            _quarterly(writer, team, rng, year, month, ward, ward_code, current_quarter, last_year, this_year)

        # Patch walks in odd months, usually with the council or housing.
        if month in (3, 5, 7, 9, 11):
            walks_with_partner_left.setdefault(year, 1 if team.profile == NO_PARTNER_WALKS else 99)
            with_partner = walks_with_partner_left[year] > 0
            walks_with_partner_left[year] -= 1
            chosen = [team.council, rng.choice((housing, fire))] if with_partner else []
            day = _day(year, month, rng.randint(3, 14))
            people = rng.randint(8, 30)
            writer.add(
                min(day, today) if this_year and month == 3 else day,
                dt.time(rng.choice((10, 13, 18)), 30),
                "patch-walk",
                areas,
                title=f"Patch walk round {ward}" + (" with partners" if chosen else ""),
                ward=ward_code,
                partners=chosen,
                people_reached=people,
                officer_hours=f"{2 * (len(who) or 1) + len(chosen)}",
                officers=who,
                shared_with_partners=bool(chosen),
                **_issues_maybe(rng, team, 0.9, count=2),
            )

        # School visits in term time.
        if month in SCHOOL_MONTHS and rng.random() < 0.7:
            people = rng.randint(25, 180)
            writer.add(
                _day(year, month, rng.randint(5, 20)),
                dt.time(9, 30),
                "school-visit",
                areas,
                title=rng.choice(("Assembly on online safety", "Road safety talk", "Year 6 transition session")),
                partners=[school_partner] if rng.random() < 0.5 else [],
                people_reached=people,
                officer_hours="1.5",
                officers=who,
                **_sign_in(rng, people, young=True),
            )

        for event_month, template in EVENTS:
            if event_month == month and rng.random() < 0.35:
                people = rng.randint(60, 650)
                writer.add(
                    _day(year, month, rng.randint(6, 27)),
                    dt.time(11, 0),
                    "community-event",
                    areas,
                    title=template.format(ward=ward),
                    partners=[team.council] if rng.random() < 0.6 else [],
                    people_reached=people,
                    officer_hours=f"{rng.choice((4, 5, 6))}",
                    officers=who,
                    shared_with_partners=True,
                    **_issues_maybe(rng, team, 0.5),
                )

        for campaign_month, title in CAMPAIGNS:
            if campaign_month == month and rng.random() < 0.5:
                writer.add(
                    _day(year, month, rng.randint(2, 24)),
                    dt.time(10, 0),
                    "campaign",
                    areas,
                    title=title,
                    people_reached=rng.randint(10, 80),
                    online_reach=rng.randint(300, 2500),
                    officer_hours="3",
                    officers=who,
                )

        kind = rng.choice(("door-knocking", "street-briefing", "drop-in", None))
        if kind is not None:
            people = rng.randint(6, 45)
            titles = {
                "door-knocking": f"Door-knocking on {rng.choice(STREETS)} after burglaries",
                "street-briefing": f"Street briefing on {rng.choice(STREETS)}",
                "drop-in": f"Drop-in at {place.name}" if place else "Drop-in",
            }
            writer.add(
                _day(year, month, rng.randint(2, 28)),
                dt.time(rng.choice((11, 15, 17)), 0),
                kind,
                areas,
                title=titles[kind],
                address=f"{rng.choice(STREETS)}, {ward}" if kind != "drop-in" else None,
                place=place.name if kind == "drop-in" and place else None,
                people_reached=people,
                officer_hours="2",
                officers=who,
                **_issues_maybe(rng, team, 0.8),
            )

        # The team's own posts, besides the policing area's daily ones.
        for _ in range(rng.randint(1, 2)):
            writer.add(
                _day(year, month, rng.randint(1, 28)),
                dt.time(rng.randint(12, 20), rng.choice((0, 15, 30, 45))),
                "social-media",
                areas,
                title=rng.choice(SOCIAL_TOPICS).format(ward=ward, street=rng.choice(STREETS)),
                online_reach=rng.randint(250, 3000),
                officer_hours="0.25",
                links=[f"https://social.example/{code.lower()}-police/posts/{year}{month:02d}{rng.randint(10, 99)}"],
            )


def _issues_maybe(rng: random.Random, team: _Team, chance: float, count: int = 1) -> dict[str, object]:
    if rng.random() >= chance:
        return {}
    issues, slugs, follow = _issue(rng, team, count)
    return {"issues_raised": issues, "issue_categories": slugs, "follow_up": follow}


def _quarterly(
    writer: _Writer,
    team: _Team,
    rng: random.Random,
    year: int,
    month: int,
    ward: str,
    ward_code: str,
    current_quarter: bool,
    last_year: bool,
    this_year: bool,
) -> None:
    """A quarter's ward meeting, PACT meeting (priorities) and survey, from its first month."""
    today = writer.today
    code = team.group.code
    who = team.officers
    quarter = _quarter(month)

    meeting = "Parish council meeting" if team.rural else "Ward councillors' meeting"
    people = rng.randint(12, 40)
    writer.add(
        _day(year, month, rng.randint(5, 25)),
        dt.time(19, 0),
        "ward-meeting",
        [code],
        title=f"{ward} {meeting.lower()}" if team.rural else f"{meeting}, {ward}",
        ward=ward_code,
        partners=[team.council],
        people_reached=people,
        officer_hours="2",
        officers=who,
        shared_with_partners=True,
        **_issues_maybe(rng, team, 0.9, count=2),
    )

    # PACT in the quarter's second month: where the community's priorities are set. Kept
    # inside the open quarter so that teams meeting the standard are not shown at risk.
    sets_priorities = not (team.profile == MIXED and last_year and quarter == 3)
    day = _day(year, month + 1, rng.randint(4, 20))
    if current_quarter:
        day = min(day, today)
    online = rng.random() < 0.3
    people = rng.randint(10, 35) if not online else rng.randint(6, 20)
    issues, slugs, follow = _issue(rng, team, 3)
    writer.add(
        day,
        dt.time(18, 30),
        "pact-meeting-online" if online else "pact-meeting",
        [code],
        title=f"{team.group.name} PACT meeting",
        place=None if online else (team.places[0].name if team.places else None),
        partners=[team.council],
        other_partners="Residents' association",
        people_reached=0 if online else people,
        online_reach=people if online else 0,
        issues_raised=issues,
        issue_categories=slugs,
        follow_up=follow,
        priorities_set=sets_priorities,
        officer_hours="3",
        officers=who,
        shared_with_partners=True,
        notes="Priorities for the quarter agreed from what residents raised." if sets_priorities else None,
        **(_sign_in(rng, people) if not online and rng.random() < 0.5 else {}),
    )

    # The quarterly survey: skipped in one quarter by some, not yet done this quarter by others.
    skipped = (team.profile == SURVEY_GAP and ((last_year and quarter == 3) or (this_year and quarter == 2))) or (
        team.profile in (SURVEY_LATE, MIXED) and current_quarter
    )
    if not skipped:
        day = _day(year, month, rng.randint(3, 20))
        writer.add(
            min(day, today) if current_quarter else day,
            dt.time(10, 0),
            "survey",
            [code],
            title=f"Your Views survey, {team.group.name}, Q{quarter} {year}",
            people_reached=rng.randint(10, 60),
            online_reach=rng.randint(40, 260),
            officer_hours="4",
            officers=who,
            links=[f"{SITE}/your-views/{code.lower()}-{year}-q{quarter}"],
        )

    if quarter == 1:
        writer.add(
            _day(year, month, rng.randint(10, 28)),
            dt.time(14, 0),
            "priority-setting",
            [code],
            title=f"{team.group.name}: the year's priorities agreed with partners",
            partners=[team.council],
            priorities_set=True,
            officer_hours="2",
            officers=who,
            shared_with_partners=True,
        )


def _social_media(writer: _Writer, npa: Group, teams: list[_Team], rng: random.Random, start: dt.date) -> None:
    """The policing area's account posts every day, naming the neighbourhoods each post is about."""
    today = writer.today
    gaps: set[dt.date] = set()
    gappy = [t for t in teams if t.profile == SOCIAL_GAPS]
    if gappy:
        days = (today - start).days
        for year in {start.year, today.year - 1, today.year}:
            candidates = [
                start + dt.timedelta(days=n) for n in range(days) if (start + dt.timedelta(days=n)).year == year
            ]
            gaps |= set(rng.sample(candidates, min(SOCIAL_DAYS_MISSED_A_YEAR, len(candidates))))
        # Yesterday too, so a missed day shows whenever the demo is built (but on 1 January).
        gaps.add(today - dt.timedelta(days=1))
    handle = npa.name.lower().replace(" ", "")
    day = start
    while day <= today:
        tagged = [t for t in teams if not (t in gappy and day in gaps)]
        if tagged:
            team = rng.choice(tagged)
            writer.add(
                day,
                dt.time(rng.randint(7, 9), rng.choice((0, 10, 20, 30, 40, 50))),
                "social-media",
                [t.group.code for t in tagged],
                title=rng.choice(SOCIAL_TOPICS).format(ward=rng.choice(team.wards), street=rng.choice(STREETS)),
                online_reach=int(rng.lognormvariate(7.2, 0.6)),
                officer_hours="0.25",
                links=[f"https://social.example/{handle}police/posts/{day:%Y%m%d}"],
            )
        day += dt.timedelta(days=1)


def _commander_blog(
    writer: _Writer, npa: Group, who: list[str], rng: random.Random, start: dt.date, *, misses_weeks: bool
) -> None:
    """A blog or vlog each ISO week from the area commander, on a weekday."""
    today = writer.today
    monday = start - dt.timedelta(days=start.weekday())
    this_monday = today - dt.timedelta(days=today.weekday())
    mondays = []
    while monday <= today:
        mondays.append(monday)
        monday += dt.timedelta(weeks=1)
    missed: set[dt.date] = set()
    if misses_weeks:
        last_year = [m for m in mondays if (m + dt.timedelta(days=3)).year == today.year - 1]
        this_year = [m for m in mondays if (m + dt.timedelta(days=3)).year == today.year and m < this_monday]
        missed |= set(rng.sample(last_year, min(BLOG_WEEKS_MISSED_LAST_YEAR, len(last_year))))
        missed |= set(rng.sample(this_year, min(BLOG_WEEKS_MISSED_THIS_YEAR, len(this_year))))
        missed.add(this_monday)
    for monday in mondays:
        if monday in missed:
            continue
        day = max(start, min(monday + dt.timedelta(days=rng.randint(0, 4)), today))
        video = rng.random() < 0.25
        writer.add(
            day,
            dt.time(16, 0),
            "commander-blog",
            [npa.code],
            title=f"{'Vlog' if video else 'Blog'}: {npa.name} this week",
            online_reach=rng.randint(400, 2200) * (2 if video else 1),
            officer_hours="1.5",
            officers=who,
            links=[f"{SITE}/blog/{npa.code.lower()}/{day:%Y-%m-%d}"],
        )


# --- writing the file ------------------------------------------------------------------------


def write_activity_csv(activity: DemoActivity, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(activity.rows)
    return path


# --- into the database -----------------------------------------------------------------------


def load_activity(activity: DemoActivity, *, force: Area, folder: Path) -> ImportReport:
    """Add the force's partners and places, then import the rows as a force would, committed.

    Partners and places go through the same services as the staff pages (`actor=None`: the
    command line), so the demo's list is held to the same rules.
    """
    for partner in activity.partners:
        directory_services.partner_create(
            actor=None, force=force, data=directory_services.PartnerData(name=partner.name, kind=partner.kind)
        )
    neighbourhoods = {a.code: a for a in Area.objects.filter(force=force, level=Level.NEIGHBOURHOOD)}
    for place in activity.places:
        data = directory_services.PlaceData(
            name=place.name,
            neighbourhood=neighbourhoods.get(place.neighbourhood),
            address=place.address,
            latitude=place.latitude,
            longitude=place.longitude,
        )
        directory_services.place_create(actor=None, force=force, data=data)
    path = write_activity_csv(activity, folder / "activity.csv")
    # In bulk: the same parsing and rules, written in a few statements (13 s of CPU a build
    # saved on SQLite, a minute on PostgreSQL; see services.activities_create_many).
    return import_activities(path, commit=True, force_code=force.code, today=activity.today, bulk=True)
