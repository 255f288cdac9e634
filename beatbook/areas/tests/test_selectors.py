"""Profile figures are sums over the LSOAs inside an area: checked against hand-made sums."""

from __future__ import annotations

import csv
import gzip
import math
from pathlib import Path

import pytest
from django.db.models import JSONField, Value

from beatbook.areas import selectors
from beatbook.areas.models import Area, CensusTopic, Deprivation, Level

from .synthetic import FEMALES, IMD_POP, INDIAN_SHARE, MALES, RANKS, SmallForce, build_small_force, census_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def small() -> SmallForce:
    return build_small_force(with_users=False)


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def lsoa_codes(indices: range | list[int]) -> set[str]:
    return {f"E0190{i + 1:04d}" for i in indices}


def test_lsoas_within_every_level(small: SmallForce) -> None:
    assert codes(selectors.lsoas_within(small.force)) == lsoa_codes(range(12))
    assert codes(selectors.lsoas_within(small.npas[0])) == lsoa_codes(range(6))
    assert codes(selectors.lsoas_within(small.npas[1])) == lsoa_codes(range(6, 12))
    assert codes(selectors.lsoas_within(small.neighbourhoods[3])) == lsoa_codes([9, 10, 11])
    assert codes(selectors.lsoas_within(small.lads[1])) == lsoa_codes(range(6, 12))
    # The ward cuts across all four neighbourhoods: the top row of each column.
    assert codes(selectors.lsoas_within(small.ward)) == lsoa_codes([2, 5, 8, 11])
    assert codes(selectors.lsoas_within(small.msoa)) == lsoa_codes([0, 1, 2])
    assert codes(selectors.lsoas_within(small.lsoas[4])) == {"E01900005"}
    # The other force's LSOAs never leak in.
    assert not codes(selectors.lsoas_within(small.force)) & {a.code for a in small.other_lsoas}


def test_areas_overlapping_a_neighbourhood(small: SmallForce) -> None:
    assert codes(selectors.areas_overlapping(small.neighbourhoods[2], level=Level.LAD)) == {"E07900002"}
    assert codes(selectors.areas_overlapping(small.neighbourhoods[2], level=Level.WARD)) == {"E05900001"}
    assert codes(selectors.areas_overlapping(small.ward, level=Level.NEIGHBOURHOOD)) == {
        "TST-N1",
        "TST-N2",
        "TST-N3",
        "TST-N4",
    }
    assert codes(selectors.areas_overlapping(small.force, level=Level.NPA)) == {"TST-A", "TST-B"}


def test_force_figures_are_sums_over_its_lsoas(small: SmallForce) -> None:
    fig = selectors.area_figures(small.force)
    assert fig.lsoa_count == 12
    # Census: LSOA 12 has no counts, so the total covers 11 LSOAs (and says so).
    assert fig.population == sum(MALES[:11]) + sum(FEMALES[:11]) == 17780
    assert fig.census_year == 2011
    assert fig.census_lsoa_count == 11
    # The IMD mid-2015 denominators are kept apart, labelled with their own year.
    assert fig.imd_population == sum(IMD_POP) == 18950
    weighted = sum(r * p for r, p in zip(RANKS, IMD_POP, strict=True)) / sum(IMD_POP)
    assert fig.imd_rank == pytest.approx(weighted)
    assert fig.imd_rank_display == 16391
    assert fig.imd_rank_is_average
    assert fig.imd_decile == 5  # 16,391 of 32,844 falls in the fifth tenth


def test_lsoa_figures_are_its_own(small: SmallForce) -> None:
    fig = selectors.area_figures(small.lsoas[1])
    assert (fig.lsoa_count, fig.population, fig.imd_population) == (1, MALES[1] + FEMALES[1], IMD_POP[1])
    assert (fig.imd_rank, fig.imd_decile, fig.imd_rank_is_average) == (3000, 1, False)


