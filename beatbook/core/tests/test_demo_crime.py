"""The demo force's synthetic street-level crime: shape, seasons, hot spots and the planted surge.

The generator is tested on its own (no database) for seed 2026; then the demo is built once
for this module through the real crime importer, with CRIME_DATA_DIR in a temporary folder,
and the database is checked against what was generated.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.apps import apps
from django.db.models import Sum
from django.test import override_settings

from beatbook.accounts.models import AuditEvent
from beatbook.areas.models import Area, Level
from beatbook.core.demo import FORCE_CODE, FORCE_NAME, DemoResult, build_demo, reset_demo
from beatbook.core.demo.crime import (
    CATEGORY_NAMES,
    HEADER,
    LATEST_MONTH,
    MONTHS,
    OUTCOMES,
    DemoCrime,
    generate_crime,
    month_list,
    poisson_quantile,
)
from beatbook.core.demo.files import write_street_files
from beatbook.core.demo.geography import Geography, build_geography
from beatbook.core.demo.population import LsoaPeople, synthesise
from beatbook.crime import storage
from beatbook.crime.detection import immediate_response
from beatbook.crime.detector import detect
from beatbook.crime.importers.street import import_crime
from beatbook.crime.models import CrimeCount, CrimeImport

SEED = 2026
ASB = CATEGORY_NAMES.index("Anti-social behaviour")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Rounded shares of the real Leicestershire street files, 2019-12 to 2022-06 (SOURCES.md),
# each with the range the demo must stay in.
SHARE_RANGES = {
    "Violence and sexual offences": (0.33, 0.41),
    "Anti-social behaviour": (0.10, 0.15),
    "Public order": (0.09, 0.13),
    "Criminal damage and arson": (0.08, 0.11),
    "Other theft": (0.06, 0.09),
    "Vehicle crime": (0.045, 0.075),
    "Burglary": (0.035, 0.055),
    "Shoplifting": (0.03, 0.05),
    "Drugs": (0.02, 0.04),
    "Bicycle theft": (0.01, 0.02),
    "Robbery": (0.004, 0.011),
}


@pytest.fixture(scope="module")
def generated() -> tuple[Geography, list[LsoaPeople], DemoCrime]:
    geography = build_geography(SEED)
    people = synthesise(geography)
    return geography, people, generate_crime(geography, people)


def _month_index(month: date) -> int:
    return month_list().index(month)


def _by_month(crime: DemoCrime, category: str) -> np.ndarray:
    c = CATEGORY_NAMES.index(category)
    return np.bincount(crime.month[crime.category == c], minlength=len(crime.months))


def _neighbourhood_series(geography: Geography, crime: DemoCrime) -> np.ndarray:
    """Neighbourhoods x categories x months, rows with an LSOA only (as area profiles count)."""
    cube = crime.counts()
    return np.stack([cube[:, n.members, :].sum(axis=1).T for n in geography.neighbourhoods])


# --- The generator on its own -------------------------------------------------------------


def test_thirty_six_months_ending_before_the_fixed_demo_today(
    generated: tuple[Geography, list[LsoaPeople], DemoCrime],
) -> None:
    _, people, crime = generated
    assert crime.months[0] == date(2023, 10, 1) and crime.months[-1] == LATEST_MONTH == date(2026, 9, 1)
    assert len(crime.months) == MONTHS == 36
    per_month = np.bincount(crime.month, minlength=MONTHS)
    # About 7.6 rows per 1,000 residents a month (255,070 residents: about 1,940), fewer in
    # short months and winter, more in summer.
    per_1000 = per_month / sum(p.total for p in people) * 1000
    assert per_1000.min() > 5.5 and per_1000.max() < 9.5
    assert 60_000 < len(crime) < 80_000


def test_category_shares_look_like_an_english_county_force(
    generated: tuple[Geography, list[LsoaPeople], DemoCrime],
) -> None:
    _, _, crime = generated
    shares = np.bincount(crime.category, minlength=len(CATEGORY_NAMES)) / len(crime)
    for name, (low, high) in SHARE_RANGES.items():
        assert low <= shares[CATEGORY_NAMES.index(name)] <= high, name
    assert set(CATEGORY_NAMES) == {
        "Anti-social behaviour",
        "Bicycle theft",
        "Burglary",
        "Criminal damage and arson",
        "Drugs",
        "Other crime",
        "Other theft",
        "Possession of weapons",
        "Public order",
        "Robbery",
        "Shoplifting",
        "Theft from the person",
        "Vehicle crime",
        "Violence and sexual offences",
    }


def test_seasons(generated: tuple[Geography, list[LsoaPeople], DemoCrime]) -> None:
    _, _, crime = generated
    asb = _by_month(crime, "Anti-social behaviour")
    burglary = _by_month(crime, "Burglary")
    shoplifting = _by_month(crime, "Shoplifting")
    bicycles = _by_month(crime, "Bicycle theft")

    def total(counts: np.ndarray, months: list[tuple[int, int]]) -> int:
        return int(sum(counts[_month_index(date(y, m, 1))] for y, m in months))

    years = (2024, 2025, 2026)
    for year in years:
        # Summer evenings: July's anti-social behaviour above January's, every year.
        assert asb[_month_index(date(year, 7, 1))] > asb[_month_index(date(year, 1, 1))], year
    assert total(asb, [(y, 7) for y in years]) > 1.4 * total(asb, [(y, 1) for y in years])
    dark_over_light = []
    for year in (2023, 2024, 2025):
        # Dark evenings: burglary from November to January above May to July of the next year.
        winter = total(burglary, [(year, 11), (year, 12), (year + 1, 1)])
        summer = total(burglary, [(year + 1, 5), (year + 1, 6), (year + 1, 7)])
        assert winter > summer, year
        dark_over_light.append(winter / summer)
    assert np.mean(dark_over_light) > 1.3
    # Christmas shopping: the three Decembers against the average month of the three years.
    decembers = total(shoplifting, [(y, 12) for y in (2023, 2024, 2025)]) / 3
    assert decembers > 1.15 * shoplifting.mean()
    # Bicycles: three summers against three winters.
    summers = total(bicycles, [(y, m) for y in (2024, 2025, 2026) for m in (6, 7, 8)]) / 9
    winters = total(bicycles, [(y, m) for y in (2024, 2025, 2026) for m in (1, 2)]) / 6
    assert summers > 1.4 * winters


def test_hot_spots_and_deprivation(generated: tuple[Geography, list[LsoaPeople], DemoCrime]) -> None:
    geography, people, crime = generated
    cube = crime.counts().sum(axis=0)  # LSOAs x categories over three years

    def nearest(point: tuple[float, float]) -> int:
        return min(range(len(geography.lsoas)), key=lambda i: math.dist(geography.lsoas[i].point, point))

    centre = nearest(geography.city_centre)
    violence = cube[:, CATEGORY_NAMES.index("Violence and sexual offences")]
    # The night-time economy: the city-centre LSOA has the most violence, several times the median.
    assert int(np.argmax(violence)) == centre
    assert violence[centre] > 5 * np.median(violence)
    theft_person = cube[:, CATEGORY_NAMES.index("Theft from the person")]
    assert theft_person[centre] > 0.1 * theft_person.sum()
    # Shoplifting: the city centre and one retail park (a large cell at the city's edge) lead.
    shoplifting = cube[:, CATEGORY_NAMES.index("Shoplifting")]
    top_two = set(np.argsort(shoplifting)[-2:].tolist())
    assert centre in top_two
    retail_park = (top_two - {centre}).pop()
    assert geography.lsoas[retail_park].kind == "city"
    assert math.dist(geography.lsoas[retail_park].point, geography.city_centre) > 2.0
    # Students: the LSOAs within a kilometre of the campus have a far larger share of the
    # bicycle thefts than of the residents.
    near_campus = [i for i in range(len(geography.lsoas)) if geography.distance_km(i, geography.campus) < 1.0]
    bicycles = cube[:, CATEGORY_NAMES.index("Bicycle theft")]
    residents = np.array([p.total for p in people])
    assert bicycles[near_campus].sum() / bicycles.sum() > 2 * residents[near_campus].sum() / residents.sum()
    # Outside the hot spots, more deprived LSOAs have more crime per resident.
    rate = cube.sum(axis=1) / residents
    imd_rank = np.array([p.ranks["imd"] for p in people])
    ordinary = [i for i in range(len(people)) if i != centre and i != retail_park and i not in near_campus]
    assert np.corrcoef(rate[ordinary], -imd_rank[ordinary])[0, 1] > 0.4


def test_rows_are_published_like_data_police_uk(
    generated: tuple[Geography, list[LsoaPeople], DemoCrime], tmp_path: Path
) -> None:
    geography, _, crime = generated
    paths = write_street_files(crime, geography, tmp_path)
    assert len(paths) == 36
    assert paths[0].relative_to(tmp_path).as_posix() == "2023-10/2023-10-demoshire-street.csv"
    raw = paths[-1].read_bytes()
    assert raw.startswith(b"Crime ID,Month,Reported by,Falls within,") and b"\r\n" in raw
    polygons = {lsoa.code: lsoa.lonlat for lsoa in geography.lsoas}
    names = {lsoa.code: lsoa.name for lsoa in geography.lsoas}
    rows: list[list[str]] = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            assert tuple(next(reader)) == HEADER
            month_rows = list(reader)
        assert {row[1] for row in month_rows} == {path.parent.name}
        rows += month_rows
    assert len(rows) == len(crime)
    assert {(row[2], row[3]) for row in rows} == {(FORCE_NAME, FORCE_NAME)}
    assert all(len(row) == 12 and row[11] == "" for row in rows)

    asb = [row for row in rows if row[9] == "Anti-social behaviour"]
    crimes = [row for row in rows if row[9] != "Anti-social behaviour"]
    assert asb and all(row[0] == "" and row[10] == "" for row in asb)
    assert all(re.fullmatch(r"[0-9a-f]{64}", row[0]) for row in crimes)
    assert len({row[0] for row in crimes}) == len(crimes)
    assert {row[10] for row in crimes} <= set(OUTCOMES)

    no_location = [row for row in rows if row[7] == ""]
    assert 0.01 <= len(no_location) / len(rows) <= 0.02
    assert {(row[4], row[5], row[6], row[8]) for row in no_location} == {("", "", "No Location", "")}
    located = [row for row in rows if row[7]]
    assert all(row[6].startswith("On or near ") for row in located)
    assert all(names[row[7]] == row[8] for row in located)
    # Every point lies inside its own LSOA, and each LSOA has a limited set of points.
    points: dict[str, set[tuple[str, str, str]]] = {}
    for row in located:
        points.setdefault(row[7], set()).add((row[4], row[5], row[6]))
    for code, spots in points.items():
        xy = np.array([(float(lon), float(lat)) for lon, lat, _ in spots])
        assert shapely.contains_xy(polygons[code], xy[:, 0], xy[:, 1]).all(), code
        assert 5 <= len(spots) <= 40, code
    # As published: a few thousand points for a county's three years, 20 to 30 rows each.
    assert sum(len(spots) for spots in points.values()) < len(located) / 20


def test_recent_crimes_are_more_often_under_investigation(
    generated: tuple[Geography, list[LsoaPeople], DemoCrime],
) -> None:
    _, _, crime = generated
    pending = OUTCOMES.index("Under investigation")
    crimes = crime.category != ASB
    latest = crimes & (crime.month == MONTHS - 1)
    year_ago = crimes & (crime.month == MONTHS - 13)
    assert np.mean(crime.outcome[latest] == pending) > 0.15
    assert np.mean(crime.outcome[year_ago] == pending) < 0.01
    assert (crime.outcome[~crimes] == -1).all()
    # The usual mix: no suspect identified or unable to prosecute for most crimes.
    usual = np.isin(crime.outcome[year_ago], [OUTCOMES.index(o) for o in OUTCOMES[:2]])
    assert 0.6 < usual.mean() < 0.85


def test_one_surge_in_the_latest_month(generated: tuple[Geography, list[LsoaPeople], DemoCrime]) -> None:
    geography, _, crime = generated
    surge = crime.surge
    assert (surge.category, surge.month) == ("Anti-social behaviour", LATEST_MONTH)
    series = _neighbourhood_series(geography, crime)[:, ASB, :]
    same_month_before = series[:, [MONTHS - 13, MONTHS - 25]].mean(axis=1)
    ratios = series[:, -1] / same_month_before
    k = next(i for i, n in enumerate(geography.neighbourhoods) if n.code == surge.neighbourhood_code)
    assert series[k, -1] == surge.count
    assert ratios[k] >= 2.5
    assert 2.5 <= surge.count / surge.usual <= 3.5
    assert max(r for i, r in enumerate(ratios) if i != k) <= 1.6
    # Most of the surge is in one LSOA, at two spots: a park or a parade, say.
    latest_asb = (crime.month == MONTHS - 1) & (crime.category == ASB)
    members = set(geography.neighbourhoods[k].members)
    in_area = latest_asb & np.isin(crime.lsoa, list(members))
    by_lsoa = Counter(crime.lsoa[in_area].tolist())
    focus, at_focus = by_lsoa.most_common(1)[0]
    assert at_focus >= 0.4 * surge.count
    spots = Counter(crime.location[in_area & (crime.lsoa == focus)].tolist())
    assert sum(n for _, n in spots.most_common(2)) >= 0.5 * at_focus
    # Seed 2026 makes a one-ward neighbourhood named after the ward the surge prefers.
    assert surge.neighbourhood_name == "Greyfriars"


def test_the_detector_flags_the_surge_and_nothing_else(
    generated: tuple[Geography, list[LsoaPeople], DemoCrime],
) -> None:
    """beatbook.crime.detector at the neighbourhood level, on the generated counts.

    Every category series with at least one row a month on average is tested (sparser
    ones say little); anti-social behaviour in the planted neighbourhood is the only flag.
    """
    geography, _, crime = generated
    series = _neighbourhood_series(geography, crime).astype(float)
    flags = []
    for k, neighbourhood in enumerate(geography.neighbourhoods):
        busy = [c for c in range(len(CATEGORY_NAMES)) if series[k, c, :-1].mean() >= 1.0]
        result = detect(series[k, busy])
        assert set(result.status.tolist()) == {"tested"}
        flags += [(neighbourhood.code, CATEGORY_NAMES[busy[j]]) for j in np.flatnonzero(result.flagged)]
        everything = detect(series[k].sum(axis=0, keepdims=True))
        if neighbourhood.code != crime.surge.neighbourhood_code:
            assert not everything.flagged[0], neighbourhood.name
    assert flags == [(crime.surge.neighbourhood_code, "Anti-social behaviour")]


def test_same_seed_same_rows_other_seed_other_rows(
    generated: tuple[Geography, list[LsoaPeople], DemoCrime], tmp_path: Path
) -> None:
    geography, people, crime = generated
    again = generate_crime(geography, people)
    assert again.crime_id == crime.crime_id
    assert np.array_equal(again.location, crime.location) and np.array_equal(again.outcome, crime.outcome)
    first = write_street_files(crime, geography, tmp_path / "first")
    second = write_street_files(again, geography, tmp_path / "second")
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in first]
    assert digest == [hashlib.sha256(p.read_bytes()).hexdigest() for p in second]

    other_geography = build_geography(7)
    other = generate_crime(other_geography, synthesise(other_geography))
    assert other.months == crime.months  # the demo "today" does not move with the seed
    assert len(other) != len(crime)
    assert not (set(other.crime_id[:1000]) & set(crime.crime_id)) - {""}


def test_poisson_quantile() -> None:
    # P(X <= 2 | mean 1) = 0.920, P(X <= 1) = 0.736; Poisson(0) is always 0.
    assert poisson_quantile(np.array([1.0, 1.0, 0.0, 10.0]), 0.9).tolist() == [2, 2, 0, 14]
    assert poisson_quantile(np.array([[1.0]]), 0.7).tolist() == [[1]]


# --- Through the importer into the database -------------------------------------------------


@pytest.fixture(scope="module")
def crime_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("crime-data")
    with override_settings(CRIME_DATA_DIR=folder):
        yield folder


@pytest.fixture(scope="module")
def demo(crime_dir: Path, django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoResult]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # type: ignore[attr-defined]
        first_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        result = build_demo(seed=SEED)
    yield result
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        reset_demo()
        AuditEvent.objects.filter(id__gt=first_event).delete()


@pytest.fixture(autouse=True)
def fast_hashers(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS  # type: ignore[attr-defined]


def _table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.django_db
def test_demo_force_has_thirty_six_months_of_crime(
    demo: DemoResult, generated: tuple[Geography, list[LsoaPeople], DemoCrime], crime_dir: Path
) -> None:
    _, _, crime = generated
    imports = CrimeImport.objects.filter(force=demo.force).order_by("month")
    assert [i.month for i in imports] == month_list()
    assert sum(i.rows_read for i in imports) == len(crime)
    assert sum(i.rows_no_location for i in imports) == int((crime.lsoa < 0).sum())
    assert sum(i.rows_outside_force for i in imports) == 0
    counts = CrimeCount.objects.filter(force=demo.force)
    assert counts.aggregate(n=Sum("count"))["n"] == len(crime)
    by_category = dict(counts.values_list("category__name").annotate(n=Sum("count")))
    assert by_category == {
        name: int((crime.category == c).sum()) for c, name in enumerate(CATEGORY_NAMES) if (crime.category == c).any()
    }
    # Anti-social behaviour has no outcome; every crime has one.
    assert not counts.filter(category__is_anti_social_behaviour=True, outcome__isnull=False).exists()
    assert not counts.filter(category__is_anti_social_behaviour=False, outcome__isnull=True).exists()
    # The rows themselves are in Parquet, one file per month, in the configured folder.
    assert storage.stored_months(FORCE_CODE) == month_list()
    assert storage.month_path(FORCE_CODE, "2026-09").parent == crime_dir / FORCE_CODE
    points = storage.read_points(FORCE_CODE, ["2026-09"], located_only=False)
    assert len(points) == int((crime.month == MONTHS - 1).sum())
    asb_points = [p for p in points if p.category == "Anti-social behaviour"]
    assert asb_points and all(p.crime_id is None and p.outcome is None for p in asb_points)


@pytest.mark.django_db
def test_planted_surge_in_the_database(demo: DemoResult) -> None:
    """The latest month's ASB by neighbourhood, as a profile counts it (rows with an LSOA)."""
    neighbourhoods = Area.objects.filter(level=Level.NEIGHBOURHOOD, force=demo.force)
    asb = CrimeCount.objects.filter(force=demo.force, category__is_anti_social_behaviour=True, lsoa__isnull=False)
    latest, earlier = LATEST_MONTH, [date(2025, 9, 1), date(2024, 9, 1)]
    ratios = {}
    for neighbourhood in neighbourhoods:
        mine = asb.filter(lsoa__parent=neighbourhood)
        now = mine.filter(month=latest).aggregate(n=Sum("count"))["n"] or 0
        before = (mine.filter(month__in=earlier).aggregate(n=Sum("count"))["n"] or 0) / len(earlier)
        ratios[neighbourhood.name] = now / before
    assert ratios.pop("Greyfriars") >= 2.5
    assert max(ratios.values()) <= 1.6


