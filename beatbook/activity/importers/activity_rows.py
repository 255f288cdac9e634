"""One row of an activity spreadsheet: its text turned into an `ActivityData`, with every
value that cannot be understood noted as a `Problem` (line and column).

The names and codes a file uses are looked up once per file (`Lookups`). A row's values as
understood (`canonical`) are the same however they were spelt: hashed, they are the import key
that makes importing a file again change nothing; for a row with an export's `id`, they are
compared with what the activity holds now (`data_of`), so an unchanged row is not rewritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from beatbook.accounts.models import User
from beatbook.areas.models import Area, Level

from .. import services
from ..access import ACTIVITY_LEVELS
from ..demographics import clean_demographics, field_names
from ..exports import EXPORT_COLUMNS, demographic_column
from ..models import Activity, ActivityArea, ActivityType, IssueCategory, Partner, Place

LIST_SEPARATOR = ";"
DEFAULT_TIME = dt.time(12, 0)
# Longest `IN (…)` list sent at once: SQLite limits the number of query parameters.
IN_LIST_LIMIT = 900
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"no", "n", "false", "0", ""})
# Text columns and the longest value the database keeps for each.
TEXT_LIMITS: dict[str, int | None] = {
    "title": Activity._meta.get_field("title").max_length,
    "address": Activity._meta.get_field("address").max_length,
    "other_partners": Activity._meta.get_field("other_partners").max_length,
    "issues_raised": None,
    "follow_up": None,
    "notes": None,
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
# An export's id: digits that fit the primary key's 64-bit column.
_ID = re.compile(r"^[0-9]{1,18}$")


DEMOGRAPHIC_COLUMNS = {demographic_column(g, c): (g, c) for g, c in field_names()}
# The export's columns: a file exported, corrected in a spreadsheet and imported again means
# what it meant. A row with the export's `id` is that activity, corrected.
COLUMNS: list[str] = list(EXPORT_COLUMNS)
BASIC_COLUMNS = [c for c in COLUMNS if c not in DEMOGRAPHIC_COLUMNS]
# The services' limits, checked here too so that a row whose type, area or date is not
# understood (and so never reaches the service) still has every other problem reported.
HOURS_LIMIT = services.HOURS_LIMIT
COORDINATE_LIMITS = {"latitude": 90, "longitude": 180}


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def text(self, file: str) -> str:
        return f"{file}:{self.line}: {self.field}: {self.message}"


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]


# --- looking names and codes up once -----------------------------------------------------


def chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values))
    for start in range(0, len(items), IN_LIST_LIMIT):
        yield items[start : start + IN_LIST_LIMIT]


class Lookups:
    """The database rows a file's names and codes refer to, fetched in a few queries."""

    def __init__(self, rows: list[dict[str, str]], *, force: Area | None) -> None:
        self.force = force
        ids = {int(row["id"]) for row in rows if _ID.match(row.get("id", ""))}
        self.activities: dict[int, Activity] = {}
        for chunk in chunks(ids):
            self.activities.update((a.pk, a) for a in _with_everything(Activity.objects.filter(pk__in=chunk)))
        self.types: dict[str, ActivityType] = {}
        for activity_type in ActivityType.objects.all():
            self.types[activity_type.slug.lower()] = activity_type
            self.types[activity_type.name.lower()] = activity_type
        self.categories: dict[str, IssueCategory] = {}
        for category in IssueCategory.objects.all():
            self.categories[category.slug.lower()] = category
            self.categories[category.name.lower()] = category

        codes = {code for row in rows for code in split_list(row.get("areas", ""))}
        self.areas: dict[str, list[Area]] = defaultdict(list)
        for chunk in chunks(codes):
            for area in Area.objects.filter(code__in=chunk, level__in=ACTIVITY_LEVELS).select_related("force"):
                self.areas[area.code].append(area)
        missing = codes - set(self.areas)
        self.other_levels: dict[str, str] = {}
        for chunk in chunks(missing):
            for code, level in Area.objects.filter(code__in=chunk).values_list("code", "level"):
                self.other_levels[code] = str(Level(level).label).lower()

        ward_codes = {row["ward"] for row in rows if row.get("ward")}
        self.wards: dict[str, Area] = {}
        for chunk in chunks(ward_codes):
            self.wards.update({w.code: w for w in Area.objects.filter(level=Level.WARD, code__in=chunk)})

        usernames = {name.lower() for row in rows for name in split_list(row.get("officers", ""))}
        self.users: dict[str, User] = {}
        for chunk in chunks(usernames):
            for user in User.objects.filter(username__in=chunk).select_related("area", "area__force"):
                self.users[user.username.lower()] = user
        # Usernames typed in another case: one more query only when there are some.
        unmatched = usernames - set(self.users)
        if unmatched:
            for user in User.objects.select_related("area", "area__force").filter(
                username__iregex=r"^(" + "|".join(re.escape(u) for u in sorted(unmatched)) + r")$"
            ):
                self.users.setdefault(user.username.lower(), user)

        force_ids = {a.owning_force.pk for found in self.areas.values() for a in found if a.owning_force is not None}
        if force is not None:
            force_ids.add(force.pk)
        self.partners = {(p.force_id, p.name.lower()): p for p in Partner.objects.filter(force_id__in=force_ids)}
        self.places = {(p.force_id, p.name.lower()): p for p in Place.objects.filter(force_id__in=force_ids)}

    def area(self, code: str) -> tuple[Area | None, str]:
        """The area with this code, or None and why not."""
        found = self.areas.get(code, [])
        if self.force is not None:
            found = [a for a in found if a.owning_force == self.force]
            if not found and self.areas.get(code):
                return None, f"{code} is not an area of {self.force.name} ({self.force.code})"
        if len(found) > 1:
            levels = ", ".join(sorted(str(Level(a.level).label).lower() for a in found))
            return None, f"{code} names more than one area ({levels}); give --force or use another code"
        if found:
            return found[0], ""
        if code in self.other_levels:
            return None, f"{code} is a {self.other_levels[code]}: give a neighbourhood, NPA or force code"
        return None, f"no neighbourhood, NPA or force has the code {code}"


