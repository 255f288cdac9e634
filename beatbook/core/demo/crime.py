"""Three years of street-level crime for the demo force, as data.police.uk publishes it.

Pure NumPy and shapely (no Django). The demo writes the rows as real street files
(`YYYY-MM/YYYY-MM-demoshire-street.csv`) and imports them with the crime importer, so
every demo build also runs that importer end to end.

How the counts are made, category by category:

* Where: each category's force total is shared out between LSOAs from four sources, each
  with its own share: where people live (population, raised by deprivation and lowered in
  the countryside), the night-time economy of the city centre and the market towns, a
  retail park on the city edge, and the student quarter by the campus.
* When: a seasonal profile per category (anti-social behaviour and violence peak in the
  summer, burglary and vehicle crime in the dark winter months, shoplifting before
  Christmas, bicycle theft when students return), a gentle trend per category, the length
  of the month, and small month-to-month shocks; then Poisson draws.
* The latest month is the one the immediate-response detector looks at. Chance alone makes
  some area-category look unusual in any month; so that the demo shows one clear story,
  the latest month is trimmed back into its ordinary range everywhere (see `_calm`) and
  one surge is planted: anti-social behaviour in one city neighbourhood at about three
  times its usual level for that month (see `_plant_surge`).
* Rows: each LSOA has a limited set of "On or near <street>" map points inside its
  polygon (data.police.uk snaps every crime to one), some of them places such as a
  nightclub or a supermarket that attract their own kinds of crime. About 1.5% of rows
  have no location and no LSOA. Last outcomes follow each category's usual mix, with more
  "Under investigation" in the most recent months; anti-social behaviour has no Crime ID
  and no outcome, as published.

The shares, seasonal shapes and outcome mixes are rounded, invented figures in the style of
an English county force; no published row is copied.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from shapely.geometry import Polygon

from beatbook.crime.street_format import HEADER as STREET_HEADER

from .geography import Geography
from .population import NATIONAL_LSOAS, LsoaPeople

# The demo's "today" is fixed so that the same seed always gives the same files: the
# latest month is the last full month before it, and the demo holds three years.
LATEST_MONTH = date(2026, 9, 1)
MONTHS = 36
FORCE_SLUG = "demoshire"
RATE_PER_1000_PER_MONTH = 7.6  # all rows, a little below a county force with a large city
NO_LOCATION_SHARE = 0.015
SURGE_CATEGORY = "Anti-social behaviour"
SURGE_FACTOR = 3.0
# A neighbourhood named after this ward is where the surge goes, when the seed makes one.
SURGE_WARD = "Greyfriars"

# The demo writes exactly the header the importer checks.
HEADER = STREET_HEADER

ASB = "Anti-social behaviour"
VSO = "Violence and sexual offences"
PUBLIC_ORDER = "Public order"
DAMAGE = "Criminal damage and arson"
OTHER_THEFT = "Other theft"
VEHICLE = "Vehicle crime"
BURGLARY = "Burglary"
SHOPLIFTING = "Shoplifting"
DRUGS = "Drugs"
OTHER_CRIME = "Other crime"
BICYCLE = "Bicycle theft"
WEAPONS = "Possession of weapons"
ROBBERY = "Robbery"
THEFT_PERSON = "Theft from the person"

UNDER_INVESTIGATION = "Under investigation"
AWAITING_COURT = "Awaiting court outcome"
NO_SUSPECT = "Investigation complete; no suspect identified"
UNABLE = "Unable to prosecute suspect"
LOCAL = "Local resolution"
COURT_UNAVAILABLE = "Court result unavailable"
STATUS_UNAVAILABLE = "Status update unavailable"
NOT_PUBLIC_INTEREST = "Formal action is not in the public interest"
ANOTHER_ORGANISATION = "Action to be taken by another organisation"
FURTHER_NOT_PUBLIC = "Further investigation is not in the public interest"
CAUTION = "Offender given a caution"
DRUGS_WARNING = "Offender given a drugs possession warning"
PENALTY = "Offender given penalty notice"
OUTCOMES = (
    NO_SUSPECT,
    UNABLE,
    LOCAL,
    COURT_UNAVAILABLE,
    STATUS_UNAVAILABLE,
    NOT_PUBLIC_INTEREST,
    ANOTHER_ORGANISATION,
    FURTHER_NOT_PUBLIC,
    CAUTION,
    DRUGS_WARNING,
    PENALTY,
    AWAITING_COURT,
    UNDER_INVESTIGATION,
)


@dataclass(frozen=True)
class Category:
    name: str
    share: float  # of all rows, force-wide
    deprivation: float  # how steeply the residential rate rises with deprivation
    rural: float  # residential rate in the countryside against the city
    trend: float  # change per year
    sources: tuple[float, ...]  # shares: residential, night-time economy, retail park, students
    season: tuple[float, ...]  # January to December, rescaled to a mean of 1
    outcomes: dict[str, float]  # usual last outcomes (none for anti-social behaviour)


# name: (share, deprivation, rural, trend, sources). Shoplifting rises fastest, as it has
# across England since 2023; anti-social behaviour and burglary drift down.
_SHAPES: dict[str, tuple[float, float, float, float, tuple[float, ...]]] = {
    VSO: (0.370, 2.0, 0.60, 0.02, (0.80, 0.18, 0.00, 0.02)),
    ASB: (0.120, 1.8, 0.70, -0.06, (0.82, 0.14, 0.01, 0.03)),
    PUBLIC_ORDER: (0.112, 1.6, 0.55, 0.00, (0.78, 0.20, 0.00, 0.02)),
    DAMAGE: (0.095, 1.8, 0.70, -0.02, (0.92, 0.05, 0.01, 0.02)),
    OTHER_THEFT: (0.072, 0.8, 0.75, 0.02, (0.70, 0.22, 0.03, 0.05)),
    VEHICLE: (0.060, 0.8, 0.80, -0.02, (0.85, 0.06, 0.07, 0.02)),
    BURGLARY: (0.045, 1.2, 0.80, -0.04, (0.90, 0.02, 0.00, 0.08)),
    SHOPLIFTING: (0.040, 0.5, 0.50, 0.12, (0.38, 0.38, 0.24, 0.00)),
    DRUGS: (0.031, 2.0, 0.50, 0.03, (0.75, 0.22, 0.00, 0.03)),
    OTHER_CRIME: (0.021, 1.2, 0.70, 0.00, (0.90, 0.08, 0.00, 0.02)),
    BICYCLE: (0.015, 0.3, 0.40, -0.02, (0.45, 0.20, 0.03, 0.32)),
    WEAPONS: (0.008, 2.0, 0.50, 0.03, (0.78, 0.20, 0.00, 0.02)),
    ROBBERY: (0.007, 2.0, 0.40, 0.03, (0.68, 0.28, 0.02, 0.02)),
    THEFT_PERSON: (0.007, 0.5, 0.40, 0.06, (0.35, 0.55, 0.03, 0.07)),
}
# January to December. Summer for violence and anti-social behaviour, dark evenings for
# burglary, vehicle crime and robbery, Christmas shopping, Halloween and bonfire night for
# criminal damage, students' return in the autumn for bicycle theft.
_SEASONS: dict[str, tuple[float, ...]] = {
    VSO: (0.92, 0.88, 0.96, 0.98, 1.05, 1.07, 1.08, 1.04, 1.00, 1.00, 0.98, 1.04),
    ASB: (0.78, 0.78, 0.90, 1.00, 1.10, 1.20, 1.28, 1.22, 1.02, 1.00, 0.92, 0.80),
    PUBLIC_ORDER: (0.92, 0.90, 0.97, 1.00, 1.06, 1.08, 1.08, 1.04, 1.00, 1.00, 0.96, 1.00),
    DAMAGE: (0.92, 0.90, 0.98, 1.00, 1.04, 1.04, 1.05, 1.02, 1.00, 1.08, 1.06, 0.92),
    OTHER_THEFT: (0.90, 0.88, 0.95, 1.00, 1.05, 1.08, 1.10, 1.08, 1.02, 1.00, 0.98, 0.96),
    VEHICLE: (1.12, 1.00, 0.95, 0.92, 0.90, 0.88, 0.90, 0.92, 0.96, 1.06, 1.16, 1.22),
    BURGLARY: (1.18, 1.02, 0.94, 0.88, 0.84, 0.82, 0.84, 0.88, 0.94, 1.10, 1.26, 1.30),
    SHOPLIFTING: (0.96, 0.90, 0.98, 0.98, 1.00, 0.98, 0.96, 0.94, 0.96, 1.02, 1.10, 1.30),
    DRUGS: (0.98, 0.98, 1.02, 1.00, 1.02, 1.02, 1.02, 1.00, 0.98, 1.00, 0.98, 1.00),
    OTHER_CRIME: (1.0,) * 12,
    BICYCLE: (0.62, 0.66, 0.85, 1.00, 1.15, 1.20, 1.20, 1.12, 1.20, 1.25, 1.00, 0.75),
    WEAPONS: (0.92, 0.92, 0.98, 1.00, 1.05, 1.08, 1.08, 1.04, 1.00, 1.00, 0.96, 0.97),
    ROBBERY: (1.08, 0.98, 0.95, 0.94, 0.94, 0.92, 0.94, 0.96, 0.98, 1.06, 1.12, 1.13),
    THEFT_PERSON: (1.00, 0.92, 0.95, 0.95, 0.98, 0.98, 0.98, 0.96, 1.00, 1.04, 1.08, 1.16),
}
_USUAL = {STATUS_UNAVAILABLE: 0.04, COURT_UNAVAILABLE: 0.05, AWAITING_COURT: 0.01}
_OUTCOMES: dict[str, dict[str, float]] = {
    VSO: {UNABLE: 0.60, NO_SUSPECT: 0.15, LOCAL: 0.05, ANOTHER_ORGANISATION: 0.03, CAUTION: 0.01, **_USUAL},
    ASB: {},
    PUBLIC_ORDER: {UNABLE: 0.44, NO_SUSPECT: 0.30, LOCAL: 0.06, NOT_PUBLIC_INTEREST: 0.04, **_USUAL},
    DAMAGE: {NO_SUSPECT: 0.58, UNABLE: 0.24, LOCAL: 0.05, **_USUAL},
    OTHER_THEFT: {NO_SUSPECT: 0.72, UNABLE: 0.18, LOCAL: 0.02, **_USUAL},
    VEHICLE: {NO_SUSPECT: 0.85, UNABLE: 0.08, STATUS_UNAVAILABLE: 0.03, COURT_UNAVAILABLE: 0.02},
    BURGLARY: {NO_SUSPECT: 0.73, UNABLE: 0.13, **_USUAL},
    SHOPLIFTING: {
        NO_SUSPECT: 0.64,
        UNABLE: 0.12,
        COURT_UNAVAILABLE: 0.11,
        LOCAL: 0.05,
        PENALTY: 0.01,
        AWAITING_COURT: 0.02,
    },
    DRUGS: {
        LOCAL: 0.44,
        COURT_UNAVAILABLE: 0.13,
        UNABLE: 0.11,
        STATUS_UNAVAILABLE: 0.08,
        NO_SUSPECT: 0.07,
        CAUTION: 0.04,
        DRUGS_WARNING: 0.05,
        AWAITING_COURT: 0.03,
    },
    OTHER_CRIME: {UNABLE: 0.40, NO_SUSPECT: 0.22, NOT_PUBLIC_INTEREST: 0.04, ANOTHER_ORGANISATION: 0.04, **_USUAL},
    BICYCLE: {NO_SUSPECT: 0.86, UNABLE: 0.07, STATUS_UNAVAILABLE: 0.03, COURT_UNAVAILABLE: 0.02},
    WEAPONS: {
        UNABLE: 0.26,
        COURT_UNAVAILABLE: 0.26,
        LOCAL: 0.09,
        STATUS_UNAVAILABLE: 0.08,
        NO_SUSPECT: 0.08,
        AWAITING_COURT: 0.07,
        CAUTION: 0.04,
    },
    ROBBERY: {UNABLE: 0.45, NO_SUSPECT: 0.36, COURT_UNAVAILABLE: 0.08, STATUS_UNAVAILABLE: 0.07, AWAITING_COURT: 0.01},
    THEFT_PERSON: {NO_SUSPECT: 0.61, UNABLE: 0.28, STATUS_UNAVAILABLE: 0.06, COURT_UNAVAILABLE: 0.01},
}
CATEGORIES = tuple(
    Category(name, *_SHAPES[name][:4], sources=_SHAPES[name][4], season=_SEASONS[name], outcomes=_OUTCOMES[name])
    for name in _SHAPES
)
CATEGORY_NAMES = tuple(c.name for c in CATEGORIES)

# Places data.police.uk names instead of a street, and how much more than an ordinary street
# each draws of the categories it is known for (others: 0.3).
PLACES: dict[str, dict[str, float]] = {
    "Nightclub": {VSO: 6, PUBLIC_ORDER: 5, THEFT_PERSON: 4, DRUGS: 3, ASB: 2, ROBBERY: 3, WEAPONS: 3},
    "Shopping Area": {SHOPLIFTING: 8, THEFT_PERSON: 4, OTHER_THEFT: 2, ASB: 1.5, ROBBERY: 1.5},
    "Supermarket": {SHOPLIFTING: 10, OTHER_THEFT: 1.5},
    "Parking Area": {VEHICLE: 6, DAMAGE: 1.5, ASB: 1.5},
    "Petrol Station": {SHOPLIFTING: 3, OTHER_THEFT: 2, VEHICLE: 1.5},
    "Park/Open Space": {ASB: 3, DRUGS: 2, DAMAGE: 1.5, ROBBERY: 1.5},
    "Sports/Recreation Area": {ASB: 2, OTHER_THEFT: 2, DAMAGE: 1.5},
    "Further/Higher Educational Building": {BICYCLE: 5, OTHER_THEFT: 2},
    "Theatre/Concert Hall": {THEFT_PERSON: 2, OTHER_THEFT: 2},
    "Pedestrian Subway": {ROBBERY: 3, ASB: 2},
    "Police Station": {OTHER_CRIME: 2, WEAPONS: 2, DRUGS: 2},
    "Hospital": {VSO: 2, OTHER_THEFT: 2, VEHICLE: 1.5},
}
# Shops stand on streets too, but most shoplifting is at the shops that have a place name.
STREET_SHOPLIFTING = 0.3

# Words for invented street names: every stem with every suffix.
_STEMS = (
    "Mill Church Station Victoria Albert Queen King Park Chapel School Orchard Meadow Willow Oak Ash "
    "Beech Elm Cedar Rowan Hawthorn Field Brook Bridge Abbey Priory Manor Hall Grange Windmill Forge "
    "Tannery Cooper Fletcher Baker Granary Wharf Canal Lock Ferry Marsh Fen Heath Common Green Spring "
    "Well Pond Cherry Plum Hazel Holly Juniper Larch Poplar Sycamore Alder Chestnut Lime Maple Nelson "
    "Wellington Gladstone Cromwell Tudor Stuart York Lancaster Warwick Howard Stanley Fairfax Russell"
)
_SUFFIXES = "Street Road Lane Close Avenue Drive Way Crescent Grove Gardens Walk Terrace Court Place Rise View Mews Row"
_CENTRE_STREETS = (
    "High Street",
    "Market Place",
    "Castle Street",
    "Silver Street",
    "Friar Lane",
    "Guildhall Lane",
    "Corn Street",
    "Sheep Street",
    "Bus Station",
    "Butter Market",
)


@dataclass
class Locations:
    """Every map point the demo's rows are snapped to."""

    lsoa: np.ndarray  # LSOA index of each point
    name: list[str]  # "On or near …"
    lon: np.ndarray
    lat: np.ndarray
    first: list[int]  # index of each LSOA's first point; its points are contiguous
    weights: list[np.ndarray]  # per LSOA: (categories x its points) probabilities