def test_figures_for_many_areas_take_three_queries_per_level(
    small: SmallForce, django_assert_num_queries: pytest.FixtureRequest
) -> None:
    areas = list(Area.objects.filter(level=Level.NEIGHBOURHOOD, force=small.force))
    with django_assert_num_queries(3):  # type: ignore[operator]
        figures = selectors.figures_for_areas(areas)
    by_code = {a.code: figures[a.pk] for a in areas}
    assert by_code["TST-N2"].population == sum(MALES[3:6]) + sum(FEMALES[3:6])
    assert by_code["TST-N4"].lsoa_count == 3
    assert by_code["TST-N4"].census_lsoa_count == 2
    assert sum(f.imd_population or 0 for f in figures.values()) == sum(IMD_POP)


def test_ward_figures_follow_the_best_fit_links(small: SmallForce) -> None:
    fig = selectors.area_figures(small.ward)
    top_row = [2, 5, 8]  # 11 has no census
    assert fig.population == sum(MALES[i] + FEMALES[i] for i in top_row)
    assert fig.imd_population == sum(IMD_POP[i] for i in [2, 5, 8, 11])


def test_census_profile_sums_and_shares(small: SmallForce) -> None:
    profile = {p.topic: p for p in selectors.census_profile(small.npas[0])}
    assert list(profile) == [
        CensusTopic.AGE,
        CensusTopic.SEX,
        CensusTopic.ETHNIC_GROUP,
        CensusTopic.RELIGION,
        CensusTopic.ENGLISH_PROFICIENCY,
    ]
    npa_population = sum(MALES[:6]) + sum(FEMALES[:6])
    assert npa_population == 9830
    for topic in (CensusTopic.AGE, CensusTopic.SEX, CensusTopic.ETHNIC_GROUP, CensusTopic.RELIGION):
        assert profile[topic].total == npa_population
    for p in profile.values():
        assert sum(r.share for r in p.rows) == pytest.approx(1.0)
        assert p.census_year == 2011
    sex = {r.category: r.count for r in profile[CensusTopic.SEX].rows}
    assert sex == {"Males": sum(MALES[:6]), "Females": sum(FEMALES[:6])}
    ethnic = {r.category: r for r in profile[CensusTopic.ETHNIC_GROUP].rows}
    indian = sum(round((MALES[i] + FEMALES[i]) * INDIAN_SHARE[i]) for i in range(6))
    assert ethnic["Asian/Asian British: Indian"].count == indian
    assert ethnic["Asian/Asian British: Indian"].share == pytest.approx(indian / npa_population)
    # Categories keep their published order, not alphabetical order.
    assert [r.category for r in profile[CensusTopic.AGE].rows] == ["0 to 15", "16 to 64", "65 and over"]
    english_total = sum(sum(c for _, c in census_cells(i)[CensusTopic.ENGLISH_PROFICIENCY]) for i in range(6))
    assert profile[CensusTopic.ENGLISH_PROFICIENCY].total == english_total < npa_population


def test_census_profile_is_empty_without_counts(small: SmallForce) -> None:
    assert selectors.census_profile(small.lsoas[11]) == []
    assert selectors.census_profile(small.other_force) == []