def _with_everything(activities: Any) -> Any:
    """What `data_of` reads, in a fixed number of queries."""
    return activities.select_related("type", "force", "ward", "place").prefetch_related(
        Prefetch("area_links", queryset=ActivityArea.objects.select_related("area")),
        "officers",
        "partners",
        "issue_categories",
    )


# --- one row -----------------------------------------------------------------------------


@dataclass
class ParsedRow:
    line: int
    data: services.ActivityData | None
    force: Area | None
    canonical: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    # The export's id: the row is that activity, corrected. None for a new activity.
    activity_id: int | None = None


class RowParser:
    """Turns one row's text into an ActivityData, noting every value it cannot understand."""

    def __init__(self, lookups: Lookups, *, today: dt.date) -> None:
        self.lookups = lookups
        self.today = today

    def parse(self, line: int, values: dict[str, str]) -> ParsedRow:
        problems: list[Problem] = []

        def problem(name: str, message: str) -> None:
            problems.append(Problem(line, name, message))

        text = {name: values.get(name, "") for name in COLUMNS}
        activity_id = self._id(text["id"], problem)
        day = self._date(text["date"], problem)
        if day is not None and day > self.today:
            # Kept, so the rest of the row is still checked; the service's own message is not repeated.
            problem("date", f"{day} is in the future: record activity once it has happened")
        moment = self._time(text["time"], problem)
        activity_type = self._type(text["type"], problem)
        areas = self._areas(text["areas"], problem)
        force = self._force_of(areas)

        ward = None
        if text["ward"]:
            ward = self.lookups.wards.get(text["ward"])
            if ward is None:
                problem("ward", f"no ward has the code {text['ward']}")
        place = None
        if text["place"]:
            place = self.lookups.places.get((force.pk, text["place"].lower())) if force is not None else None
            if place is None:
                problem("place", f"“{text['place']}” is not one of the force's places")
        latitude = self._coordinate(text["latitude"], "latitude", problem)
        longitude = self._coordinate(text["longitude"], "longitude", problem)
        officers = self._officers(text["officers"], force, problem)
        partners = self._named(text["partners"], force, self.lookups.partners, "partners", "partners", problem)
        categories = self._categories(text["issue_categories"], problem)
        people = self._whole(text["people_reached"], "people_reached", problem)
        online = self._whole(text["online_reach"], "online_reach", problem)
        hours = self._hours(text["officer_hours"], problem)
        priorities = self._yes_no(text["priorities_set"], "priorities_set", problem)
        shared = self._yes_no(text["shared_with_partners"], "shared_with_partners", problem)
        demographics = self._demographics(text, problem)
        for name, limit in TEXT_LIMITS.items():
            if limit is not None and len(text[name]) > limit:
                problem(name, f"is {len(text[name])} characters long; at most {limit} are kept")
        links = split_list(text["links"])

        data = None
        if activity_type is not None and areas and day is not None:
            starts_at = dt.datetime.combine(day, moment or DEFAULT_TIME, tzinfo=timezone.get_default_timezone())
            data = services.ActivityData(
                type=activity_type,
                starts_at=starts_at,
                areas=areas,
                title=text["title"],
                address=text["address"],
                ward=ward,
                place=place,
                latitude=latitude,
                longitude=longitude,
                officers=officers,
                partners=partners,
                other_partners=text["other_partners"],
                people_reached=people or 0,
                online_reach=online or 0,
                demographics=demographics,
                issues_raised=text["issues_raised"],
                issue_categories=categories,
                follow_up=text["follow_up"],
                priorities_set=bool(priorities),
                officer_hours=hours if hours is not None else Decimal(0),
                links=links,
                notes=text["notes"],
                shared_with_partners=bool(shared),
            )
        return ParsedRow(
            line=line,
            data=data,
            force=force,
            canonical=canonical(data, force) if data is not None else {},
            problems=problems,
            activity_id=activity_id,
        )

    # Each reader returns None (and notes a problem) when the text cannot be understood.

    @staticmethod
    def _id(value: str, problem: Any) -> int | None:
        if not value:
            return None
        if _ID.match(value) and int(value) > 0:
            return int(value)
        problem("id", f"“{value}” is not the id of an exported activity: leave it empty for a new activity")
        return None

    @staticmethod
    def _date(value: str, problem: Any) -> dt.date | None:
        if not value:
            problem("date", "is empty: give the date as YYYY-MM-DD")
            return None
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        problem("date", f"“{value}” is not a date in the form YYYY-MM-DD")
        return None

    @staticmethod
    def _time(value: str, problem: Any) -> dt.time | None:
        if not value:
            return None
        match = _TIME.match(value)
        if match:
            hour, minute = int(match[1]), int(match[2])
            if hour < 24 and minute < 60:
                return dt.time(hour, minute)
        problem("time", f"“{value}” is not a time in the form HH:MM")
        return None

    def _type(self, value: str, problem: Any) -> ActivityType | None:
        if not value:
            problem("type", "is empty: give the activity type's name or slug")
            return None
        found = self.lookups.types.get(value.lower())
        if found is None:
            problem("type", f"“{value}” is not an activity type")
        return found

    def _areas(self, value: str, problem: Any) -> list[Area]:
        codes = split_list(value)
        if not codes:
            problem("areas", "is empty: give one or more area codes separated by ;")
        areas = []
        for code in codes:
            area, reason = self.lookups.area(code)
            if area is None:
                problem("areas", reason)
            elif area not in areas:
                areas.append(area)
        return areas

    def _force_of(self, areas: list[Area]) -> Area | None:
        if self.lookups.force is not None:
            return self.lookups.force
        # A row across forces is refused by the service; the first area's force names its partners.
        return areas[0].owning_force if areas else None

    def _officers(self, value: str, force: Area | None, problem: Any) -> list[User]:
        officers: list[User] = []
        unknown: list[str] = []
        elsewhere: list[str] = []
        for name in split_list(value):
            user = self.lookups.users.get(name.lower())
            if user is None:
                unknown.append(name)
            elif force is not None and (user.area is None or user.area.owning_force != force):
                elsewhere.append(name)
            elif user not in officers:
                officers.append(user)
        if unknown:
            problem("officers", f"no account has the username {', '.join(unknown)}")
        if elsewhere:
            problem("officers", f"{', '.join(elsewhere)} do not work in this force")
        return officers

    @staticmethod
    def _named(
        value: str,
        force: Area | None,
        table: dict[tuple[int, str], Any],
        column: str,
        what: str,
        problem: Any,
    ) -> list[Any]:
        found: list[Any] = []
        unknown: list[str] = []
        for name in split_list(value):
            row = table.get((force.pk, name.lower())) if force is not None else None
            if row is None:
                unknown.append(name)
            elif row not in found:
                found.append(row)
        if unknown:
            problem(column, f"not among the force's {what}: {', '.join(unknown)}")
        return found

    def _categories(self, value: str, problem: Any) -> list[IssueCategory]:
        found: list[IssueCategory] = []
        unknown: list[str] = []
        for name in split_list(value):
            category = self.lookups.categories.get(name.lower())
            if category is None:
                unknown.append(name)
            elif category not in found:
                found.append(category)
        if unknown:
            problem("issue_categories", f"not issue categories: {', '.join(unknown)}")
        return found

    @staticmethod
    def _whole(value: str, name: str, problem: Any) -> int | None:
        text = value.replace(",", "").replace(" ", "")
        if not text:
            return None
        if not re.fullmatch(r"[+-]?\d+", text):
            problem(name, f"“{value}” is not a whole number")
        elif int(text) < 0:
            problem(name, f"“{value}” is negative: give a whole number, 0 or more")
        elif int(text) > services.MAX_COUNT:
            problem(name, f"“{value}” is more than {services.MAX_COUNT:,}")
        else:
            return int(text)
        return None

    @staticmethod
    def _coordinate(value: str, name: str, problem: Any) -> float | None:
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        limit = COORDINATE_LIMITS[name]
        if not math.isfinite(number):
            problem(name, f"“{value}” is not a number")
        elif not -limit <= number <= limit:
            problem(name, f"“{value}” is not between -{limit} and {limit}")
        else:
            return number
        return None

    @staticmethod
    def _hours(value: str, problem: Any) -> Decimal | None:
        if not value:
            return None
        try:
            hours = Decimal(value.replace(",", ""))
        except InvalidOperation:
            hours = Decimal("NaN")
        # In range before rounding: quantize() fails on a number as long as 1e400.
        if not hours.is_finite():
            problem("officer_hours", f"“{value}” is not a number of hours")
        elif hours < 0:
            problem("officer_hours", f"“{value}” is negative: officer time cannot be negative")
        elif hours >= HOURS_LIMIT:
            problem("officer_hours", f"“{value}”: officer time must be less than {HOURS_LIMIT:,} hours")
        elif hours != hours.quantize(Decimal("0.01")):
            problem("officer_hours", f"“{value}”: give hours to at most two decimal places")
        else:
            return hours.quantize(Decimal("0.01"))
        return None

    @staticmethod
    def _yes_no(value: str, name: str, problem: Any) -> bool | None:
        lowered = value.lower()
        if lowered in YES:
            return True
        if lowered in NO:
            return False
        problem(name, f"“{value}” is not yes or no")
        return None

    def _demographics(self, text: dict[str, str], problem: Any) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for column, (group, category) in DEMOGRAPHIC_COLUMNS.items():
            number = self._whole(text[column], column, problem)
            if number is not None:
                counts.setdefault(group, {})[category] = number
        return clean_demographics(counts)