@dataclass
class Surge:
    """The planted surge the immediate-response detector should find."""

    neighbourhood_code: str
    neighbourhood_name: str
    category: str
    month: date
    baseline: float  # mean of the same month in the earlier years (rows with an LSOA)
    usual: float  # the level the surge is three times: the baseline or the expected count
    count: int  # rows with an LSOA in the latest month

    @property
    def ratio(self) -> float:
        return self.count / self.baseline if self.baseline else math.inf


@dataclass
class DemoCrime:
    """Every synthetic row, as parallel arrays (one entry per published row)."""

    seed: int
    months: list[date]
    month: np.ndarray  # index into months
    lsoa: np.ndarray  # LSOA index, -1 for a row with no location
    category: np.ndarray  # index into CATEGORIES
    outcome: np.ndarray  # index into OUTCOMES, -1 for blank
    location: np.ndarray  # index into locations, -1 for "No Location"
    crime_id: list[str]  # "" for anti-social behaviour
    locations: Locations
    expected: np.ndarray  # months x LSOAs x categories: the generator's own expectation
    surge: Surge

    def __len__(self) -> int:
        return int(self.month.size)

    def counts(self) -> np.ndarray:
        """Rows with an LSOA, as months x LSOAs x categories."""
        shape = (len(self.months), self.expected.shape[1], len(CATEGORIES))
        located = self.lsoa >= 0
        cube = np.zeros(shape, dtype=np.int64)
        np.add.at(cube, (self.month[located], self.lsoa[located], self.category[located]), 1)
        return cube