@pytest.mark.django_db
def test_building_again_changes_nothing(demo: DemoResult, crime_dir: Path) -> None:
    before = _table_counts()
    stamps = {p.name: p.stat().st_mtime_ns for p in (crime_dir / FORCE_CODE).iterdir()}
    again = build_demo(seed=SEED)
    assert again.created is False
    assert _table_counts() == before
    assert {p.name: p.stat().st_mtime_ns for p in (crime_dir / FORCE_CODE).iterdir()} == stamps


@pytest.mark.django_db
def test_importing_the_demo_files_again_changes_nothing(
    demo: DemoResult, generated: tuple[Geography, list[LsoaPeople], DemoCrime], tmp_path: Path
) -> None:
    geography, _, crime = generated
    write_street_files(crime, geography, tmp_path)
    before = list(CrimeCount.objects.filter(force=demo.force).order_by("pk").values_list("pk", "count"))
    report = import_crime([tmp_path], commit=True, force_code=FORCE_CODE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 36)
    assert list(CrimeCount.objects.filter(force=demo.force).order_by("pk").values_list("pk", "count")) == before


@pytest.mark.django_db
def test_immediate_response_lists_only_the_planted_neighbourhood(demo: DemoResult) -> None:
    """The detector on the imported counts (beatbook.crime.detection), neighbourhood level, 2026-09."""
    result = immediate_response(force=demo.force, month=LATEST_MONTH, level=Level.NEIGHBOURHOOD)
    assert result.has_data and result.areas_checked == 12 and result.not_enough_history == []
    flags = [(item.area.name, flag.measure) for item in result.flagged for flag in item.statistical]
    assert flags == [("Greyfriars", "asb")]
    flag = result.flagged[0].statistical[0]
    assert flag.observed >= 2.5 * flag.expected
    assert [c.name for c in flag.categories] == ["Anti-social behaviour"]
