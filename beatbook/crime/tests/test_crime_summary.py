"""`beatbook crime-summary`: JSON and tables for one area, errors that say what to fix."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.areas.models import Area, Level
from beatbook.areas.tests.synthetic import SmallForce, build_small_force
from beatbook.crime import harm
from beatbook.crime.models import CrimeImport
from beatbook.crime.selectors import available_months
from beatbook.crime.tests.test_import_crime import YEAR_2021_BY_CATEGORY

from .profile_data import add_crime

pytestmark = pytest.mark.django_db


@pytest.fixture
def small() -> SmallForce:
    small = build_small_force(with_users=False)
    add_crime(small)
    return small


def run(*args: str) -> str:
    out = StringIO()
    call_command("crime-summary", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> dict[str, Any]:
    return json.loads(run(*args, "--json"))


def test_json_counts_by_category_and_month(small: SmallForce) -> None:
    data = run_json("--area", "TST-N1", "--from", "2022-01", "--to", "2022-12")
    counts = {c["category"]: c["count"] for c in data["by_category"] if c["count"]}
    assert counts == {"Anti-social behaviour": 10, "Burglary": 7, "Robbery": 1, "Violence and sexual offences": 3}
    assert len(data["by_category"]) == 14
    assert data["count"] == 21 and data["crimes"] == 11 and data["anti_social_behaviour"] == 10
    assert data["harm"] == 2875.3
    assert data["population"] == 4960
    assert data["harm_per_1000"] == 579.7  # 2875.3 x 1000 / 4960
    by_month = {m["month"]: m["count"] for m in data["by_month"]}
    assert len(by_month) == 12
    assert by_month == {
        "2022-01": 0,
        "2022-02": 0,
        "2022-03": 7,
        "2022-04": 0,
        "2022-05": 0,
        "2022-06": 1,
        "2022-07": 10,
        "2022-08": 0,
        "2022-09": 0,
        "2022-10": 0,
        "2022-11": 0,
        "2022-12": 3,
    }


def test_the_force_counts_every_row_and_the_cli_is_not_scoped(small: SmallForce) -> None:
    # No user limits the command: any area, any force.
    force = run_json("--area", "E23900001", "--from", "2022-01", "--to", "2022-12")
    assert force["count"] == 46 and force["area"]["level"] == "force"
    other = run_json("--area", "E23900002", "--level", "force", "--from", "2022-04", "--to", "2022-04")
    assert other["count"] == 100
    ward = run_json("--area", "E05900001", "--from", "2022-01", "--to", "2022-12")
    assert ward["count"] == 7 and ward["partial"] is False


def test_default_range_is_the_last_twelve_months_held(small: SmallForce) -> None:
    data = run_json("--area", "TST-N1")
    assert (data["from"], data["to"]) == ("2022-01", "2022-12")
    data = run_json("--area", "TST-N1", "--to", "2021-12")
    assert (data["from"], data["to"], data["count"]) == ("2021-01", "2021-12", 11)
    data = run_json("--area", "TST-N1", "--from", "2022-06")
    assert (data["from"], data["to"], data["count"]) == ("2022-06", "2022-12", 14)


def test_table_output(small: SmallForce) -> None:
    text = run("--area", "TST-N1", "--from", "2022-03", "--to", "2022-03")
    assert "Neighbourhood 1 (Neighbourhood, TST-N1), 2022-03 to 2022-03" in text
    burglary = next(line for line in text.splitlines() if line.startswith("Burglary"))
    assert burglary.split() == ["Burglary", "7", "1,016"]
    assert "Per 1,000 residents (4,960, Census 2011 usual residents)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--area", "NOPE"], "No area has the code 'NOPE'"),
        (["--area", "TST-N1", "--level", "lsoa"], "No area has the code 'TST-N1' at level 'lsoa'"),
        (["--area", "TST-N1", "--from", "2022-13"], "--from: '2022-13' is not a month"),
        (["--area", "TST-N1", "--to", "June"], "--to: 'June' is not a month"),
        (["--area", "TST-N1", "--from", "2022-05", "--to", "2022-01"], "--to (2022-01) is before --from (2022-05)"),
    ],
)
def test_errors(small: SmallForce, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(*args)


def test_a_code_naming_two_areas_needs_its_level(small: SmallForce) -> None:
    Area.objects.create(level=Level.WARD, code="TST-N1", name="A ward with a clashing code", force=small.force)
    with pytest.raises(CommandError, match="--level"):
        run("--area", "TST-N1")
    assert run_json("--area", "TST-N1", "--level", "neighbourhood")["count"] == 21


def test_no_data_held(small: SmallForce) -> None:
    other = Area.objects.create(level=Level.FORCE, code="E23999999", name="Emptyshire Police")
    with pytest.raises(CommandError, match="No crime data is held for Emptyshire Police"):
        run("--area", other.code)
    assert run_json("--area", other.code, "--from", "2022-01", "--to", "2022-02")["count"] == 0


@pytest.mark.realdata
@pytest.mark.slow
def test_real_2021_categories_match_sources_fact_4(shared_data: Path, settings: Any, tmp_path: Path) -> None:
    """Import the 12 months of 2021 for Leicestershire; crime-summary gives SOURCES.md fact 4."""
    street = pytest.importorskip("beatbook.crime.importers.street")
    settings.CRIME_DATA_DIR = tmp_path / "crime"
    force = Area.objects.create(level=Level.FORCE, code="E23000021", name="Leicestershire Police")
    paths = [shared_data / "street_crime" / f"2021-{m:02d}-leicestershire-street.csv.gz" for m in range(1, 13)]
    street.import_crime(paths, commit=True, force_code=force.code)
    assert CrimeImport.objects.filter(force=force).count() == 12
    data = run_json("--area", "E23000021", "--from", "2021-01", "--to", "2021-12")
    counts = {c["category"]: c["count"] for c in data["by_category"]}
    assert counts == YEAR_2021_BY_CATEGORY
    assert data["count"] == 99_007
    by_month = {m["month"]: m["count"] for m in data["by_month"]}
    # SOURCES.md fact 1: rows per month in 2021.
    assert by_month["2021-01"] == 6792 and by_month["2021-06"] == 9299 and by_month["2021-12"] == 8185
    assert len(available_months(force)) == 12


@pytest.mark.realdata
@pytest.mark.slow
def test_real_harm_gives_back_the_ons_severity_score(shared_data: Path, settings: Any, tmp_path: Path) -> None:
    """Imported Leicestershire months, summed with the default weights, reproduce the ONS
    Crime Severity Score the weights were derived from (harm.py explains why they must)."""
    street = pytest.importorskip("beatbook.crime.importers.street")
    settings.CRIME_DATA_DIR = tmp_path / "crime"
    Area.objects.create(level=Level.FORCE, code="E23000021", name="Leicestershire Police")
    months = [m for year in harm.DERIVATION_YEARS for m in harm.financial_year_months(year)]
    street.import_crime(
        [shared_data / "street_crime" / f"{m}-leicestershire-street.csv.gz" for m in months],
        commit=True,
        force_code="E23000021",
    )
    severity = harm.read_severity_scores(
        shared_data / "crime_severity" / "ons_crime_severity_score_by_pfa_region_2003_2022.csv.gz",
        area_code="E23000021",
    )
    per_resident = []
    for year in harm.DERIVATION_YEARS:
        data = run_json("--area", "E23000021", "--from", f"{year - 1}-04", "--to", f"{year}-03")
        per_resident.append(data["harm"] / harm.DERIVATION_POPULATION)
    published = [severity[(harm.TOTAL, year)] for year in harm.DERIVATION_YEARS]  # 14.41 and 16.68
    # The two years together match to the rounding of the weights (0.1 of about 100-1,000).
    assert sum(per_resident) / 2 == pytest.approx(sum(published) / 2, rel=1e-3)
    # Each year alone is within 0.5% (14.404 against 14.411, 16.689 against 16.681): the
    # weights are the two years' pooled averages, and each group's average hardly moved.
    for mine, theirs in zip(per_resident, published, strict=True):
        assert mine == pytest.approx(theirs, rel=0.005)