def month_list(latest: date = LATEST_MONTH, count: int = MONTHS) -> list[date]:
    index = latest.year * 12 + latest.month - 1
    return [date((index - k) // 12, (index - k) % 12 + 1, 1) for k in range(count - 1, -1, -1)]


def poisson_quantile(mean: np.ndarray, q: float) -> np.ndarray:
    """The smallest k with P(X <= k) >= q for X ~ Poisson(mean), element by element."""
    mu = np.asarray(mean, dtype=float).ravel()
    if mu.size == 0:
        return np.zeros(np.shape(mean), dtype=np.int64)
    top = int(np.max(mu + 10 * np.sqrt(mu) + 10))
    k = np.arange(top + 1)
    log_factorial = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, top + 1)))])
    log_mu = np.log(np.where(mu > 0, mu, 1.0))
    log_pmf = k[None, :] * log_mu[:, None] - mu[:, None] - log_factorial[None, :]
    log_pmf[mu == 0, 1:] = -np.inf  # Poisson(0) is always 0
    cdf = np.cumsum(np.exp(log_pmf), axis=1)
    return (cdf < q).sum(axis=1).reshape(np.shape(mean))


@dataclass
class _Places:
    """Per LSOA: how much of each source of crime it holds, and its special places."""

    residential: np.ndarray  # LSOAs x categories, each column sums to 1
    nightlife: np.ndarray  # LSOAs, sums to 1
    retail: np.ndarray
    students: np.ndarray
    places: list[list[str]]  # place names per LSOA (besides streets)
    centre: int
    retail_park: int
    campus: int
    towns: list[int]


