"""`beatbook areas`: the JSON and table output carry the same figures as the profiles."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from .synthetic import FEMALES, IMD_POP, MALES, RANKS, SmallForce, build_small_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def small() -> SmallForce:
    return build_small_force(with_users=False)


def run(*args: str) -> str:
    out = StringIO()
    call_command("areas", *args, stdout=out)
    return out.getvalue()


def test_json_for_neighbourhoods(small: SmallForce) -> None:
    rows = json.loads(run("--level", "neighbourhood", "--within", "E23900001", "--json"))
    assert [r["code"] for r in rows] == ["TST-N1", "TST-N2", "TST-N3", "TST-N4"]
    first = rows[0]
    assert first["name"] == "Neighbourhood 1"
    assert first["level"] == "neighbourhood"
    assert first["parent"] == "TST-A"
    assert first["lsoas"] == 3
    assert first["population"] == sum(MALES[:3]) + sum(FEMALES[:3])
    assert first["census_year"] == 2011
    assert first["imd_population_2015"] == sum(IMD_POP[:3])
    weighted = sum(r * p for r, p in zip(RANKS[:3], IMD_POP[:3], strict=True)) / sum(IMD_POP[:3])
    assert first["imd_rank"] == round(weighted, 1)
    assert first["imd_rank_type"] == "average"
    assert first["imd_decile"] == 1  # an average rank of about 3,200 is in the most deprived tenth
    # LSOA 12 has no census counts: the neighbourhood's population covers two LSOAs.
    assert rows[3]["population"] == MALES[9] + FEMALES[9] + MALES[10] + FEMALES[10]


def test_json_for_lsoas_gives_their_own_rank(small: SmallForce) -> None:
    rows = json.loads(run("--level", "lsoa", "--within", "TST-N4", "--json"))
    assert [(r["code"], r["imd_rank"], r["imd_decile"], r["imd_rank_type"]) for r in rows] == [
        ("E01900010", 27000, 9, "lsoa"),
        ("E01900011", 30000, 10, "lsoa"),
        ("E01900012", 32000, 10, "lsoa"),
    ]
    assert rows[2]["population"] is None
    assert all(r["lsoas"] == 1 for r in rows)


def test_without_within_lists_every_area_of_the_level(small: SmallForce) -> None:
    rows = json.loads(run("--level", "force", "--json"))
    assert [r["code"] for r in rows] == ["E23900002", "E23900001"]  # by name: Otherford, Testshire
    testshire = rows[1]
    assert testshire["lsoas"] == 12 and testshire["population"] == 17780


def test_plain_table(small: SmallForce) -> None:
    text = run("--level", "npa", "--within", "E23900001")
    lines = text.splitlines()
    assert lines[0].split() == ["Code", "Name", "Level", "Parent", "Population", "IMD", "rank", "Decile", "LSOAs"]
    assert set(lines[1]) <= {"-", " "}
    north = next(line for line in lines if line.startswith("TST-A"))
    assert "Testshire North" in north and "9,830" in north and "E23900001" in north
    assert north.split()[-1] == "6"
    assert lines[-1].startswith("2 areas.")
    assert "population-weighted average" in lines[-1]


def test_unknown_within_code_fails(small: SmallForce) -> None:
    with pytest.raises(CommandError, match="No area has the code 'E99'"):
        run("--level", "lsoa", "--within", "E99")


def test_level_is_required_and_checked(small: SmallForce) -> None:
    with pytest.raises(CommandError):
        run("--level", "county")


def test_ambiguous_within_code_needs_a_level(small: SmallForce) -> None:
    from beatbook.areas.models import Area, Level

    # Before, the alphabetically first level won silently; now the command asks.
    Area.objects.create(level=Level.NPA, code="E05900001", name="Hill NPA", force=small.force, parent=small.force)
    with pytest.raises(CommandError, match=r"names more than one area \(npa, ward\).*--within-level"):
        run("--level", "lsoa", "--within", "E05900001")
    rows = json.loads(run("--level", "lsoa", "--within", "E05900001", "--within-level", "ward", "--json"))
    assert [r["code"] for r in rows] == ["E01900003", "E01900006", "E01900009", "E01900012"]
    assert json.loads(run("--level", "lsoa", "--within", "E05900001", "--within-level", "npa", "--json")) == []
    with pytest.raises(CommandError, match="No area has the code 'E05900001' at level 'msoa'"):
        run("--level", "lsoa", "--within", "E05900001", "--within-level", "msoa")


def test_unweighted_average_is_reported(small: SmallForce) -> None:
    from beatbook.areas.models import Deprivation

    Deprivation.objects.filter(lsoa__code="E01900001").update(population_total=None)
    rows = json.loads(run("--level", "neighbourhood", "--within", "TST-A", "--json"))
    first = rows[0]
    assert first["imd_rank"] == round(sum(RANKS[:3]) / 3, 1) and first["imd_rank_weighted"] is False
    assert rows[1]["imd_rank_weighted"] is True
    assert "weighted by population where every LSOA of the area has one" in run("--level", "neighbourhood")
