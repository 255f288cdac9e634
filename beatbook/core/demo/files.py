"""Write the demo force as the public files a real force would download.

Boundaries as ONS-style GeoJSON, deprivation as MHCLG's IoD2019 File 1, 2 and 6 CSVs,
census counts as Nomis Census 2021 LSOA bulk CSVs, the force's own list of which
wards make up each neighbourhood, and (given the generated crime) data.police.uk street
files in their archive layout. The demo then imports them with the real importers,
so every run of the demo also exercises those importers end to end.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from .crime import CATEGORY_NAMES, FORCE_SLUG, HEADER, OUTCOMES, DemoCrime
from .geography import DISTRICTS, FORCE_CODE, FORCE_NAME, Geography, Group
from .population import (
    AGE_BANDS,
    ETHNIC_GROUPS,
    PROFICIENCY,
    RELIGIONS,
    SEXES,
    LsoaPeople,
    decile,
)

CENSUS_DATE = "2021"


@dataclass
class DemoFiles:
    force: Path
    lsoas: Path
    wards: Path
    msoas: Path
    neighbourhoods: Path
    imd: list[Path]
    census: list[Path]
    crime: list[Path] = field(default_factory=list)  # one street file per month


def _feature(properties: dict[str, Any], geometry: BaseGeometry) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def _write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": features,
    }
    path.write_text(json.dumps(collection, separators=(",", ":")), encoding="utf-8")
    return path


def write_boundaries(geography: Geography, folder: Path) -> tuple[Path, Path, Path, Path]:
    """Force, LSOA, ward and MSOA boundaries, with the ONS property names of each level."""
    assert geography.force_lonlat is not None
    force = _write_geojson(
        folder / "demoshire_pfa.geojson",
        [_feature({"PFA22CD": FORCE_CODE, "PFA22NM": FORCE_NAME}, geography.force_lonlat)],
    )
    lsoa_features = []
    for lsoa in sorted(geography.lsoas, key=lambda item: item.code):
        lad_code, lad_name = DISTRICTS[lsoa.district]
        assert lsoa.lonlat is not None
        properties = {"LSOA11CD": lsoa.code, "LSOA11NM": lsoa.name, "LAD_CD": lad_code, "LAD_NM": lad_name}
        lsoa_features.append(_feature(properties, lsoa.lonlat))
    lsoas = _write_geojson(folder / "demoshire_lsoa2011.geojson", lsoa_features)
    wards = _write_geojson(folder / "demoshire_wards.geojson", _group_features(geography, geography.wards, "WD22"))
    msoas = _write_geojson(folder / "demoshire_msoa2011.geojson", _group_features(geography, geography.msoas, "MSOA11"))
    return force, lsoas, wards, msoas


def _group_features(geography: Geography, groups: list[Group], prefix: str) -> list[dict[str, Any]]:
    features = []
    for group in groups:
        lad_code, lad_name = DISTRICTS[group.district]
        assert group.lonlat is not None
        properties = {f"{prefix}CD": group.code, f"{prefix}NM": group.name, "LAD_CD": lad_code, "LAD_NM": lad_name}
        features.append(_feature(properties, group.lonlat))
    return features


def write_neighbourhoods(geography: Geography, folder: Path) -> Path:
    """The force's own table of which wards make up each neighbourhood and policing area."""
    path = folder / "demoshire_neighbourhoods.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ward_code", "ward_name", "neighbourhood_code", "neighbourhood_name", "npa_code", "npa_name"])
        for neighbourhood in geography.neighbourhoods:
            npa = geography.npas[neighbourhood.parent]
            for w in neighbourhood.wards:
                ward = geography.wards[w]
                writer.writerow([ward.code, ward.name, neighbourhood.code, neighbourhood.name, npa.code, npa.name])
    return path


# MHCLG's headers, exactly as in the published CSVs.
_KEYS = [
    "LSOA code (2011)",
    "LSOA name (2011)",
    "Local Authority District code (2019)",
    "Local Authority District name (2019)",
]
_FILE_2_DOMAINS = [
    ("imd", "Index of Multiple Deprivation (IMD)"),
    ("income", "Income"),
    ("employment", "Employment"),
    ("education", "Education, Skills and Training"),
    ("health", "Health Deprivation and Disability"),
    ("crime", "Crime"),
    ("housing", "Barriers to Housing and Services"),
    ("living_environment", "Living Environment"),
]