def _kernel(distance: np.ndarray, spread: float) -> np.ndarray:
    return np.asarray(np.exp(-distance / spread))


def _places(geography: Geography, people: list[LsoaPeople], rng: np.random.Generator) -> _Places:
    n = len(geography.lsoas)
    points = np.array([lsoa.point for lsoa in geography.lsoas])
    kinds = np.array([lsoa.kind for lsoa in geography.lsoas])
    city = kinds == "city"

    def distance(to: tuple[float, float]) -> np.ndarray:
        return np.asarray(np.hypot(points[:, 0] - to[0], points[:, 1] - to[1]))

    d_centre = distance(geography.city_centre)
    d_campus = distance(geography.campus)
    d_towns = [distance(town) for town in geography.towns]
    centre = int(np.argmin(d_centre))
    campus = int(np.argmin(d_campus))
    towns = [int(np.argmin(d)) for d in d_towns]
    # The retail park: the largest (so least residential) cell on the outer edge of the city.
    areas = np.array([lsoa.polygon.area for lsoa in geography.lsoas])
    outer = city & (d_centre >= np.quantile(d_centre[city], 0.7))
    retail_park = int(np.argmax(np.where(outer, areas, -1.0)))

    # Bars and clubs cluster tightly: the centre LSOA itself holds about a third of the
    # night-time economy, the streets round it most of the rest, the market towns a little.
    nightlife = np.where(city, _kernel(d_centre, 0.3), 0.0)
    nightlife[centre] += 1.0
    for d in d_towns:
        nightlife += 0.25 * np.where(kinds != "rural", _kernel(d, 0.4), 0.0)
    retail = np.zeros(n)
    retail[retail_park] = 0.8
    for town in towns:
        retail[town] += 0.1
    students = np.where(city, _kernel(d_campus, 0.6), 0.0)

    population = np.array([p.total for p in people], dtype=float)
    # 0 (least deprived in England) to 1 (most): the overall index and its crime domain.
    deprivation = 1.0 - np.array([(p.ranks["imd"] + p.ranks["crime"]) / 2 for p in people]) / NATIONAL_LSOAS
    residential = np.empty((n, len(CATEGORIES)))
    for c, category in enumerate(CATEGORIES):
        setting = np.where(kinds == "rural", category.rural, np.where(kinds == "town", 0.9, 1.0))
        # Streets differ for reasons no census shows: a gamma spread of about ±40%.
        spread = rng.gamma(6.0, 1 / 6.0, size=n)
        residential[:, c] = population * np.exp(category.deprivation * (deprivation - 0.5)) * setting * spread
    residential /= residential.sum(axis=0)

    places: list[list[str]] = [[] for _ in range(n)]
    chance = {
        "Park/Open Space": 0.35,
        "Sports/Recreation Area": 0.2,
        "Supermarket": 0.15,
        "Petrol Station": 0.12,
        "Parking Area": 0.12,
    }
    for i in range(n):
        for name, p in chance.items():
            if rng.random() < p:
                places[i].append(name)
    for i in np.flatnonzero(city & (d_centre < 0.7)).tolist():
        places[i] += ["Nightclub", "Shopping Area", "Parking Area"]
    places[centre] += ["Theatre/Concert Hall", "Pedestrian Subway", "Supermarket", "Police Station"]
    places[retail_park] += ["Shopping Area", "Supermarket", "Parking Area", "Petrol Station"]
    places[campus] += ["Further/Higher Educational Building", "Sports/Recreation Area"]
    for town in towns:
        places[town] += ["Shopping Area", "Supermarket", "Parking Area", "Police Station"]
    hospital = int(rng.choice(np.flatnonzero(city & (d_centre > 1.0) & (d_centre < 3.0))))
    places[hospital].append("Hospital")
    places = [list(dict.fromkeys(names)) for names in places]  # each place once per LSOA

    return _Places(
        residential=residential,
        nightlife=nightlife / nightlife.sum(),
        retail=retail / retail.sum(),
        students=students / students.sum(),
        places=places,
        centre=centre,
        retail_park=retail_park,
        campus=campus,
        towns=towns,
    )


