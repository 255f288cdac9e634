"""The demo force: its geography, census and deprivation, its accounts, and the command.

The force is built once per module (about two seconds) through the real importers; tests
that change it run inside their own transaction, which is rolled back.
"""

from __future__ import annotations

import csv
import io
import math
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from beatbook.accounts.models import AuditEvent, Role, User
from beatbook.areas.models import CENSUS_TOTAL, Area, CensusCount, CensusTopic, Deprivation, Level
from beatbook.core.demo import ACCOUNTS, FORCE_CODE, DemoResult, build_demo, demo_totp_code, reset_demo
from beatbook.core.demo.files import census_tables, write_all
from beatbook.core.demo.geography import build_geography
from beatbook.core.demo.population import NATIONAL_LSOAS, decile, synthesise

SEED = 2026
# What seed 2026 gives. A change to the generator that changes these should be deliberate.
LSOAS = 150
WARDS = 28
MSOAS = 30
RESIDENTS = 255_070
# Hashing with PBKDF2's million rounds would make every login here take a noticeable time;
# the demo does not depend on which hasher is configured.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[DemoResult]:
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):  # type: ignore[attr-defined]
        first_event = (AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()) or 0
        result = build_demo(seed=SEED)
    yield result
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        reset_demo()
        # Leave the database as other test modules expect it: no audit rows from this one.
        AuditEvent.objects.filter(id__gt=first_event).delete()


