"""A small synthetic force for profile, API, command and browser tests.

Layout (4 columns by 3 rows of square LSOAs, west to east, south to north):

    column:        0      1      2      3
    neighbourhood: N1     N2     N3     N4
    NPA:           A      A      B      B

District LAD1 holds columns 0-1, LAD2 columns 2-3. Ward W1 holds the top LSOA of every
column, so it cuts across all four neighbourhoods (wards do not nest in the policing
hierarchy). MSOA M1 holds column 0. LSOA 12 (column 3, top) has deprivation figures but no
census counts, like Rutland in the real data. A second force, Otherford, has two LSOAs.

Every figure is given literally per LSOA so tests can sum them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, CensusCount, CensusTopic, Deprivation, Level

LON0, LAT0, STEP = -1.20, 52.60, 0.01
PASSWORD = "correct-horse-battery-staple-42"

# Per LSOA (index 1..12): IMD rank, IMD mid-2015 population, census population split.
RANKS = [1200, 3000, 5000, 9000, 12000, 15000, 18000, 21000, 24000, 27000, 30000, 32000]
IMD_POP = [1500, 1600, 1700, 1400, 1800, 1550, 1650, 1450, 1500, 1700, 1600, 1500]
MALES = [800, 760, 900, 700, 950, 780, 820, 700, 760, 850, 790, 0]
FEMALES = [820, 800, 880, 720, 930, 790, 840, 760, 770, 860, 800, 0]
AREA_KM2 = [0.5, 1.0, 2.0, 0.8, 1.2, 0.6, 1.5, 2.5, 0.9, 1.1, 0.7, 3.0]
INDIAN_SHARE = [0.40, 0.30, 0.05, 0.20, 0.10, 0.00, 0.25, 0.15, 0.05, 0.35, 0.12, 0.0]
HAS_CENSUS = [True] * 11 + [False]


def square(col: int, row: int, width: int = 1, height: int = 1) -> dict:
    x0, y0 = LON0 + col * STEP, LAT0 + row * STEP
    x1, y1 = x0 + width * STEP, y0 + height * STEP
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _bbox(geometry: dict) -> dict[str, float]:
    ring = geometry["coordinates"][0]
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return {"min_lon": min(lons), "min_lat": min(lats), "max_lon": max(lons), "max_lat": max(lats)}


def make_area(level: str, code: str, name: str, geometry: dict | None = None, **links: object) -> Area:
    extra = _bbox(geometry) if geometry else {}
    return Area.objects.create(level=level, code=code, name=name, geometry=geometry, **extra, **links)


def census_cells(i: int) -> dict[str, list[tuple[str, int]]]:
    """The census counts of LSOA i (0-based): every topic sums to the same population,
    except English proficiency, which counts people aged 3 and over."""
    males, females = MALES[i], FEMALES[i]
    total = males + females
    children = total // 5
    older = total // 6
    indian = round(total * INDIAN_SHARE[i])
    white = (total - indian) * 2 // 3
    black = (total - indian - white) // 2
    christian = total * 2 // 5
    other_religion = indian + black // 2
    not_stated = total // 12
    under_3 = total // 30
    cannot_well = indian // 6
    cannot = indian // 20
    well = indian // 4
    return {
        CensusTopic.POPULATION: [("Total population", total), ("Total households", total * 2 // 5)],
        CensusTopic.SEX: [("Males", males), ("Females", females)],
        CensusTopic.AGE: [("0 to 15", children), ("16 to 64", total - children - older), ("65 and over", older)],
        CensusTopic.ETHNIC_GROUP: [
            ("White", white),
            ("Asian/Asian British: Indian", indian),
            ("Black/African/Caribbean/Black British", black),
            ("Other ethnic group", total - white - indian - black),
        ],
        CensusTopic.RELIGION: [
            ("Christian", christian),
            ("Other religion", other_religion),
            ("No religion", total - christian - other_religion - not_stated),
            ("Religion not stated", not_stated),
        ],
        CensusTopic.ENGLISH_PROFICIENCY: [
            ("Main language is English or can speak English very well", total - under_3 - well - cannot_well - cannot),
            ("Can speak English well", well),
            ("Cannot speak English well", cannot_well),
            ("Cannot speak English", cannot),
        ],
    }


def decile(rank: int) -> int:
    # Written out rather than imported, so the tests do not check the code with itself:
    # decile d holds ranks up to d tenths of 32,844 (the published IMD 2019 boundaries).
    return (rank * 10 + 32843) // 32844


@dataclass
class SmallForce:
    force: Area
    npas: list[Area]
    neighbourhoods: list[Area]
    lsoas: list[Area]
    lads: list[Area]
    ward: Area
    msoa: Area
    other_force: Area
    other_lsoas: list[Area]
    users: dict[str, User] = field(default_factory=dict)


def build_small_force(*, with_users: bool = True) -> SmallForce:
    force = make_area(Level.FORCE, "E23900001", "Testshire Police", square(0, 0, 4, 3))
    npas = [
        make_area(Level.NPA, "TST-A", "Testshire North", square(0, 0, 2, 3), force=force, parent=force),
        make_area(Level.NPA, "TST-B", "Testshire South", square(2, 0, 2, 3), force=force, parent=force),
    ]
    neighbourhoods = [
        make_area(
            Level.NEIGHBOURHOOD,
            f"TST-N{c + 1}",
            f"Neighbourhood {c + 1}",
            square(c, 0, 1, 3),
            force=force,
            parent=npas[c // 2],
        )
        for c in range(4)
    ]
    lads = [
        make_area(Level.LAD, "E06900001", "Westborough", square(0, 0, 2, 3), force=force),
        make_area(Level.LAD, "E07900002", "Eastborough", square(2, 0, 2, 3), force=force),
    ]
    ward = make_area(Level.WARD, "E05900001", "Hilltop", square(0, 2, 4, 1), force=force)
    msoa = make_area(Level.MSOA, "E02900001", "Westborough 001", square(0, 0, 1, 3), force=force)
    lsoas: list[Area] = []
    for i in range(12):
        col, row = i // 3, i % 3
        lsoa = make_area(
            Level.LSOA,
            f"E0190{i + 1:04d}",
            f"Testshire {i + 1:03d}",
            square(col, row),
            force=force,
            parent=neighbourhoods[col],
            lad=lads[col // 2],
            ward=ward if row == 2 else None,
            msoa=msoa if col == 0 else None,
        )
        lsoa.area_sq_km = AREA_KM2[i]
        lsoa.save(update_fields=["area_sq_km"])
        lsoas.append(lsoa)
        rank = RANKS[i]
        Deprivation.objects.create(
            lsoa=lsoa,
            imd_rank=rank,
            imd_decile=decile(rank),
            income_rank=rank,
            income_decile=decile(rank),
            employment_rank=rank,
            employment_decile=max(1, decile(rank) - 1),
            education_rank=32844 - rank,
            education_decile=decile(32845 - rank),
            health_rank=rank,
            health_decile=decile(rank),
            crime_rank=rank,
            crime_decile=1 + i % 10,
            housing_rank=rank,
            housing_decile=decile(rank),
            living_environment_rank=rank,
            living_environment_decile=5,
            population_total=IMD_POP[i],
        )
        if HAS_CENSUS[i]:
            for topic, cells in census_cells(i).items():
                for position, (category, count) in enumerate(cells):
                    CensusCount.objects.create(
                        lsoa=lsoa, census_year=2011, topic=topic, category=category, position=position, count=count
                    )
    other = make_area(Level.FORCE, "E23900002", "Otherford Police", square(10, 0, 1, 2))
    other_npa = make_area(Level.NPA, "OTH-A", "Otherford Central", square(10, 0, 1, 2), force=other, parent=other)
    other_nb = make_area(
        Level.NEIGHBOURHOOD, "OTH-N1", "Otherford Centre", square(10, 0, 1, 2), force=other, parent=other_npa
    )
    other_lsoas = [
        make_area(
            Level.LSOA, f"E0199{r + 1:04d}", f"Otherford {r + 1:03d}", square(10, r), force=other, parent=other_nb
        )
        for r in range(2)
    ]
    for r, lsoa in enumerate(other_lsoas):
        Deprivation.objects.create(lsoa=lsoa, imd_rank=100 + r, imd_decile=1, population_total=2000)
    result = SmallForce(force, npas, neighbourhoods, lsoas, lads, ward, msoa, other, other_lsoas)
    if with_users:
        scopes = {
            "officer": (Role.OFFICER, neighbourhoods[0]),
            "commander": (Role.COMMANDER, npas[0]),
            "analyst": (Role.ANALYST, force),
            "admin": (Role.ADMIN, force),
            "outsider": (Role.ADMIN, other),
        }
        for username, (role, area) in scopes.items():
            # No password: hashing five of them would make every test seconds slower.
            # Tests that sign in through the form call `set_password_for`.
            result.users[username] = User.objects.create_user(
                username=username, password=None, role=role, area=area, first_name=username.title()
            )
    return result


def set_password_for(user: User, password: str = PASSWORD) -> str:
    user.set_password(password)
    user.save(update_fields=["password"])
    return password


def sign_in(client: Client, user: User) -> Client:
    """Sign `user` in on a test client, passing two-factor for those who need it.

    Administrators must confirm a one-time code before any staff page; here a confirmed
    TOTP device is recorded as verified in the session, as django-otp does after a real code.
    """
    client.force_login(user)
    if user.role == Role.ADMIN:
        device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client