def data_of(activity: Activity) -> services.ActivityData:
    """What is recorded of an activity (loaded by `Lookups`), as the row that would record it."""
    return services.ActivityData(
        type=activity.type,
        starts_at=activity.starts_at,
        areas=[link.area for link in activity.area_links.all()],
        title=activity.title,
        address=activity.address,
        ward=activity.ward,
        place=activity.place,
        latitude=activity.latitude,
        longitude=activity.longitude,
        officers=list(activity.officers.all()),
        partners=list(activity.partners.all()),
        other_partners=activity.other_partners,
        people_reached=activity.people_reached,
        online_reach=activity.online_reach,
        demographics=clean_demographics(activity.demographics or {}),
        issues_raised=activity.issues_raised,
        issue_categories=list(activity.issue_categories.all()),
        follow_up=activity.follow_up,
        priorities_set=activity.priorities_set,
        officer_hours=activity.officer_hours,
        links=list(activity.links or []),
        notes=activity.notes,
        shared_with_partners=activity.shared_with_partners,
    )


def canonical(data: services.ActivityData, force: Area | None) -> dict[str, Any]:
    """A row's values as understood, the same however they were spelt: what the import key hashes."""
    local = timezone.localtime(data.starts_at)
    return {
        "force": force.code if force is not None else "",
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "type": data.type.slug,
        "areas": sorted(f"{a.level}:{a.code}" for a in data.areas),
        "title": data.title,
        "address": data.address,
        "ward": data.ward.code if data.ward else "",
        "place": data.place.name if data.place else "",
        "latitude": data.latitude,
        "longitude": data.longitude,
        "officers": sorted(u.username for u in data.officers),
        "partners": sorted(p.name for p in data.partners),
        "other_partners": data.other_partners,
        "people_reached": data.people_reached,
        "online_reach": data.online_reach,
        "demographics": data.demographics,
        "issues_raised": data.issues_raised,
        "issue_categories": sorted(c.slug for c in data.issue_categories),
        "follow_up": data.follow_up,
        "priorities_set": data.priorities_set,
        "officer_hours": f"{data.officer_hours:.2f}",
        "links": list(data.links),
        "notes": data.notes,
        "shared_with_partners": data.shared_with_partners,
    }


def import_key(canonical: dict[str, Any], *, copy: int = 1) -> str:
    """SHA-256 of a row's understood values; the second identical row of a file is copy 2."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    if copy > 1:
        text += f"#{copy}"
    return hashlib.sha256(text.encode()).hexdigest()