@pytest.fixture(autouse=True)
def fast_hashers(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS  # type: ignore[attr-defined]


def _lsoas(force: Area) -> list[Area]:
    return list(Area.objects.filter(level=Level.LSOA, force=force).order_by("code"))


def _shape(area: Area) -> BaseGeometry:
    assert area.geometry is not None, area.code
    return shape(area.geometry)


def _table_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# --- The generator on its own (no database) --------------------------------------------------


def test_same_seed_same_geography_and_people() -> None:
    first, second = build_geography(SEED), build_geography(SEED)
    assert [lsoa.lonlat.wkb for lsoa in first.lsoas] == [lsoa.lonlat.wkb for lsoa in second.lsoas]  # type: ignore[union-attr]
    assert [p.ethnic for p in synthesise(first)] == [p.ethnic for p in synthesise(second)]
    assert len(first.lsoas) == LSOAS


def test_every_level_is_contiguous() -> None:
    geography = build_geography(SEED)
    groups = [*geography.wards, *geography.msoas, *geography.districts, *geography.neighbourhoods, *geography.npas]
    split = [group.name for group in groups if group.lonlat is None or group.lonlat.geom_type != "Polygon"]
    assert split == []
    assert geography.force_lonlat is not None and geography.force_lonlat.geom_type == "Polygon"


def test_files_have_the_published_layouts(tmp_path: Path) -> None:
    geography = build_geography(SEED)
    people = synthesise(geography)
    files = write_all(geography, people, tmp_path)

    raw = files.imd[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # MHCLG's files start with a byte-order mark
    with files.imd[0].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "LSOA code (2011)" and rows[0][4] == "Index of Multiple Deprivation (IMD) Rank"
    assert len(rows) == LSOAS + 1
    assert any("," in row[4] for row in rows[1:])  # ranks over 999 carry thousands separators

    with files.census[0].open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header[:4] == ["date", "geography", "geography code", "Age: Total"]
    names = sorted(path.name for path in files.census)
    assert names == [f"census2021-ts0{n}-lsoa.csv" for n in ("07a", "08", "21", "29", "30")]

    # Within each Nomis table, every row's leaf categories add up to its total column, and
    # each high-level ethnic group equals the sum of its categories.
    for stem, (columns, table) in census_tables(people).items():
        subtotal = [i for i, c in enumerate(columns) if any(o.startswith(c + ":") for o in columns[1:])]
        leaves = [i for i in range(1, len(columns)) if i not in subtotal]
        for row in table:
            assert sum(row[i] for i in leaves) == row[0], stem
            for i in subtotal:
                children = [j for j, c in enumerate(columns) if c.startswith(columns[i] + ":")]
                assert row[i] == sum(row[j] for j in children), (stem, columns[i])


# --- The force in the database ----------------------------------------------------------------


@pytest.mark.django_db
def test_force_has_the_expected_areas(demo: DemoResult) -> None:
    force = demo.force
    assert Area.objects.filter(level=Level.FORCE, code=FORCE_CODE).count() == 1
    assert force.name == "Demoshire Police"
    counts = {level: Area.objects.filter(level=level, force=force).count() for level in Level.values}
    assert counts == {
        "force": 0,  # a force is not inside a force
        "npa": 3,
        "neighbourhood": 12,
        "lad": 3,
        "ward": WARDS,
        "msoa": MSOAS,
        "lsoa": LSOAS,
    }
    assert set(Area.objects.filter(level=Level.NPA, force=force).values_list("parent_id", flat=True)) == {force.pk}
    npa_ids = set(Area.objects.filter(level=Level.NPA, force=force).values_list("pk", flat=True))
    neighbourhoods = Area.objects.filter(level=Level.NEIGHBOURHOOD, force=force)
    assert {n.parent_id for n in neighbourhoods} == npa_ids
    assert "City Centre" in {n.name for n in neighbourhoods}
    lad_codes = set(Area.objects.filter(level=Level.LAD, force=force).values_list("code", flat=True))
    assert lad_codes == {"E06999001", "E07999001", "E07999002"}
    # Clear of real ONS code ranges and of Leicestershire (the open data in the tests).
    assert all(
        code.startswith("E01999") for code in Area.objects.filter(level=Level.LSOA).values_list("code", flat=True)
    )
    assert force.min_lat is not None and force.min_lat > 52.99


@pytest.mark.django_db
def test_every_lsoa_is_in_exactly_one_neighbourhood(demo: DemoResult) -> None:
    force = demo.force
    neighbourhoods = {n.pk: _shape(n) for n in Area.objects.filter(level=Level.NEIGHBOURHOOD, force=force)}
    members: dict[int, int] = defaultdict(int)
    for lsoa in _lsoas(force):
        assert lsoa.parent_id in neighbourhoods, lsoa.code
        assert lsoa.ward_id and lsoa.msoa_id and lsoa.lad_id, lsoa.code
        members[lsoa.parent_id] += 1
        # Geometrically too: all of the LSOA inside its own neighbourhood, none in another.
        geom = _shape(lsoa)
        shares = {pk: geom.intersection(n).area / geom.area for pk, n in neighbourhoods.items()}
        assert shares[lsoa.parent_id] == pytest.approx(1.0, abs=1e-6)
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-6)
    assert len(members) == 12
    assert sum(members.values()) == LSOAS
    assert min(members.values()) >= 5


@pytest.mark.django_db
def test_lsoas_are_valid_and_tile_the_force(demo: DemoResult) -> None:
    force_geom = _shape(demo.force)
    lsoas = [_shape(lsoa) for lsoa in _lsoas(demo.force)]
    assert all(geom.geom_type == "Polygon" and geom.is_valid for geom in lsoas)
    total = sum(geom.area for geom in lsoas)
    assert total == pytest.approx(force_geom.area, rel=1e-9)
    tree = shapely.STRtree(lsoas)
    left, right = tree.query(lsoas, predicate="intersects")
    overlaps = [lsoas[a].intersection(lsoas[b]).area for a, b in zip(left, right, strict=True) if a < b]
    assert len(overlaps) > LSOAS  # neighbours touch …
    assert max(overlaps) < 1e-12  # … but never overlap
    assert shapely.union_all(lsoas).symmetric_difference(force_geom).area < 1e-9
    # A county force of believable size: km² as stored by the boundary importer.
    assert demo.force.area_sq_km is not None and 1000 < demo.force.area_sq_km < 2500
    city = Area.objects.get(level=Level.LAD, code="E06999001")
    assert city.area_sq_km is not None and city.area_sq_km < demo.force.area_sq_km / 10


@pytest.mark.django_db
def test_census_categories_add_up_to_each_total(demo: DemoResult) -> None:
    cells: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for lsoa_id, topic, category, count in CensusCount.objects.filter(
        lsoa__force=demo.force, census_year=2021
    ).values_list("lsoa_id", "topic", "category", "count"):
        cells[(lsoa_id, topic)][category] = count
    lsoa_ids = {lsoa.pk for lsoa in _lsoas(demo.force)}
    assert {lsoa for lsoa, _ in cells} == lsoa_ids
    residents = 0
    for lsoa_id in lsoa_ids:
        total = cells[(lsoa_id, CensusTopic.POPULATION)][CENSUS_TOTAL]
        residents += total
        assert 1000 <= total <= 3400
        for topic in (CensusTopic.AGE, CensusTopic.SEX, CensusTopic.ETHNIC_GROUP, CensusTopic.RELIGION):
            assert sum(cells[(lsoa_id, topic)].values()) == total, topic
        # Proficiency in English counts residents aged 3 and over.
        aged_3 = sum(cells[(lsoa_id, CensusTopic.ENGLISH_PROFICIENCY)].values())
        under_5 = cells[(lsoa_id, CensusTopic.AGE)]["Aged 4 years and under"]
        assert total - under_5 <= aged_3 <= total
    assert residents == RESIDENTS
    # The imported figures are the generated ones.
    assert residents == sum(person.total for person in synthesise(build_geography(SEED)))
    assert len(cells[(next(iter(lsoa_ids)), CensusTopic.ETHNIC_GROUP)]) == 19
    assert len(cells[(next(iter(lsoa_ids)), CensusTopic.AGE)]) == 18


def _share(force: Area, npa_name: str, topic: str, categories: set[str]) -> float:
    cells = CensusCount.objects.filter(lsoa__parent__parent__name=npa_name, lsoa__force=force, topic=topic)
    wanted = sum(c.count for c in cells if c.category in categories)
    return wanted / sum(c.count for c in cells)


@pytest.mark.django_db
def test_the_city_is_diverse_and_the_villages_older(demo: DemoResult) -> None:
    force = demo.force
    white_british = {"English, Welsh, Scottish, Northern Irish or British"}
    city_wb = _share(force, "Demtown City", CensusTopic.ETHNIC_GROUP, white_british)
    rural_wb = _share(force, "Ashwold", CensusTopic.ETHNIC_GROUP, white_british)
    assert city_wb < 0.7 < 0.9 < rural_wb
    older = {"Aged 65 to 69 years", "Aged 70 to 74 years", "Aged 75 to 79 years", "Aged 80 to 84 years"}
    older.add("Aged 85 years and over")
    assert _share(force, "Ashwold", CensusTopic.AGE, older) > _share(force, "Demtown City", CensusTopic.AGE, older)
    # Somewhere in the city South Asian communities are the majority, and a student quarter
    # is mostly aged 15 to 24.
    by_lsoa: dict[int, dict[str, int]] = defaultdict(dict)
    for cell in CensusCount.objects.filter(lsoa__force=force, topic=CensusTopic.ETHNIC_GROUP):
        by_lsoa[cell.lsoa_id][cell.category] = cell.count
    south_asian = max((c["Indian"] + c["Pakistani"] + c["Bangladeshi"]) / sum(c.values()) for c in by_lsoa.values())
    assert south_asian > 0.5
    students = max(
        (c["Aged 15 to 19 years"] + c["Aged 20 to 24 years"]) / sum(c.values())
        for c in _cells_by_lsoa(force, CensusTopic.AGE).values()
    )
    assert students > 0.5


def _cells_by_lsoa(force: Area, topic: str) -> dict[int, dict[str, int]]:
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for cell in CensusCount.objects.filter(lsoa__force=force, topic=topic):
        result[cell.lsoa_id][cell.category] = cell.count
    return result


DOMAIN_FIELDS = ("imd", "income", "employment", "education", "health", "crime", "housing", "living_environment")


@pytest.mark.django_db
def test_deprivation_deciles_follow_the_ranks(demo: DemoResult) -> None:
    rows = list(Deprivation.objects.filter(lsoa__force=demo.force).select_related("lsoa__parent__parent"))
    assert len(rows) == LSOAS
    for name in DOMAIN_FIELDS:
        ranks = [getattr(row, f"{name}_rank") for row in rows]
        assert len(set(ranks)) == LSOAS, name  # national ranks are unique
        assert all(1 <= rank <= NATIONAL_LSOAS for rank in ranks)
        for row in rows:
            rank, published = getattr(row, f"{name}_rank"), getattr(row, f"{name}_decile")
            assert published == math.ceil(10 * rank / NATIONAL_LSOAS) == decile(rank)
    assert decile(3284) == 1 and decile(3285) == 2 and decile(32844) == 10  # MHCLG's boundaries
    # The inner city is the most deprived, the countryside the least, except for access to
    # housing and services, which is worst in the countryside.
    by_npa: dict[str, list[Deprivation]] = defaultdict(list)
    for row in rows:
        by_npa[row.lsoa.parent.parent.name].append(row)  # type: ignore[union-attr]

    def mean(npa: str, field: str) -> float:
        return sum(getattr(r, field) for r in by_npa[npa]) / len(by_npa[npa])

    assert mean("Demtown City", "imd_rank") < mean("Ashwold", "imd_rank")
    assert mean("Demtown City", "housing_rank") > mean("Ashwold", "housing_rank")
    assert min(r.imd_decile for r in rows) == 1 and max(r.imd_decile for r in rows) == 10
    # File 6's mid-2015 population sits a little below the 2021 census.
    totals = dict(
        CensusCount.objects.filter(lsoa__force=demo.force, topic=CensusTopic.POPULATION).values_list("lsoa_id", "count")
    )
    for row in rows:
        assert row.population_total is not None
        assert 0.9 * totals[row.lsoa_id] <= row.population_total <= totals[row.lsoa_id]
        assert row.population_0_15 + row.population_16_59 + row.population_60_plus == row.population_total  # type: ignore[operator]


# --- Accounts ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_there_is_an_account_for_every_role(demo: DemoResult) -> None:
    assert {login.role for login in demo.logins} == set(Role.values)
    assert len(demo.logins) == len(ACCOUNTS) == 6
    for login in demo.logins:
        user = User.objects.select_related("area").get(username=login.username)
        assert user.area is not None and user.area.code == login.area_code
        validate_password(login.password, user)  # long, uncommon, unlike the username
    scopes = {login.username: (login.area_level, login.area_name) for login in demo.logins}
    assert scopes["demo.officer"] == ("Neighbourhood", "City Centre")
    assert scopes["demo.officer2"][0] == "Neighbourhood" and scopes["demo.officer2"] != scopes["demo.officer"]
    assert scopes["demo.commander"] == ("Policing area", "Demtown City")
    assert scopes["demo.analyst"] == scopes["demo.admin"] == ("Force", "Demoshire Police")
    partner = User.objects.get(username="demo.partner")
    assert partner.organisation == "Demtown City Council" and partner.area.level == Level.NEIGHBOURHOOD  # type: ignore[union-attr]
    device = TOTPDevice.objects.get(user__username="demo.admin")
    assert device.confirmed
    assert demo.totp_url.startswith("otpauth://totp/") and f"secret={demo.totp_secret}" in demo.totp_url


@pytest.mark.django_db
@pytest.mark.parametrize("username", [account.username for account in ACCOUNTS])
def test_every_demo_account_can_sign_in(demo: DemoResult, username: str) -> None:
    login = next(item for item in demo.logins if item.username == username)
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": login.username, "password": login.password})
    assert response.status_code == 302, response.content[:500]
    user = User.objects.get(username=username)
    assert client.session["_auth_user_id"] == str(user.pk)
    if login.role != Role.ADMIN:
        assert "two-factor" not in response["Location"]
        return
    # The administrator is asked for a code, and the code from the printed secret works.
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    code, _ = demo_totp_code()
    verified = client.post(response["Location"], {"token": code})
    assert verified.status_code == 302
    assert "otp_device_id" in client.session


@pytest.mark.django_db
def test_a_wrong_password_is_refused(demo: DemoResult) -> None:
    client = Client()
    client.post(reverse("accounts:login"), {"username": "demo.officer", "password": "not-the-demo-password"})
    assert "_auth_user_id" not in client.session


# --- Running again, resetting, other seeds ---------------------------------------------------


@pytest.mark.django_db
def test_running_twice_changes_nothing(demo: DemoResult) -> None:
    before = _table_counts()
    updated = {area.pk: area.updated_at for area in Area.objects.filter(force=demo.force)}
    again = build_demo(seed=SEED)
    assert again.created is False
    assert _table_counts() == before
    assert {area.pk: area.updated_at for area in Area.objects.filter(force=demo.force)} == updated
    assert [(x.username, x.password) for x in again.logins] == [(x.username, x.password) for x in demo.logins]
    assert again.totp_secret == demo.totp_secret


@pytest.mark.django_db
def test_another_seed_without_reset_keeps_the_existing_force(demo: DemoResult) -> None:
    out = io.StringIO()
    result = build_demo(seed=7, stdout=out)
    assert result.created is False and result.seed == SEED
    assert "built with seed 2026" in out.getvalue()
    assert [x.password for x in result.logins] == [x.password for x in demo.logins]


@pytest.mark.django_db
def test_reset_and_another_seed_give_a_different_force(demo: DemoResult) -> None:
    old_lsoas = {lsoa.code: lsoa.geometry for lsoa in _lsoas(demo.force)}
    old_ranks = list(Deprivation.objects.filter(lsoa__force=demo.force).values_list("imd_rank", flat=True))
    assert reset_demo() is True
    assert not Area.objects.filter(code__startswith="E01999").exists()
    assert not User.objects.filter(username__startswith="demo.").exists()
    assert reset_demo() is False

    other = build_demo(seed=7)
    assert other.created and other.seed == 7
    new_lsoas = {lsoa.code: lsoa.geometry for lsoa in _lsoas(other.force)}
    assert len(new_lsoas) == 154
    assert all(new_lsoas.get(code) != geometry for code, geometry in old_lsoas.items())
    new_ranks = list(Deprivation.objects.filter(lsoa__force=other.force).values_list("imd_rank", flat=True))
    assert new_ranks != old_ranks
    assert {x.password for x in other.logins}.isdisjoint({x.password for x in demo.logins})
    assert other.totp_secret != demo.totp_secret


# --- The command --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_command_prints_every_login_and_the_admin_secret(demo: DemoResult) -> None:
    out = io.StringIO()
    call_command("demo", "--allow-without-debug", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert "nothing changed" in text
    for login in demo.logins:
        line = next(line for line in text.splitlines() if f"username: {login.username} " in line)
        assert login.password in line and login.role_label in line and login.area_name in line
    assert f"Secret (base32): {demo.totp_secret}" in text
    assert demo.totp_url in text
    assert "beatbook demo --totp" in text


@pytest.mark.django_db
def test_command_totp_prints_the_current_code(demo: DemoResult) -> None:
    out = io.StringIO()
    call_command("demo", "--totp", stdout=out)
    code = out.getvalue().split()[0]
    assert len(code) == 6 and code.isdigit()
    assert code in {demo_totp_code()[0], demo_totp_code(at=time.time() - 30)[0]}


@pytest.mark.django_db
def test_command_refuses_to_run_without_debug(demo: DemoResult, settings: pytest.FixtureRequest) -> None:
    settings.DEBUG = False  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("demo", stdout=io.StringIO())


@pytest.mark.django_db
def test_command_reset_rebuilds(demo: DemoResult) -> None:
    out = io.StringIO()
    call_command("demo", "--reset", "--allow-without-debug", stdout=out)
    text = out.getvalue()
    assert "Deleted the demo force: 227 areas and 6 accounts." in text
    assert "Built Demoshire Police (E23999001) from seed 2026" in text
    assert Area.objects.filter(level=Level.LSOA, force__code=FORCE_CODE).count() == LSOAS


def test_command_refuses_a_negative_seed() -> None:
    with pytest.raises(CommandError, match="must be 0 or more"):
        call_command("demo", "--seed", "-1", stdout=io.StringIO())