def _points_inside(polygon: Polygon, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` random points strictly inside `polygon`, still inside after rounding to 1e-6°."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    total = 0
    while total < count:
        xy = np.round(np.column_stack([rng.uniform(minx, maxx, 4 * count), rng.uniform(miny, maxy, 4 * count)]), 6)
        inside = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(inside)
        total += len(inside)
    return np.concatenate(found)[:count]


def _locations(geography: Geography, people: list[LsoaPeople], where: _Places, rng: np.random.Generator) -> Locations:
    street_names = [f"{stem} {suffix}" for stem in _STEMS.split() for suffix in _SUFFIXES.split()]
    lsoa_of: list[int] = []
    names: list[str] = []
    coordinates: list[np.ndarray] = []
    first: list[int] = []
    weights: list[np.ndarray] = []
    busy = where.nightlife / where.nightlife.max()
    for lsoa, person in zip(geography.lsoas, people, strict=True):
        i = lsoa.index
        # Real LSOAs show 10 to 30 distinct points over a few years; busier ones more.
        n_streets = int(np.clip(round(6 + person.total / 180 + 12 * busy[i]), 8, 30))
        streets = [street_names[k] for k in rng.choice(len(street_names), n_streets, replace=False)]
        if busy[i] > 0.25 or i in where.towns:
            streets[: min(4, n_streets)] = list(rng.choice(_CENTRE_STREETS, min(4, n_streets), replace=False))
        labels = streets + where.places[i]
        assert lsoa.lonlat is not None
        coordinates.append(_points_inside(lsoa.lonlat, len(labels), rng))
        first.append(len(names))
        names += [f"On or near {label}" for label in labels]
        lsoa_of += [i] * len(labels)
        # A few streets take most of the crime (a Zipf-like share), in an order set by the seed.
        base = 1.0 / (1.0 + rng.permutation(len(labels))) ** 0.8
        table = np.empty((len(CATEGORIES), len(labels)))
        for c, category in enumerate(CATEGORIES):
            affinity = np.array(
                [STREET_SHOPLIFTING if category.name == SHOPLIFTING else 1.0] * len(streets)
                + [PLACES[place].get(category.name, 0.3) for place in where.places[i]]
            )
            row = base * affinity
            table[c] = row / row.sum()
        weights.append(table)
    xy = np.concatenate(coordinates)
    return Locations(lsoa=np.array(lsoa_of), name=names, lon=xy[:, 0], lat=xy[:, 1], first=first, weights=weights)


def _expected(
    geography: Geography, people: list[LsoaPeople], where: _Places, months: list[date], rng: np.random.Generator
) -> np.ndarray:
    """Months x LSOAs x categories: the expected count of every cell."""
    total = sum(p.total for p in people) * RATE_PER_1000_PER_MONTH / 1000
    shares = np.array([c.share for c in CATEGORIES])
    shares /= shares.sum()
    rate = np.empty((len(geography.lsoas), len(CATEGORIES)))
    for c, category in enumerate(CATEGORIES):
        resident, nightlife, retail, students = category.sources
        spread = (
            resident * where.residential[:, c]
            + nightlife * where.nightlife
            + retail * where.retail
            + students * where.students
        )
        rate[:, c] = total * shares[c] * spread / spread.sum()
    middle = (len(months) - 1) / 2
    factors = np.empty((len(months), len(CATEGORIES)))
    for m, month in enumerate(months):
        days = calendar.monthrange(month.year, month.month)[1] / (365.25 / 12)
        for c, category in enumerate(CATEGORIES):
            season = np.array(category.season)
            factors[m, c] = days * season[month.month - 1] / season.mean() * (1 + category.trend) ** ((m - middle) / 12)
    # Month-to-month wobble: some shared by every category (weather, events), some not.
    factors *= np.exp(rng.normal(0, 0.03, size=(len(months), 1)) + rng.normal(0, 0.03, size=factors.shape))
    return rate[None, :, :] * factors[:, None, :]


def _calm(
    located: np.ndarray, expected: np.ndarray, geography: Geography, skip: tuple[int, int], rng: np.random.Generator
) -> None:
    """Trim the latest month back into its ordinary range, in place, everywhere but `skip`.

    Each LSOA cell is held at or below the 95th percentile of its expected count and
    at most 1.5 times (or 3 more than) the mean of the same month in the earlier years. Each
    neighbourhood and category is held at or below the 90th percentile of its expected
    count and at most 1.5 times (1 more than, below 2) the mean of the same month in the earlier
    years, removing rows at random across its LSOAs. Chance can still make a quiet month,
    never a loud one.
    """
    last = located.shape[0] - 1
    earlier = list(range(last - 12, -1, -12))
    same_month = np.mean([located[m] for m in earlier], axis=0) if earlier else np.full(located[last].shape, np.inf)
    lsoa_cap = np.minimum(
        poisson_quantile(expected[last], 0.95),
        np.maximum(np.floor(1.5 * same_month), np.ceil(same_month) + 3),
    )
    np.minimum(located[last], lsoa_cap.astype(located.dtype), out=located[last])
    for k, neighbourhood in enumerate(geography.neighbourhoods):
        members = np.array(neighbourhood.members)
        for c in range(len(CATEGORIES)):
            if (k, c) == skip:
                continue
            cells = located[last, members, c]
            history = float(np.mean([located[m, members, c].sum() for m in earlier])) if earlier else math.inf
            cap = min(
                int(poisson_quantile(np.array([expected[last, members, c].sum()]), 0.90)[0]),
                math.floor(1.5 * history if history >= 2 else history + 1),
            )
            if cells.sum() > cap:
                located[last, members, c] = rng.multivariate_hypergeometric(cells, cap)


def surge_neighbourhood(geography: Geography, people: list[LsoaPeople]) -> int:
    """Where the surge goes: the Greyfriars neighbourhood, else the city's most deprived beat.

    Never the city centre, whose night-time economy makes it loud every month.
    """
    city = [k for k, n in enumerate(geography.neighbourhoods) if n.district == 0 and n.name != "City Centre"]
    for k in city:
        if any(geography.wards[w].name == SURGE_WARD for w in geography.neighbourhoods[k].wards):
            return k

    def deprivation(k: int) -> float:
        members = geography.neighbourhoods[k].members
        return float(np.mean([people[i].ranks["imd"] for i in members]))

    return min(city, key=deprivation)


def _plant_surge(
    located: np.ndarray,
    expected: np.ndarray,
    geography: Geography,
    k: int,
    months: list[date],
    rng: np.random.Generator,
) -> tuple[Surge, int, int]:
    """Raise one neighbourhood's anti-social behaviour in the latest month to about 3x usual.

    Most of the extra rows go to the LSOA where that neighbourhood's ASB usually happens
    (a park, a parade of shops): returns the surge, that LSOA, and how many rows it gained
    there (they are placed at its two busiest ASB spots).
    """
    c = CATEGORY_NAMES.index(SURGE_CATEGORY)
    last = len(months) - 1
    members = np.array(geography.neighbourhoods[k].members)
    baseline = float(np.mean([located[m, members, c].sum() for m in range(last - 12, -1, -12)]))
    # Three times the usual level: the generator's own expectation, or the earlier years'
    # figure when that is higher, so that a run of quiet Septembers cannot shrink the surge.
    usual = max(baseline, float(expected[last, members, c].sum()) * (1 - NO_LOCATION_SHARE))
    target = round(SURGE_FACTOR * usual)
    extra = max(0, target - int(located[last, members, c].sum()))
    focus = int(members[np.argmax(expected[last, members, c])])
    at_focus = round(0.6 * extra)
    spread = rng.multinomial(extra - at_focus, expected[last, members, c] / expected[last, members, c].sum())
    located[last, members, c] += spread
    neighbourhood = geography.neighbourhoods[k]
    surge = Surge(
        neighbourhood_code=neighbourhood.code,
        neighbourhood_name=neighbourhood.name,
        category=SURGE_CATEGORY,
        month=months[last],
        baseline=baseline,
        usual=usual,
        count=int(located[last, members, c].sum()) + at_focus,
    )
    return surge, focus, at_focus


def _outcome_table(months: list[date]) -> np.ndarray:
    """Categories x months x outcomes: cumulative probabilities of each last outcome.

    Recent crimes are more often still under investigation or awaiting court, as in any
    freshly downloaded file; the other outcomes shrink to make room.
    """
    table = np.zeros((len(CATEGORIES), len(months), len(OUTCOMES)))
    for c, category in enumerate(CATEGORIES):
        if not category.outcomes:
            continue
        usual = np.array([category.outcomes.get(name, 0.0) for name in OUTCOMES])
        usual /= usual.sum()
        for m in range(len(months)):
            age = len(months) - 1 - m
            pending = np.zeros(len(OUTCOMES))
            pending[OUTCOMES.index(UNDER_INVESTIGATION)] = 0.25 * math.exp(-age / 1.5)
            pending[OUTCOMES.index(AWAITING_COURT)] = 0.04 * math.exp(-age / 6)
            table[c, m] = np.cumsum(usual * (1 - pending.sum()) + pending)
    return table


def generate_crime(geography: Geography, people: list[LsoaPeople]) -> DemoCrime:
    """Every row of the demo's street files, from the geography's seed."""
    rng = np.random.default_rng([geography.seed, 0xC12E])
    months = month_list()
    where = _places(geography, people, rng)
    locations = _locations(geography, people, where, rng)
    expected = _expected(geography, people, where, months, rng)

    drawn = rng.poisson(expected)
    no_location = rng.binomial(drawn, NO_LOCATION_SHARE)
    located = drawn - no_location
    k = surge_neighbourhood(geography, people)
    _calm(located, expected, geography, (k, CATEGORY_NAMES.index(SURGE_CATEGORY)), rng)
    surge, focus, at_focus = _plant_surge(located, expected, geography, k, months, rng)

    month_parts: list[np.ndarray] = []
    lsoa_parts: list[np.ndarray] = []
    category_parts: list[np.ndarray] = []
    location_parts: list[np.ndarray] = []
    n_months, n_lsoas, n_categories = located.shape
    for i in range(n_lsoas):
        start = locations.first[i]
        for c in range(n_categories):
            per_month = located[:, i, c]
            n = int(per_month.sum())
            if n == 0:
                continue
            month_parts.append(np.repeat(np.arange(n_months), per_month))
            lsoa_parts.append(np.full(n, i))
            category_parts.append(np.full(n, c))
            table = locations.weights[i][c]
            location_parts.append(start + rng.choice(table.size, size=n, p=table))
    if at_focus:
        c = CATEGORY_NAMES.index(SURGE_CATEGORY)
        hot = np.argsort(locations.weights[focus][c])[-2:]
        month_parts.append(np.full(at_focus, n_months - 1))
        lsoa_parts.append(np.full(at_focus, focus))
        category_parts.append(np.full(at_focus, c))
        location_parts.append(locations.first[focus] + rng.choice(hot, size=at_focus, p=[0.35, 0.65]))
    lost = no_location.sum(axis=1)  # months x categories
    for m in range(n_months):
        for c in range(n_categories):
            n = int(lost[m, c])
            if n:
                month_parts += [np.full(n, m)]
                lsoa_parts += [np.full(n, -1)]
                category_parts += [np.full(n, c)]
                location_parts += [np.full(n, -1)]
    month = np.concatenate(month_parts)
    lsoa = np.concatenate(lsoa_parts)
    category = np.concatenate(category_parts)
    location = np.concatenate(location_parts)

    # The published order: month by month, LSOA by LSOA, rows without an LSOA last.
    codes = np.array([lsoa_.code for lsoa_ in geography.lsoas])
    code_rank = np.empty(n_lsoas, dtype=np.int64)
    code_rank[np.argsort(codes)] = np.arange(n_lsoas)
    lsoa_order = np.where(lsoa >= 0, code_rank[np.maximum(lsoa, 0)], n_lsoas)
    order = np.lexsort((rng.random(month.size), category, lsoa_order, month))
    month, lsoa, category, location = month[order], lsoa[order], category[order], location[order]

    cumulative = _outcome_table(months)
    outcome = np.full(month.size, -1)
    asb = CATEGORY_NAMES.index(ASB)
    crimes = category != asb
    draws = rng.random(int(crimes.sum()))
    outcome[crimes] = (draws[:, None] > cumulative[category[crimes], month[crimes]]).sum(axis=1)
    outcome = np.minimum(outcome, len(OUTCOMES) - 1)  # guards against rounding in the last sum

    raw = rng.bytes(32 * int(month.size))
    crime_id = [raw[32 * j : 32 * j + 32].hex() if crimes[j] else "" for j in range(month.size)]
    return DemoCrime(
        seed=geography.seed,
        months=months,
        month=month,
        lsoa=lsoa,
        category=category,
        outcome=outcome,
        location=location,
        crime_id=crime_id,
        locations=locations,
        expected=expected,
        surge=surge,
    )