def _thousands(number: int) -> str:
    return f"{number:,}"


def write_imd(geography: Geography, people: list[LsoaPeople], folder: Path) -> list[Path]:
    """IoD2019 File 1, File 2 and File 6, with a BOM and thousands separators where MHCLG has them."""
    rows = sorted(zip(geography.lsoas, people, strict=True), key=lambda pair: pair[0].code)
    file_1 = folder / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv"
    file_2 = folder / "File_2_-_IoD2019_Domains_of_Deprivation.csv"
    file_6 = folder / "File_6_-_IoD2019_Population_Denominators.csv"
    with file_1.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [*_KEYS, "Index of Multiple Deprivation (IMD) Rank", "Index of Multiple Deprivation (IMD) Decile"]
        )
        for lsoa, person in rows:
            rank = person.ranks["imd"]
            writer.writerow([*_keys(lsoa.code, lsoa.name, lsoa.district), _thousands(rank), decile(rank)])
    with file_2.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        header = list(_KEYS)
        for _, label in _FILE_2_DOMAINS:
            header += [
                f"{label} Rank (where 1 is most deprived)",
                f"{label} Decile (where 1 is most deprived 10% of LSOAs)",
            ]
        writer.writerow(header)
        for lsoa, person in rows:
            values: list[Any] = _keys(lsoa.code, lsoa.name, lsoa.district)
            for key, _ in _FILE_2_DOMAINS:
                values += [person.ranks[key], decile(person.ranks[key])]
            writer.writerow(values)
    with file_6.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                *_KEYS,
                "Total population: mid 2015 (excluding prisoners)",
                "Dependent Children aged 0-15: mid 2015 (excluding prisoners)",
                "Population aged 16-59: mid 2015 (excluding prisoners)",
                "Older population aged 60 and over: mid 2015 (excluding prisoners)",
                "Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)",
            ]
        )
        for lsoa, person in rows:
            pop = person.population_2015
            writer.writerow(
                [
                    *_keys(lsoa.code, lsoa.name, lsoa.district),
                    _thousands(pop["total"]),
                    _thousands(pop["children"]),
                    _thousands(pop["middle"]),
                    _thousands(pop["older"]),
                    _thousands(pop["working_age"]),
                ]
            )
    return [file_1, file_2, file_6]


def _keys(code: str, name: str, district: int) -> list[Any]:
    lad_code, lad_name = DISTRICTS[district]
    return [code, name, lad_code, lad_name]


def census_tables(people: list[LsoaPeople]) -> dict[str, tuple[list[str], list[list[int]]]]:
    """Nomis Census 2021 tables: file stem → (count column headers, one row of counts per LSOA).

    Each table starts with its total column; the ethnic group table also has the five
    high-level group totals that Nomis places before their categories.
    """
    tables: dict[str, tuple[list[str], list[list[int]]]] = {}
    age_header = ["Age: Total", *(f"Age: {band}" for band in AGE_BANDS)]
    tables["census2021-ts007a-lsoa"] = (age_header, [[p.total, *p.age] for p in people])
    sex_header = ["Sex: All persons; measures: Value", *(f"Sex: {s}; measures: Value" for s in SEXES)]
    tables["census2021-ts008-lsoa"] = (sex_header, [[p.total, *p.sex] for p in people])

    groups: list[str] = []
    for group, _ in ETHNIC_GROUPS:
        if group not in groups:
            groups.append(group)
    ethnic_header = ["Ethnic group: Total: All usual residents"]
    for group in groups:
        ethnic_header.append(f"Ethnic group: {group}")
        ethnic_header += [f"Ethnic group: {group}: {name}" for g, name in ETHNIC_GROUPS if g == group]
    ethnic_rows = []
    for p in people:
        row = [p.total]
        for group in groups:
            counts = [c for (g, _), c in zip(ETHNIC_GROUPS, p.ethnic, strict=True) if g == group]
            row += [sum(counts), *counts]
        ethnic_rows.append(row)
    tables["census2021-ts021-lsoa"] = (ethnic_header, ethnic_rows)

    religion_header = ["Religion: Total: All usual residents", *(f"Religion: {r}" for r in RELIGIONS)]
    tables["census2021-ts030-lsoa"] = (religion_header, [[p.total, *p.religion] for p in people])

    prefix = "Proficiency in English language"
    not_english = "Main language is not English (English or Welsh in Wales)"
    proficiency_header = [
        f"{prefix}: Total: All usual residents aged 3 and over",
        f"{prefix}: {PROFICIENCY[0]}",
        f"{prefix}: {not_english}",
        *(f"{prefix}: {category}" for category in PROFICIENCY[1:]),
    ]
    proficiency_rows = [
        [p.aged_3_and_over, p.proficiency[0], sum(p.proficiency[1:]), *p.proficiency[1:]] for p in people
    ]
    tables["census2021-ts029-lsoa"] = (proficiency_header, proficiency_rows)
    return tables


