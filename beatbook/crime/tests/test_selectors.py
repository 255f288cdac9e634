"""Crime profile selectors against sums worked out by hand from `profile_data.ROWS`."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from beatbook.accounts.access import lsoa_limit
from beatbook.areas.models import Area, Deprivation
from beatbook.areas.tests.synthetic import FEMALES, IMD_POP, MALES, SmallForce, build_small_force
from beatbook.crime import harm, selectors
from beatbook.crime.models import CrimeCategory, CrimeCount, CrimeImport

from .profile_data import (
    AWAITING_COURT,
    NO_SUSPECT,
    UNDER_INVESTIGATION,
    add_crime,
    month,
)

pytestmark = pytest.mark.django_db

W = harm.DEFAULT_WEIGHTS
BURGLARY, ROBBERY, VIOLENCE = W["Burglary"], W["Robbery"], W["Violence and sexual offences"]


class Period(TypedDict):
    start: date
    end: date


YEAR_2022: Period = {"start": date(2022, 1, 1), "end": date(2022, 12, 1)}


@pytest.fixture
def small() -> SmallForce:
    small = build_small_force()
    add_crime(small)
    return small


def by_slug(summary: selectors.CrimeSummary) -> dict[str, int]:
    return {c.category.slug: c.count for c in summary.categories if c.count}


# --------------------------------------------------------------------------- months


def test_month_helpers() -> None:
    assert selectors.parse_month("2021-06") == date(2021, 6, 1)
    assert selectors.parse_month(" 2021-12 ") == date(2021, 12, 1)
    for bad in ("2021-13", "2021-00", "21-06", "2021/06", "June 2021", "", "0999-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            selectors.parse_month(bad)
    assert selectors.add_months(date(2022, 1, 1), -1) == date(2021, 12, 1)
    assert selectors.add_months(date(2021, 11, 1), 14) == date(2023, 1, 1)
    assert selectors.format_month(date(2021, 3, 1)) == "2021-03"
    assert selectors.months_between(date(2021, 11, 1), date(2022, 2, 1)) == [
        date(2021, 11, 1),
        date(2021, 12, 1),
        date(2022, 1, 1),
        date(2022, 2, 1),
    ]
    assert selectors.months_between(date(2022, 2, 1), date(2022, 1, 1)) == []


def test_available_months_and_default_range(small: SmallForce) -> None:
    # Without import records the months run from the first to the last month with counts.
    months = selectors.available_months(small.neighbourhoods[0])
    assert months[0] == date(2021, 3, 1) and months[-1] == date(2022, 12, 1) and len(months) == 22
    assert selectors.default_range(months) == (date(2022, 1, 1), date(2022, 12, 1))
    assert selectors.default_range(months[:5]) == (date(2021, 3, 1), date(2021, 7, 1))
    assert selectors.default_range([]) is None
    # Import records, when present, say which months exist.
    CrimeImport.objects.create(force=small.force, month=date(2023, 1, 1), source="x.csv", sha256="0" * 64)
    assert selectors.available_months(small.lsoas[0]) == [date(2023, 1, 1)]
    assert selectors.available_months(small.ward) == [date(2023, 1, 1)]


# --------------------------------------------------------------------------- summaries


def test_neighbourhood_summary_by_category_and_month(small: SmallForce) -> None:
    nb = small.neighbourhoods[0]  # LSOAs 0-2
    summary = selectors.crime_summary(nb, **YEAR_2022)
    # 2022 rows in LSOAs 0-2: burglary 6 + 1, ASB 10, violence 3, robbery 1.
    assert by_slug(summary) == {"burglary": 7, "anti-social-behaviour": 10, "violent-crime": 3, "robbery": 1}
    assert (summary.count, summary.crimes, summary.anti_social_behaviour) == (21, 11, 10)
    expected_harm = 7 * 145.2 + 3 * 289.0 + 1 * 991.9  # ASB weighs 0
    assert summary.harm == pytest.approx(expected_harm) == pytest.approx(2875.3)
    # Every month and every category is listed, with zeros.
    assert len(summary.months) == 12 and len(summary.categories) == 14
    months = {m.label: m for m in summary.months}
    assert (months["2022-03"].count, months["2022-03"].harm) == (7, pytest.approx(7 * BURGLARY))
    assert months["2022-03"].by_category == {"burglary": 7}
    assert (months["2022-07"].anti_social_behaviour, months["2022-07"].crimes, months["2022-07"].harm) == (10, 0, 0)
    assert months["2022-12"].harm == pytest.approx(3 * VIOLENCE)
    assert months["2022-01"].count == 0 and months["2022-01"].by_category == {}
    assert sum(m.count for m in summary.months) == summary.count


def test_harm_per_1000_residents_uses_the_census_population(small: SmallForce) -> None:
    nb = small.neighbourhoods[0]
    summary = selectors.crime_summary(nb, **YEAR_2022)
    residents = sum(MALES[i] + FEMALES[i] for i in range(3))
    assert residents == 4960
    assert summary.population.residents == 4960
    assert "Census 2011" in summary.population.source
    assert summary.harm_per_1000 == pytest.approx(2875.3 * 1000 / 4960)  # 579.70
    assert summary.count_per_1000 == pytest.approx(21 * 1000 / 4960)
    assert summary.crimes_per_1000 == pytest.approx(11 * 1000 / 4960)
    assert summary.as_dict()["harm_per_1000"] == 579.7


def test_population_falls_back_to_mid_2015_when_the_census_misses_an_lsoa(small: SmallForce) -> None:
    # LSOA 12 (index 11) has no census counts, so Neighbourhood 4 uses the IMD denominators.
    population = selectors.area_population(small.neighbourhoods[3])
    assert population.residents == IMD_POP[9] + IMD_POP[10] + IMD_POP[11] == 4800
    assert "Mid-2015" in population.source
    # With neither covering every LSOA there is no rate.
    Deprivation.objects.filter(lsoa=small.lsoas[11]).update(population_total=None)
    nb4 = selectors.crime_summary(small.neighbourhoods[3], **YEAR_2022)
    assert nb4.population.residents is None
    assert nb4.harm_per_1000 is None and nb4.count_per_1000 is None
    assert nb4.as_dict()["harm_per_1000"] is None


def test_force_counts_every_published_row_areas_only_their_lsoas(small: SmallForce) -> None:
    force = selectors.crime_summary(small.force, **YEAR_2022)
    # 2022: N1 21, LSOA 3 shoplifting 8, LSOA 9 drugs 5, LSOA 11 damage 3, no LSOA 7, outside 2.
    assert force.count == 21 + 8 + 5 + 3 + 7 + 2 == 46
    assert by_slug(force)["vehicle-crime"] == 7 and by_slug(force)["public-order"] == 2
    npa_a = selectors.crime_summary(small.npas[0], **YEAR_2022)
    npa_b = selectors.crime_summary(small.npas[1], **YEAR_2022)
    assert (npa_a.count, npa_b.count) == (29, 8)
    # The 9 rows with no LSOA of the force count for the force and for no area inside it.
    assert force.count - npa_a.count - npa_b.count == 9
    # Otherford's 100 burglaries never appear in Testshire's figures.
    assert by_slug(force)["burglary"] == 7
    other = selectors.crime_summary(small.other_force, **YEAR_2022)
    assert other.count == 100


def test_lsoa_district_and_msoa(small: SmallForce) -> None:
    lsoa0 = selectors.crime_summary(small.lsoas[0], **YEAR_2022)
    assert by_slug(lsoa0) == {"burglary": 7, "anti-social-behaviour": 10}
    # LAD1 is columns 0-1 (LSOAs 0-5): NPA A's figures. MSOA M1 is column 0: Neighbourhood 1's.
    assert selectors.crime_summary(small.lads[0], **YEAR_2022).count == 29
    assert selectors.crime_summary(small.lads[1], **YEAR_2022).count == 8
    assert selectors.crime_summary(small.msoa, **YEAR_2022).count == 21


def test_ward_is_limited_to_the_users_lsoas(small: SmallForce) -> None:
    ward = small.ward  # LSOAs 2, 5, 8, 11: 2022 violence 3 + robbery 1 (LSOA 2), damage 3 (LSOA 11)
    whole = selectors.crime_summary(ward, **YEAR_2022)
    assert whole.count == 7 and not whole.partial
    officer = small.users["officer"]  # Neighbourhood 1: only LSOA 2 of the ward
    limit = lsoa_limit(officer, ward)
    assert limit is not None
    part = selectors.crime_summary(ward, lsoa_filter=limit, **YEAR_2022)
    assert by_slug(part) == {"violent-crime": 3, "robbery": 1}
    assert part.partial
    # The population is the part's too: LSOA 2's census residents.
    assert part.population.residents == MALES[2] + FEMALES[2]
    trend = selectors.crime_trend(ward, end=date(2022, 12, 1), lsoa_filter=limit)
    assert (trend.count.current, trend.count.previous) == (4, 2)
    mix = selectors.outcome_mix(ward, lsoa_filter=limit, **YEAR_2022)
    assert mix is not None and mix.total == 4


def test_summary_as_dict_shape(small: SmallForce) -> None:
    data = selectors.crime_summary(small.neighbourhoods[0], start=date(2022, 3, 1), end=date(2022, 7, 1)).as_dict()
    assert data["area"] == {"code": "TST-N1", "name": "Neighbourhood 1", "level": "neighbourhood"}
    assert (data["from"], data["to"], data["months"]) == ("2022-03", "2022-07", 5)
    assert data["count"] == 7 + 1 + 10
    assert data["harm"] == round(7 * BURGLARY + ROBBERY, 1)
    burglary = next(c for c in data["by_category"] if c["slug"] == "burglary")
    assert burglary == {
        "category": "Burglary",
        "slug": "burglary",
        "anti_social_behaviour": False,
        "count": 7,
        "weight": 145.2,
        "harm": 1016.4,
    }
    assert [m["month"] for m in data["by_month"]] == ["2022-03", "2022-04", "2022-05", "2022-06", "2022-07"]
    assert data["by_month"][3] == {
        "month": "2022-06",
        "count": 1,
        "crimes": 1,
        "anti_social_behaviour": 0,
        "harm": 991.9,
        "by_category": {"robbery": 1},
    }


def test_force_weights_change_harm_not_counts(small: SmallForce) -> None:
    burglary = CrimeCategory.objects.get(slug="burglary")
    harm.harm_weight_set(actor=None, force=small.force, category=burglary, weight=500, source="test")
    summary = selectors.crime_summary(small.neighbourhoods[0], **YEAR_2022)
    assert summary.count == 21
    assert summary.harm == pytest.approx(7 * 500 + 3 * VIOLENCE + ROBBERY)
    assert selectors.crime_summary(small.other_force, **YEAR_2022).harm == pytest.approx(100 * BURGLARY)


def test_summary_is_a_fixed_number_of_queries(small: SmallForce) -> None:
    """No query per month or category: the same count for a month or for two years."""

    def queries(area: Area, start: date, end: date) -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.crime_summary(area, start=start, end=end)
        return len(captured)

    short = queries(small.neighbourhoods[0], date(2022, 1, 1), date(2022, 1, 1))
    long = queries(small.neighbourhoods[0], date(2021, 1, 1), date(2022, 12, 1))
    assert short == long <= 8
    assert queries(small.force, date(2021, 1, 1), date(2022, 12, 1)) <= 8


# --------------------------------------------------------------------------- trends


def test_trend_against_the_year_before_and_the_force(small: SmallForce) -> None:
    trend = selectors.crime_trend(small.neighbourhoods[0], end=date(2022, 12, 1))
    assert (trend.current_start, trend.previous_start, trend.previous_end) == (
        date(2022, 1, 1),
        date(2021, 1, 1),
        date(2021, 12, 1),
    )
    # 2022: 21. 2021: burglary 4 + ASB 5 + violence 2 = 11.
    assert (trend.count.current, trend.count.previous) == (21, 11)
    assert trend.count.difference == 10
    assert trend.count.percent == pytest.approx(1000 / 11)  # +90.9%
    assert (trend.crimes.current, trend.crimes.previous) == (11, 6)
    assert (trend.anti_social_behaviour.current, trend.anti_social_behaviour.previous) == (10, 5)
    assert trend.harm.previous == pytest.approx(4 * BURGLARY + 2 * VIOLENCE)
    # The force: 46 in 2022; 2021 is N1's 11 plus LSOA 3's 2 shoplifting = 13.
    assert (trend.force_count.current, trend.force_count.previous) == (46, 13)
    assert trend.force_count.percent == pytest.approx(3300 / 13)  # +253.8%
    rows = {t.category.slug: t for t in trend.categories}
    assert (rows["burglary"].count.current, rows["burglary"].count.previous) == (7, 4)
    assert rows["burglary"].count.percent == pytest.approx(75.0)
    assert rows["robbery"].count.percent is None  # nothing the year before
    assert (rows["shoplifting"].force_count.current, rows["shoplifting"].force_count.previous) == (8, 2)
    # Months 2021-03 to 2022-12 hold counts: 22 of the 24 compared.
    assert trend.months_held == 22 and not trend.complete
    assert trend.has_data


def test_trend_of_the_force_is_its_own_comparison(small: SmallForce) -> None:
    trend = selectors.crime_trend(small.force, end=date(2022, 12, 1))
    assert trend.count == trend.force_count
    assert (trend.count.current, trend.count.previous) == (46, 13)


def test_trend_with_twelve_months_of_crime_in_each_year() -> None:
    """Arithmetic on a dense series: every month of two years, a rising count."""
    small = build_small_force(with_users=False)
    add_crime(small)
    CrimeCount.objects.all().delete()
    robbery = CrimeCategory.objects.get(slug="robbery")
    lsoa = small.lsoas[4]
    rows = []
    for i, m in enumerate(selectors.months_between(date(2021, 1, 1), date(2022, 12, 1))):
        rows.append(
            CrimeCount(force=small.force, month=m, lsoa=lsoa, lsoa_code=lsoa.code, category=robbery, count=i + 1)
        )
    CrimeCount.objects.bulk_create(rows)
    trend = selectors.crime_trend(lsoa, end=date(2022, 12, 1))
    # 2021: 1 + ... + 12 = 78; 2022: 13 + ... + 24 = 222.
    assert (trend.count.current, trend.count.previous) == (222, 78)
    assert trend.count.percent == pytest.approx(144 * 100 / 78)
    assert trend.harm.current == pytest.approx(222 * ROBBERY)
    assert trend.complete
    # Ending in June compares 2021-07..2022-06 (7+...+18 = 150) with 2020-07..2021-06 (1+...+6 = 21).
    june = selectors.crime_trend(lsoa, end=date(2022, 6, 1))
    assert (june.count.current, june.count.previous) == (150, 21)
    assert not june.complete


def test_no_data_means_empty_figures(small: SmallForce) -> None:
    summary = selectors.crime_summary(small.neighbourhoods[1], start=date(2019, 1, 1), end=date(2019, 12, 1))
    assert not summary.has_data and summary.harm == 0
    trend = selectors.crime_trend(small.neighbourhoods[1], end=date(2019, 12, 1))
    assert not trend.has_data and trend.count.percent is None
    assert selectors.outcome_mix(small.neighbourhoods[1], start=date(2019, 1, 1), end=date(2019, 12, 1)) is None


# --------------------------------------------------------------------------- outcomes


def test_outcome_mix_leaves_out_anti_social_behaviour(small: SmallForce) -> None:
    mix = selectors.outcome_mix(small.neighbourhoods[0], **YEAR_2022)
    assert mix is not None
    # 2022 crimes in N1: no suspect 6, no outcome 1, under investigation 3, awaiting court 1.
    assert mix.total == 11
    assert [(r.outcome, r.count) for r in mix.rows] == [
        (NO_SUSPECT, 6),
        (UNDER_INVESTIGATION, 3),
        (AWAITING_COURT, 1),
        ("No outcome recorded", 1),
    ]
    assert mix.rows[0].share == pytest.approx(6 / 11)
    assert sum(r.share for r in mix.rows) == pytest.approx(1.0)


def test_lsoa_codes_for_the_point_map(small: SmallForce) -> None:
    assert selectors.lsoa_codes_within(small.force) is None
    assert selectors.lsoa_codes_within(small.neighbourhoods[0]) == ["E01900001", "E01900002", "E01900003"]
    limit = lsoa_limit(small.users["officer"], small.ward)
    assert selectors.lsoa_codes_within(small.ward, lsoa_filter=limit) == ["E01900003"]
    assert month("2022-04") == date(2022, 4, 1)
