"""Crime counts for the small synthetic force of `beatbook.areas.tests.synthetic`.

Written out row by row so that every figure the profile tests assert can be summed by hand
(the sums are in the test files next to the assertions). Counts are created directly, as an
import would leave them: `lsoa` set only for LSOAs of the force, `lsoa_code` as published.

    LSOA index (synthetic): 0-2 Neighbourhood 1, 3-5 N2 (NPA A); 6-8 N3, 9-11 N4 (NPA B).
    Ward W1 holds LSOAs 2, 5, 8 and 11.
"""

from __future__ import annotations

from datetime import date

from beatbook.areas.tests.synthetic import SmallForce
from beatbook.crime.models import CrimeCategory, CrimeCount, CrimeOutcome

NO_SUSPECT = "Investigation complete; no suspect identified"
UNDER_INVESTIGATION = "Under investigation"
AWAITING_COURT = "Awaiting court outcome"
CAUTION = "Offender given a caution"
LOCAL_RESOLUTION = "Local resolution"

# (LSOA index, or None for no LSOA, or a code outside the force), month, category slug, outcome, count
ROWS: list[tuple[int | str | None, str, str, str | None, int]] = [
    (0, "2021-03", "burglary", NO_SUSPECT, 4),
    (0, "2022-03", "burglary", NO_SUSPECT, 6),
    (0, "2022-03", "burglary", None, 1),
    (0, "2021-07", "anti-social-behaviour", None, 5),
    (0, "2022-07", "anti-social-behaviour", None, 10),
    (2, "2021-12", "violent-crime", UNDER_INVESTIGATION, 2),
    (2, "2022-12", "violent-crime", UNDER_INVESTIGATION, 3),
    (2, "2022-06", "robbery", AWAITING_COURT, 1),
    (3, "2021-05", "shoplifting", CAUTION, 2),
    (3, "2022-05", "shoplifting", CAUTION, 8),
    (9, "2022-02", "drugs", LOCAL_RESOLUTION, 5),
    (11, "2022-08", "criminal-damage-arson", UNDER_INVESTIGATION, 3),
    (None, "2022-04", "vehicle-crime", None, 7),
    ("E01999999", "2022-04", "public-order", UNDER_INVESTIGATION, 2),
]
OTHER_FORCE_ROWS = [(0, "2022-04", "burglary", NO_SUSPECT, 100)]


def month(text: str) -> date:
    year, number = text.split("-")
    return date(int(year), int(number), 1)


def add_crime(small: SmallForce) -> None:
    """Write ROWS for the Testshire force and OTHER_FORCE_ROWS for Otherford."""
    ensure_categories()
    categories = {c.slug: c for c in CrimeCategory.objects.all()}
    outcomes: dict[str, CrimeOutcome] = {}

    def outcome(name: str | None) -> CrimeOutcome | None:
        if name is None:
            return None
        if name not in outcomes:
            outcomes[name] = CrimeOutcome.objects.get_or_create(name=name)[0]
        return outcomes[name]

    batch = []
    for force, lsoas, rows in (
        (small.force, small.lsoas, ROWS),
        (small.other_force, small.other_lsoas, OTHER_FORCE_ROWS),
    ):
        for where, when, slug, result, count in rows:
            lsoa = lsoas[where] if isinstance(where, int) else None
            code = lsoa.code if lsoa is not None else (where or "")
            batch.append(
                CrimeCount(
                    force=force,
                    month=month(when),
                    lsoa=lsoa,
                    lsoa_code=code,
                    category=categories[slug],
                    outcome=outcome(result),
                    count=count,
                )
            )
    CrimeCount.objects.bulk_create(batch)


def ensure_categories() -> None:
    """The seeded categories and default weights, as migration 0002 leaves them.

    Browser tests run in transactions that end by emptying every table, migration data
    included, so tests that need the categories put them back rather than assume them.
    """
    from beatbook.crime.harm import CATEGORIES, DEFAULT_SOURCE
    from beatbook.crime.models import HarmWeight

    for position, seed in enumerate(CATEGORIES, start=1):
        category, _created = CrimeCategory.objects.get_or_create(
            name=seed.name,
            defaults={
                "slug": seed.slug,
                "position": position,
                "is_anti_social_behaviour": seed.is_anti_social_behaviour,
            },
        )
        HarmWeight.objects.get_or_create(
            force=None, category=category, defaults={"weight": seed.weight, "source": DEFAULT_SOURCE}
        )


# One month of individual rows, as the importer leaves them in Parquet: (LSOA index, or
# None for no LSOA, or a code outside the force), category name, longitude, latitude, location.
HIGH_STREET = (-1.195, 52.625, "On or near High Street")
PARK = (-1.194, 52.626, "On or near Park")
MILL_LANE = (-1.185, 52.615, "On or near Mill Lane")
BORDER_ROAD = (-1.3, 52.5, "On or near Border Road")
POINT_ROWS: list[tuple[int | str | None, str, tuple[float, float, str] | None]] = [
    (2, "Violence and sexual offences", HIGH_STREET),
    (2, "Violence and sexual offences", HIGH_STREET),
    (2, "Violence and sexual offences", PARK),
    (4, "Burglary", MILL_LANE),
    (None, "Vehicle crime", None),
    ("E01999999", "Public order", BORDER_ROAD),
]
POINTS_MONTH = "2022-12"


def write_points(small: SmallForce, rows: list = POINT_ROWS, when: str = POINTS_MONTH) -> None:
    """Write the force-month's Parquet file where `beatbook.crime.storage` reads it."""
    import duckdb

    from beatbook.crime import storage

    path = storage.month_path(small.force.code, month(when))
    path.parent.mkdir(parents=True, exist_ok=True)
    values = []
    for i, (where, category, place) in enumerate(rows):
        code = small.lsoas[where].code if isinstance(where, int) else where
        lon, lat, location = place if place else (None, None, None)
        values.append((f"id{i}", month(when), lon, lat, location, code, category, None, None))
    columns = ", ".join(f"{name} {kind}" for name, kind in storage.PARQUET_COLUMNS)
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(f"CREATE TABLE rows ({columns})")
        marks = ", ".join("?" * len(storage.PARQUET_COLUMNS))
        connection.executemany(f"INSERT INTO rows VALUES ({marks})", values)  # noqa: S608 - placeholders only
        connection.execute(f"COPY rows TO '{path}' (FORMAT parquet)")
    finally:
        connection.close()