def write_census(geography: Geography, people: list[LsoaPeople], folder: Path) -> list[Path]:
    """One Nomis bulk CSV per table: date, geography (LSOA name), geography code, counts."""
    paths = []
    order = sorted(range(len(people)), key=lambda i: geography.lsoas[i].code)
    for stem, (header, rows) in census_tables(people).items():
        path = folder / f"{stem}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["date", "geography", "geography code", *header])
            for i in order:
                lsoa = geography.lsoas[i]
                writer.writerow([CENSUS_DATE, lsoa.name, lsoa.code, *rows[i]])
        paths.append(path)
    return paths


def street_file_name(month: date) -> str:
    return f"{month:%Y-%m}-{FORCE_SLUG}-street.csv"


def write_street_files(crime: DemoCrime, geography: Geography, folder: Path) -> list[Path]:
    """One data.police.uk street file per month, in the archive layout `YYYY-MM/<file>`."""
    locations = crime.locations
    # Everything a row says about where it is, once per map point (and once for none).
    where = [
        (
            f"{lon:.6f}",
            f"{lat:.6f}",
            name,
            geography.lsoas[i].code,
            geography.lsoas[i].name,
        )
        for lon, lat, name, i in zip(
            locations.lon.tolist(), locations.lat.tolist(), locations.name, locations.lsoa.tolist(), strict=True
        )
    ]
    nowhere = ("", "", "No Location", "", "")
    outcomes = [*OUTCOMES, ""]  # index -1 is blank
    paths: list[Path] = []
    bounds = np.searchsorted(crime.month, np.arange(len(crime.months) + 1)).tolist()
    location = crime.location.tolist()
    category = crime.category.tolist()
    outcome = crime.outcome.tolist()
    for m, month in enumerate(crime.months):
        label = f"{month:%Y-%m}"
        path = folder / label / street_file_name(month)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [
            (
                crime.crime_id[j],
                label,
                FORCE_NAME,
                FORCE_NAME,
                *(where[location[j]] if location[j] >= 0 else nowhere),
                CATEGORY_NAMES[category[j]],
                outcomes[outcome[j]],
                "",
            )
            for j in range(bounds[m], bounds[m + 1])
        ]
        # As data.police.uk writes them: UTF-8 without a byte-order mark, CRLF line ends,
        # quotes only where a value needs them.
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(HEADER)
            writer.writerows(rows)
        paths.append(path)
    return paths


def write_all(
    geography: Geography, people: list[LsoaPeople], folder: Path, crime: DemoCrime | None = None
) -> DemoFiles:
    force, lsoas, wards, msoas = write_boundaries(geography, folder)
    return DemoFiles(
        force=force,
        lsoas=lsoas,
        wards=wards,
        msoas=msoas,
        neighbourhoods=write_neighbourhoods(geography, folder),
        imd=write_imd(geography, people, folder),
        census=write_census(geography, people, folder),
        crime=write_street_files(crime, geography, folder / "street_crime") if crime is not None else [],
    )