def test_deprivation_summary_of_the_force(small: SmallForce) -> None:
    summary = selectors.deprivation_summary(small.force)
    assert summary is not None
    assert summary.lsoas == 12
    imd = {row.decile: row for row in summary.imd.rows}
    # Ranks 1,200 and 3,000 are decile 1; 30,000 and 32,000 decile 10; one LSOA in each between.
    assert [imd[d].lsoas for d in range(1, 11)] == [2, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert imd[1].population == IMD_POP[0] + IMD_POP[1] == 3100
    assert imd[10].population == IMD_POP[10] + IMD_POP[11]
    assert sum(row.share for row in summary.imd.rows) == pytest.approx(1.0)
    assert summary.average_rank_display == 16391
    assert summary.average_decile == 5
    assert summary.rank_is_weighted
    assert summary.most_deprived is not None and summary.least_deprived is not None
    assert (summary.most_deprived.code, summary.most_deprived.rank) == ("E01900001", 1200)
    assert (summary.least_deprived.code, summary.least_deprived.rank) == ("E01900012", 32000)
    domains = {d.domain: d for d in summary.domains}
    assert list(domains) == ["income", "employment", "education", "health", "crime", "housing", "living_environment"]
    assert [r.lsoas for r in domains["crime"].rows] == [2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    assert [r.lsoas for r in domains["living_environment"].rows] == [0, 0, 0, 0, 12, 0, 0, 0, 0, 0]


def test_deprivation_summary_query_count(small: SmallForce, django_assert_num_queries) -> None:
    with django_assert_num_queries(3):  # one aggregate, most and least deprived
        selectors.deprivation_summary(small.npas[1])


def test_children_ancestors_and_related(small: SmallForce) -> None:
    assert [c.area.code for c in selectors.children_with_figures(small.force)] == ["TST-A", "TST-B"]
    kids = selectors.children_with_figures(small.npas[1])
    assert [c.area.code for c in kids] == ["TST-N3", "TST-N4"]
    assert kids[1].figures.lsoa_count == 3
    assert [c.area.code for c in selectors.children_with_figures(small.neighbourhoods[0])] == sorted(
        lsoa_codes([0, 1, 2])
    )
    lsoa = Area.objects.select_related("parent__parent", "force").get(code="E01900005")
    assert [c.area.code for c in selectors.area_ancestors(lsoa)] == ["E23900001", "TST-A", "TST-N2"]
    visible = Area.objects.filter(code__in=["TST-N2", "E01900005"])
    assert [c.linked for c in selectors.area_ancestors(lsoa, visible=visible)] == [False, False, True]
    assert [a.area.code for a in selectors.related_areas(lsoa)] == ["E06900001"]
    top = Area.objects.get(code="E01900003")
    assert {a.area.level for a in selectors.related_areas(top)} == {Level.LAD, Level.WARD, Level.MSOA}


def test_force_without_npas_lists_its_districts(small: SmallForce) -> None:
    Area.objects.filter(level=Level.NPA, force=small.force).update(parent=None)
    assert [c.area.code for c in selectors.children_with_figures(small.force)] == ["E07900002", "E06900001"]


def test_measures_offered_follow_the_data(small: SmallForce) -> None:
    keys = [m.key for m in selectors.available_measures(small.force)]
    assert keys[:8] == ["imd", "income", "employment", "education", "health", "crime", "housing", "living_environment"]
    assert "population" in keys and "density" in keys
    assert "ethnic_group:Asian/Asian British: Indian" in keys
    assert "religion:Christian" in keys
    assert keys[-1] == "english_not_proficient"
    other = [m.key for m in selectors.available_measures(small.other_force)]
    assert "ethnic_group:White" not in other and "imd" in other and "population" in other
    measures = selectors.available_measures(small.force)
    assert selectors.choose_measure(measures, "nonsense").key == "imd"  # type: ignore[union-attr]


def test_imd_map_classes_and_legend(small: SmallForce) -> None:
    measures = selectors.available_measures(small.neighbourhoods[0])
    result = selectors.area_map(small.neighbourhoods[0], selectors.choose_measure(measures, "imd"))  # type: ignore[arg-type]
    assert [(r.code, r.display, r.class_index) for r in result.rows] == [
        ("E01900001", "1", 1),
        ("E01900002", "1", 1),
        ("E01900003", "2", 2),
    ]
    assert result.rows[0].colour == selectors.DECILE_COLOURS[0]
    assert len(result.legend) == 10
    assert result.legend[0].label == "1 (most deprived)" and result.legend[0].lsoas == 2


def test_population_and_density_maps_mark_missing_data(small: SmallForce) -> None:
    area = small.neighbourhoods[3]  # LSOAs 10, 11 and 12; 12 has no census
    measures = selectors.available_measures(area)
    pop = selectors.area_map(area, selectors.choose_measure(measures, "population"))  # type: ignore[arg-type]
    assert [r.value for r in pop.rows] == [MALES[9] + FEMALES[9], MALES[10] + FEMALES[10], None]
    assert pop.rows[2].class_label == "No data" and pop.rows[2].class_index == 0
    assert pop.legend[-1].label == "No data" and pop.legend[-1].lsoas == 1
    assert pop.source == "Census 2011, usual residents"
    density = selectors.area_map(area, selectors.choose_measure(measures, "density"))  # type: ignore[arg-type]
    assert density.rows[0].value == pytest.approx((MALES[9] + FEMALES[9]) / 1.1)
    assert density.rows[1].value == pytest.approx((MALES[10] + FEMALES[10]) / 0.7)
    # Classes are ordered: a higher value never gets a lower class.
    valued = sorted((r.value, r.class_index) for r in density.rows if r.value is not None)
    assert [c for _, c in valued] == sorted(c for _, c in valued)


def test_share_maps(small: SmallForce) -> None:
    area = small.npas[0]
    measures = selectors.available_measures(area)
    indian = selectors.area_map(area, selectors.choose_measure(measures, "ethnic_group:Asian/Asian British: Indian"))  # type: ignore[arg-type]
    first_total = MALES[0] + FEMALES[0]
    assert indian.rows[0].value == pytest.approx(round(first_total * 0.40) / first_total)
    assert indian.rows[0].display == f"{round(first_total * 0.40) / first_total * 100:.1f}%"
    english = selectors.area_map(area, selectors.choose_measure(measures, "english_not_proficient"))  # type: ignore[arg-type]
    cells = dict(census_cells(0)[CensusTopic.ENGLISH_PROFICIENCY])
    expected = (cells["Cannot speak English well"] + cells["Cannot speak English"]) / sum(cells.values())
    assert english.rows[0].value == pytest.approx(expected)
    assert sum(c.lsoas for c in english.legend) == 6


def test_map_geojson(small: SmallForce) -> None:
    measures = selectors.available_measures(small.npas[1])
    collection = selectors.area_map_geojson(small.npas[1], selectors.choose_measure(measures, "crime"))  # type: ignore[arg-type]
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 6
    first = collection["features"][0]
    assert first["geometry"]["type"] == "Polygon"
    assert first["properties"]["code"] == "E01900007"
    assert first["properties"]["value"] == 7.0  # crime decile 1 + 6 % 10
    assert first["properties"]["fill"] == selectors.DECILE_COLOURS[6]


def test_decile_of_rank_matches_the_published_deciles(shared_data: Path) -> None:
    path = shared_data / "imd2019" / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == selectors.IMD_2019_LSOA_COUNT
    rank_col = "Index of Multiple Deprivation (IMD) Rank"
    decile_col = "Index of Multiple Deprivation (IMD) Decile"
    wrong = [r for r in rows if selectors.decile_of_rank(int(r[rank_col].replace(",", ""))) != int(r[decile_col])]
    assert wrong == []
    assert math.isclose(selectors.decile_of_rank(16422), 5) and selectors.decile_of_rank(16423) == 6


@pytest.mark.realdata
@pytest.mark.slow
def test_leicestershire_profile_from_the_real_open_data(shared_data: Path) -> None:
    """Import the real boundaries, IoD2019 and Census 2011 files with Beatbook's importers,
    then check the force's profile against sums read straight from the files."""
    from beatbook.areas.importers.boundaries import import_boundaries
    from beatbook.areas.importers.census import import_census
    from beatbook.areas.importers.imd import import_imd

    force = Area.objects.create(level=Level.FORCE, code="E23000021", name="Leicestershire Police")
    import_boundaries(
        shared_data / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz",
        level=Level.LSOA,
        commit=True,
        force_code=force.code,
    )
    imd = shared_data / "imd2019"
    import_imd(
        [
            imd / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
            imd / "File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
            imd / "File_6_-_IoD2019_Population_Denominators.csv.gz",
        ],
        commit=True,
    )
    census = shared_data / "census2011"
    import_census(
        [census / "2011_OAC_Raw_uVariables_Leicester.csv.gz", census / "2011_OAC_Raw_uVariables_Leicestershire.csv.gz"],
        commit=True,
    )

    def read(path: Path) -> list[dict[str, str]]:
        with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
            return list(csv.DictReader(handle))

    codes = set(Area.objects.filter(level=Level.LSOA, force=force).values_list("code", flat=True))
    assert len(codes) == 611
    ranks = {
        r["LSOA code (2011)"]: int(r["Index of Multiple Deprivation (IMD) Rank"].replace(",", ""))
        for r in read(imd / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz")
        if r["LSOA code (2011)"] in codes
    }
    denominators = read(imd / "File_6_-_IoD2019_Population_Denominators.csv.gz")
    total_column = next(c for c in denominators[0] if c.startswith("Total population"))
    people = {
        r["LSOA code (2011)"]: int(r[total_column].replace(",", ""))
        for r in denominators
        if r["LSOA code (2011)"] in codes
    }
    demographics = read(census / "leicestershire_lsoa2011_demographics_from_OA.csv.gz")

    fig = selectors.area_figures(force)
    assert fig.lsoa_count == 611
    assert fig.census_lsoa_count == 588  # Rutland's 23 LSOAs are missing from the census files
    assert fig.population == sum(int(r["Total_Population"]) for r in demographics) == 980_328
    assert fig.imd_population == sum(people.values())
    assert fig.imd_rank == pytest.approx(sum(ranks[c] * people[c] for c in codes) / sum(people.values()))

    summary = selectors.deprivation_summary(force)
    assert summary is not None
    by_decile = {d: sum(1 for r in ranks.values() if selectors.decile_of_rank(r) == d) for d in range(1, 11)}
    assert {row.decile: row.lsoas for row in summary.imd.rows} == by_decile
    assert summary.most_deprived is not None and summary.most_deprived.rank == min(ranks.values())
    assert len(summary.domains) == 7

    profile = {p.topic: p for p in selectors.census_profile(force)}
    assert profile[CensusTopic.ETHNIC_GROUP].total == 980_328
    indian = next(r for r in profile[CensusTopic.ETHNIC_GROUP].rows if r.category == "Indian")
    assert indian.count == sum(int(r["u031_Asian_Asian_British_Indian"]) for r in demographics)
    measures = selectors.available_measures(force)
    english = selectors.area_map(force, selectors.choose_measure(measures, "english_not_proficient"))  # type: ignore[arg-type]
    assert sum(1 for row in english.rows if row.value is None) == 23
    geojson = selectors.area_map_geojson(force, selectors.choose_measure(measures, "imd"))  # type: ignore[arg-type]
    assert len(geojson["features"]) == 611


# --------------------------------------------------------------------------- limits and edge cases


def test_average_rank_is_unweighted_unless_every_lsoa_has_a_population(small: SmallForce) -> None:
    """Ranks 100 (1,000 people), 30,000 and 30,000 (no population): weighting by the one
    known population would give 100; the honest figure is the plain mean, 20,033."""
    force = Area.objects.create(level=Level.FORCE, code="E23900077", name="Mixedshire Police")
    nb = Area.objects.create(level=Level.NEIGHBOURHOOD, code="MIX-N1", name="Mixed", force=force, parent=force)
    for i, (rank, population) in enumerate([(100, 1000), (30000, None), (30000, None)]):
        lsoa = Area.objects.create(level=Level.LSOA, code=f"E0197{i:04d}", name=f"Mixed {i}", force=force, parent=nb)
        Deprivation.objects.create(
            lsoa=lsoa, imd_rank=rank, imd_decile=1 if rank < 3285 else 10, population_total=population
        )
    fig = selectors.area_figures(nb)
    assert fig.imd_rank == pytest.approx(60100 / 3)
    assert fig.imd_rank_display == 20033
    assert fig.imd_decile == 7  # 20,033 of 32,844 falls in the seventh tenth
    assert fig.imd_rank_is_average and not fig.imd_rank_is_weighted
    summary = selectors.deprivation_summary(nb)
    assert summary is not None
    assert summary.average_rank_display == 20033 and not summary.rank_is_weighted
    # With every population known the average is weighted again.
    Deprivation.objects.filter(lsoa__parent=nb, population_total__isnull=True).update(population_total=1000)
    fig = selectors.area_figures(nb)
    assert fig.imd_rank_display == 20033 and fig.imd_rank_is_weighted  # equal weights: the same mean
    Deprivation.objects.filter(imd_rank=100, lsoa__parent=nb).update(population_total=4000)
    weighted = (100 * 4000 + 30000 * 1000 * 2) / 6000
    assert selectors.area_figures(nb).imd_rank == pytest.approx(weighted)
    # The small force's neighbourhoods all have populations: weighted, as before.
    assert selectors.area_figures(small.neighbourhoods[0]).imd_rank_is_weighted


def test_lsoa_filter_limits_every_figure_of_a_ward(small: SmallForce) -> None:
    """The ward holds LSOAs 3, 6, 9 and 12; limited to NPA A's LSOAs only 3 and 6 count."""
    ward = small.ward
    north = Area.objects.filter(level=Level.LSOA, parent__parent=small.npas[0])
    assert codes(selectors.lsoas_within(ward, lsoa_filter=north)) == lsoa_codes([2, 5])
    fig = selectors.area_figures(ward, lsoa_filter=north)
    assert (fig.lsoa_count, fig.census_lsoa_count) == (2, 2)
    assert fig.population == MALES[2] + FEMALES[2] + MALES[5] + FEMALES[5] == 3350
    assert fig.imd_population == IMD_POP[2] + IMD_POP[5] == 3250
    assert fig.imd_rank == pytest.approx((RANKS[2] * IMD_POP[2] + RANKS[5] * IMD_POP[5]) / 3250)
    # Many areas at once, limited the same way.
    many = selectors.figures_for_areas([ward, *small.lads], lsoa_filter=north)
    assert [many[a.pk].lsoa_count for a in (ward, *small.lads)] == [2, 6, 0]

    profile = {p.topic: p for p in selectors.census_profile(ward, lsoa_filter=north)}
    assert profile[CensusTopic.SEX].total == 3350
    summary = selectors.deprivation_summary(ward, lsoa_filter=north)
    assert summary is not None and summary.lsoas == 2
    assert summary.most_deprived is not None and summary.least_deprived is not None
    assert (summary.most_deprived.code, summary.least_deprived.code) == ("E01900003", "E01900006")

    measure = selectors.choose_measure(selectors.available_measures(ward, lsoa_filter=north), "imd")
    assert measure is not None
    assert [r.code for r in selectors.area_map(ward, measure, lsoa_filter=north).rows] == ["E01900003", "E01900006"]
    collection = selectors.area_map_geojson(ward, measure, lsoa_filter=north)
    assert [f["id"] for f in collection["features"]] == ["E01900003", "E01900006"]
    # Limited to LSOA 12 alone, which has no census counts: no census measures are offered.
    only_12 = Area.objects.filter(code="E01900012")
    keys = [m.key for m in selectors.available_measures(ward, lsoa_filter=only_12)]
    assert "imd" in keys and not any(k.startswith("ethnic_group:") for k in keys)
    # Without a limit the whole ward counts.
    assert selectors.area_figures(ward).lsoa_count == 4


def test_areas_without_geometry_are_left_out_of_geojson(small: SmallForce) -> None:
    # SQL NULL, and JSON null as an importer could write it: neither is a geometry.
    Area.objects.filter(code="E01900001").update(geometry=None)
    Area.objects.filter(code="E01900002").update(geometry=Value(None, JSONField()))
    assert Area.objects.filter(code="E01900002", geometry__isnull=True).count() == 0  # stored as JSON null
    nb = small.neighbourhoods[0]
    measure = selectors.choose_measure(selectors.available_measures(nb), "imd")
    assert measure is not None
    collection = selectors.area_map_geojson(nb, measure)
    assert [f["id"] for f in collection["features"]] == ["E01900003"]
    assert all(f["geometry"] for f in collection["features"])
    # The table keeps all three: only the drawing needs a geometry.
    assert len(selectors.area_map(nb, measure).rows) == 3
    lsoas = list(Area.objects.filter(parent=nb).order_by("code"))
    listed = selectors.areas_geojson(lsoas, selectors.figures_for_areas(lsoas))
    assert [f["properties"]["code"] for f in listed["features"]] == ["E01900003"]
