"""Import ONS-style boundary GeoJSON (forces, LADs, wards, MSOAs, LSOAs, policing areas).

Codes and names are read from the usual ONS property names (LSOA11CD/LSOA11NM, WD13CD,
MSOA11CD, LAD19CD, PFA22CD, or `id`/`name`), or from `--code-field`/`--name-field`.
Areas below the force get their force from `--force` or from the imported force polygon
they overlap most (by area, not centroid: the force file may be simplified).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, progress

from ..geo import GeometryError, geometry_from_geojson, geometry_to_geojson
from ..models import Area, Level
from ..services import (
    areas_upsert,
    geometry_values,
    group_by,
    import_audit_by_force,
    index_for,
    lads_derive_geometry,
    lsoas_link_best_fit,
    majority,
)
from .common import read_geojson_features

LEVELS = [level.value for level in Level]

# Property names of the code column, tried in order, for each level.
CODE_PATTERNS: dict[str, list[str]] = {
    Level.FORCE: [r"PFA\d{2}CD"],
    Level.LAD: [r"LAD\d{2}CD", r"LTLA\d{2}CD", r"LAD_CD"],
    Level.WARD: [r"WD\d{2}CD"],
    Level.MSOA: [r"MSOA\d{2}CD"],
    Level.LSOA: [r"LSOA\d{2}CD"],
    Level.NPA: [r"NPA\d{0,2}_?CD"],
    Level.NEIGHBOURHOOD: [r"neighbourhood_?code"],
}
GENERIC_CODE_FIELDS = ["code", "id"]
GENERIC_NAME_FIELDS = ["name"]
# Lower-tier local authority carried on LSOA/MSOA/ward features (as in the shared files).
LAD_CODE_PATTERN = re.compile(r"^LAD(\d{2})?_?CD$", re.IGNORECASE)
FEATURE_ID = "(feature id)"


def _detect_field(keys: list[str], patterns: list[str], generic: list[str]) -> str | None:
    for pattern in patterns:
        for key in keys:
            if re.fullmatch(pattern, key, flags=re.IGNORECASE):
                return key
    for name in generic:
        for key in keys:
            if key.lower() == name:
                return key
    return None


def _name_field_for(code_field: str, keys: list[str]) -> str | None:
    if code_field.upper().endswith("CD"):
        candidate = code_field[:-2] + ("NM" if code_field[-2:].isupper() else "nm")
        if candidate in keys:
            return candidate
    if code_field.lower().endswith("code"):
        candidate = code_field[:-4] + "name"
        if candidate in keys:
            return candidate
    return _detect_field(keys, [], GENERIC_NAME_FIELDS)


def _feature_code(feature: dict[str, Any], code_field: str) -> str:
    value = feature.get("id") if code_field == FEATURE_ID else (feature.get("properties") or {}).get(code_field)
    return "" if value is None else str(value).strip()


def import_boundaries(
    path: Path,
    *,
    level: str,
    commit: bool,
    force_code: str | None = None,
    only_codes: Collection[str] | None = None,
    code_field: str | None = None,
    name_field: str | None = None,
    show_progress: bool = False,
) -> ImportReport:
    """Import the features of one GeoJSON file as areas of `level`."""
    if level not in LEVELS:
        raise ImportFailed(f"unknown level {level!r}; use one of {', '.join(LEVELS)}", path=path)
    report = ImportReport(source=path.name, kind=f"{level} boundaries")
    features = read_geojson_features(path)
    report.read = len(features)
    if not features:
        raise ImportFailed("has no features", path=path)

    keys = list((features[0].get("properties") or {}).keys())
    if code_field is None:
        code_field = _detect_field(keys, CODE_PATTERNS[level], GENERIC_CODE_FIELDS)
        if code_field is None and "id" in features[0]:
            code_field = FEATURE_ID
        if code_field is None:
            raise ImportFailed(
                f"cannot tell which property holds the {level} code (properties: {', '.join(keys) or 'none'}); "
                "name it with --code-field",
                path=path,
                feature="#0",
            )
    if name_field is None and code_field != FEATURE_ID:
        name_field = _name_field_for(code_field, keys)
    lad_code_field = next((k for k in keys if LAD_CODE_PATTERN.match(k)), None)
    if level in (Level.LAD, Level.FORCE, Level.NPA, Level.NEIGHBOURHOOD) or lad_code_field == code_field:
        lad_code_field = None
    lad_name_field = _name_field_for(lad_code_field, keys) if lad_code_field else None
    wanted = {code.strip() for code in only_codes} if only_codes else None

    # Read and validate every feature before writing anything.
    parsed: list[tuple[str, str, Any, dict[str, Any], dict[str, Any]]] = []
    seen: dict[str, int] = {}
    repaired = 0
    for index, feature in enumerate(progress(features, enabled=show_progress, desc=f"Reading {path.name}")):
        code = _feature_code(feature, code_field)
        if not code:
            raise ImportFailed("has no code", path=path, feature=f"#{index}", field=code_field)
        if wanted is not None and code not in wanted:
            report.skip("not in --only")
            continue
        if code in seen:
            raise ImportFailed(f"repeats the code of feature #{seen[code]}", path=path, feature=f"#{index} {code}")
        seen[code] = index
        properties = feature.get("properties") or {}
        name = str(properties.get(name_field) or "").strip() if name_field else ""
        try:
            geom, was_repaired = geometry_from_geojson(feature.get("geometry"))
        except GeometryError as exc:
            raise ImportFailed(str(exc), path=path, feature=f"#{index} {code}", field="geometry") from exc
        repaired += was_repaired
        geojson = (
            geometry_to_geojson(geom)
            if was_repaired
            else {"type": feature["geometry"]["type"], "coordinates": feature["geometry"]["coordinates"]}
        )
        parsed.append((code, name or code, geom, geometry_values(geom, geojson), properties))
    if wanted is not None:
        absent = sorted(wanted - set(seen))
        if absent:
            raise ImportFailed(f"--only names codes not in the file: {', '.join(absent)}", path=path)
    if repaired:
        report.notes.append(f"repaired {repaired} self-touching polygon(s) without changing their area")

    with import_transaction(commit):
        forced = _force_by_code(path, force_code) if force_code and level != Level.FORCE else None
        forces_index, forces_by_code = (None, {}) if level == Level.FORCE or forced else _force_index(path)
        npa_index, npas_by_code = (
            index_for(Area.objects.filter(level=Level.NPA, geometry__isnull=False))
            if level == Level.NEIGHBOURHOOD
            else (None, {})
        )

        rows: dict[str, dict[str, Any]] = {}
        lad_of: dict[str, tuple[str, str]] = {}
        for code, name, geom, values, properties in parsed:
            row: dict[str, Any] = {"name": name[:200], **values}
            force: Area | None = None
            if level != Level.FORCE:
                if forced is not None:
                    force = forced
                else:
                    assert forces_index is not None
                    best = forces_index.best_fit(geom)
                    if best is None:
                        report.skip("outside every imported force")
                        continue
                    force = forces_by_code[best]
                row["force_id"] = force.pk
            if level == Level.NPA and force is not None:
                row["parent_id"] = force.pk
            if level == Level.NEIGHBOURHOOD and npa_index is not None:
                npa = next(
                    (
                        npas_by_code[c]
                        for c, _ in npa_index.overlaps(geom)
                        if npas_by_code[c].force_id == row["force_id"]
                    ),
                    None,
                )
                if npa is not None:
                    row["parent_id"] = npa.pk
            if lad_code_field and properties.get(lad_code_field):
                lad_code = str(properties[lad_code_field]).strip()
                lad_name = str(properties.get(lad_name_field) or lad_code).strip() if lad_name_field else lad_code
                lad_of[code] = (lad_code, lad_name)
            rows[code] = row

        lad_ids: list[int] = []
        if lad_of:
            lad_rows: dict[str, dict[str, Any]] = {}
            # Grouped once: a national file has tens of thousands of LSOAs in some 300 districts.
            members = group_by((lad_code, code) for code, (lad_code, _) in lad_of.items())
            names = group_by(lad_of.values())
            for lad_code in sorted(members):
                lad_rows[lad_code] = {
                    "name": max(names[lad_code])[:200],
                    "force_id": majority(rows[c].get("force_id") for c in members[lad_code]),
                }
            lads = areas_upsert(level=Level.LAD, rows=lad_rows, source=f"{path.name} ({lad_code_field})")
            if lads.created or lads.updated:
                report.notes.append(f"local authority districts: {lads.created} created, {lads.updated} updated")
            for code, (lad_code, _) in lad_of.items():
                rows[code]["lad_id"] = lads.areas[lad_code].pk
            lad_ids = [lads.areas[c].pk for c in lad_rows]

        result = areas_upsert(level=level, rows=rows, source=path.name)
        report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged

        # The forces whose areas this file holds: only their LSOAs can need new links.
        force_ids = {row["force_id"] for row in rows.values() if row.get("force_id") is not None}
        if level in (Level.LSOA, Level.WARD, Level.MSOA, Level.LAD):
            links = lsoas_link_best_fit(force_ids=force_ids)
            linked = ", ".join(f"{n} to a {link}" for link, n in links.items() if n)
            if linked:
                report.notes.append(f"LSOA links changed by best fit: {linked}")
        if level == Level.LSOA and lad_ids:
            derived = lads_derive_geometry(lad_ids=lad_ids)
            if derived:
                report.notes.append(f"{derived} local authority boundaries derived from their LSOAs")
        report.committed = commit
        if level == Level.FORCE:
            force_ids = {area.pk for area in result.areas.values()}
        import_audit_by_force(report=report, force_ids=force_ids)
    return report


def _force_by_code(path: Path, code: str) -> Area:
    force = Area.objects.filter(level=Level.FORCE, code=code).first()
    if force is None:
        raise ImportFailed(
            f"no force with code {code!r} has been imported; import the force boundaries first", path=path
        )
    return force


def _force_index(path: Path) -> tuple[Any, dict[str, Area]]:
    index, by_code = index_for(Area.objects.filter(level=Level.FORCE, geometry__isnull=False))
    if len(index) == 0:
        raise ImportFailed(
            "no force boundaries have been imported, so the areas cannot be placed in a force: "
            "import the police force areas first (--level force) or give --force CODE",
            path=path,
        )
    return index, by_code
