"""Import the policing geography: neighbourhoods and policing areas (NPAs) of one force.

Two inputs:

* a CSV with columns `neighbourhood_code, neighbourhood_name, npa_code, npa_name` and one of
  `ward_code` or `lsoa_code` (one row per ward or LSOA). An LSOA-based file puts each LSOA in
  its neighbourhood directly. A ward-based file puts each LSOA in the neighbourhood it overlaps
  most (best fit by area where ward and LSOA boundaries cross). A neighbourhood's boundary is
  the union of its LSOAs, an NPA's the union of its neighbourhoods.
* a data.police.uk neighbourhood boundary KML (one Placemark per neighbourhood; the code is the
  file name when there is one Placemark, else each Placemark's name). The KML polygon is kept
  as the boundary and LSOAs overlapping it are placed by best fit.

A CSV describes the force's whole hierarchy, so importing it is a replacement: the force's
LSOAs it does not place lose their neighbourhood, and the force's neighbourhoods and NPAs it
does not name are deleted unless something (a user scoped to one, say) refers to them, which
the report lists. A ward, LSOA, neighbourhood or NPA of another force is refused. A KML is
often one file per neighbourhood, so it only adds or updates the neighbourhoods it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from beatbook.core.imports import ImportFailed, ImportReport, import_transaction, open_text, progress

from ..geo import AreaIndex, GeometryError, geometry_from_geojson, geometry_to_geojson, total_bbox, union
from ..models import Area, Level
from ..services import (
    IN_LIST_LIMIT,
    area_set_geometry,
    areas_by_code,
    areas_delete_unreferenced,
    areas_set_parents,
    areas_upsert,
    bbox_overlapping,
    geometry_values,
    import_audit,
    index_for,
    majority,
    parsed_geometries,
)
from .common import CsvRows

CSV_COLUMNS = ["neighbourhood_code", "neighbourhood_name", "npa_code", "npa_name"]
UNIT_COLUMNS = {"ward_code": Level.WARD, "lsoa_code": Level.LSOA}
# Share of an LSOA's area that must lie inside a file's neighbourhoods for it to be placed.
MIN_COVER = 0.5
EXPECTED = "neighbourhood_code, neighbourhood_name, npa_code, npa_name, and ward_code or lsoa_code"


def import_neighbourhoods(
    path: Path, *, commit: bool, force_code: str | None = None, show_progress: bool = False
) -> ImportReport:
    """Import neighbourhoods and NPAs from a CSV or a KML file (see the module note)."""
    name = path.name.lower()
    if name.endswith((".kml", ".kml.gz")):
        return _import_kml(path, commit=commit, force_code=force_code)
    return _import_csv(path, commit=commit, force_code=force_code, show_progress=show_progress)


def _force(path: Path, force_code: str | None, guesses: Iterable[int | None]) -> Area:
    if force_code:
        force = Area.objects.filter(level=Level.FORCE, code=force_code).first()
        if force is None:
            raise ImportFailed(f"no force with code {force_code!r} has been imported", path=path)
        return force
    force_id = majority(guesses)
    if force_id is None:
        raise ImportFailed("cannot tell which force these neighbourhoods belong to; give --force CODE", path=path)
    return Area.objects.get(pk=force_id)


def _force_label(force_id: int | None) -> str:
    force = Area.objects.filter(pk=force_id).first() if force_id is not None else None
    return f"force {force.code} ({force.name})" if force is not None else "no force"


def _import_csv(path: Path, *, commit: bool, force_code: str | None, show_progress: bool) -> ImportReport:
    report = ImportReport(source=path.name, kind="neighbourhoods")
    with CsvRows(path) as rows:
        found = rows.find_columns({c: c for c in CSV_COLUMNS})
        units = [c for c in UNIT_COLUMNS if isinstance(rows.find_columns({c: c}), dict)]
        if isinstance(found, list) or len(units) != 1:
            missing = found if isinstance(found, list) else []
            if not units:
                missing = [*missing, "ward_code or lsoa_code"]
            problem = f"lacks the columns {', '.join(missing)}" if missing else "has both ward_code and lsoa_code"
            raise ImportFailed(f"{problem}; expected columns: {EXPECTED}", path=path, line=1)
        unit_column = units[0]
        level = UNIT_COLUMNS[unit_column]
        what = "ward" if level == Level.WARD else "LSOA"
        columns = {
            **found,
            unit_column: rows.header.index(next(h for h in rows.header if h.strip().lower() == unit_column)),
        }
        unit_forces = dict(Area.objects.filter(level=level).values_list("code", "force_id"))

        unit_rows: dict[str, tuple[str, int]] = {}  # unit code → (neighbourhood code, first line)
        neighbourhoods: dict[str, dict[str, Any]] = {}  # code → name, npa_code, line
        npas: dict[str, tuple[str, int]] = {}  # code → name, first line
        for line, row in progress(rows, enabled=show_progress, desc=path.name):
            report.read += 1
            values = {key: row[col].strip() for key, col in columns.items()}
            for key, value in values.items():
                if not value:
                    raise ImportFailed("is empty", path=path, line=line, field=key)
            unit = values[unit_column]
            if unit not in unit_forces:
                raise ImportFailed(
                    f"{unit!r} is not an imported {what} code (import the {what} boundaries first)",
                    path=path,
                    line=line,
                    field=unit_column,
                )
            nb_code = values["neighbourhood_code"]
            if unit in unit_rows and unit_rows[unit][0] != nb_code:
                raise ImportFailed(
                    f"{unit} is already in neighbourhood {unit_rows[unit][0]} (line {unit_rows[unit][1]})",
                    path=path,
                    line=line,
                    field=unit_column,
                )
            unit_rows.setdefault(unit, (nb_code, line))
            known = neighbourhoods.setdefault(
                nb_code, {"name": values["neighbourhood_name"], "npa": values["npa_code"], "line": line}
            )
            if known["npa"] != values["npa_code"]:
                raise ImportFailed(
                    f"neighbourhood {nb_code} is in NPA {known['npa']} on line {known['line']}",
                    path=path,
                    line=line,
                    field="npa_code",
                )
            npas.setdefault(values["npa_code"], (values["npa_name"], line))
    if not unit_rows:
        raise ImportFailed("has no rows", path=path, line=2)

    with import_transaction(commit):
        force = _force(path, force_code, (unit_forces[u] for u in unit_rows))
        # The file describes one force: a ward, LSOA, neighbourhood or NPA of another would leave
        # an area whose force and parent chain disagree.
        for unit, (_, line) in sorted(unit_rows.items(), key=lambda item: item[1][1]):
            if unit_forces[unit] != force.pk:
                raise ImportFailed(
                    f"{what} {unit} is in {_force_label(unit_forces[unit])}, not in {_force_label(force.pk)} "
                    "whose neighbourhoods this file describes",
                    path=path,
                    line=line,
                    field=unit_column,
                )
        lines = {
            Level.NEIGHBOURHOOD: {code: nb["line"] for code, nb in neighbourhoods.items()},
            Level.NPA: {code: line for code, (_, line) in npas.items()},
        }
        for area_level, field in ((Level.NEIGHBOURHOOD, "neighbourhood_code"), (Level.NPA, "npa_code")):
            for code, force_id in _other_force_codes(area_level, lines[area_level], force):
                raise ImportFailed(
                    f"{code} is already a {Level(area_level).label.lower()} of {_force_label(force_id)}",
                    path=path,
                    line=lines[area_level][code],
                    field=field,
                )

        unit_areas = areas_by_code(level, list(unit_rows))
        npa_result = areas_upsert(
            level=Level.NPA,
            rows={
                code: {"name": name[:200], "force_id": force.pk, "parent_id": force.pk}
                for code, (name, _) in npas.items()
            },
            source=path.name,
        )
        nb_result = areas_upsert(
            level=Level.NEIGHBOURHOOD,
            rows={
                code: {"name": nb["name"][:200], "force_id": force.pk, "parent_id": npa_result.areas[nb["npa"]].pk}
                for code, nb in neighbourhoods.items()
            },
            source=path.name,
        )
        nb_areas = nb_result.areas
        if level == Level.LSOA:
            placed: dict[int, int | None] = {unit_areas[u].pk: nb_areas[nb].pk for u, (nb, _) in unit_rows.items()}
            fallback: dict[str, Any] = {}
        else:
            shapes = {
                nb: union(g for a, g in parsed_geometries(unit_areas[u] for u, (n, _) in unit_rows.items() if n == nb))
                for nb in neighbourhoods
            }
            index = AreaIndex((code, geom) for code, geom in shapes.items() if geom is not None)
            placed = _best_fit_parents(index, nb_areas, force)
            fallback = shapes
        # Every LSOA of the force the file does not place is in none of its neighbourhoods now.
        current = dict(Area.objects.filter(level=Level.LSOA, force_id=force.pk).values_list("pk", "parent_id"))
        parents: dict[int, int | None] = {pk: placed.get(pk) for pk in current}
        cleared = sum(1 for pk, parent in current.items() if parent is not None and parents[pk] is None)
        moved = areas_set_parents(parent_by_area_id=parents) - cleared
        if moved:
            report.notes.append(f"{moved} LSOAs moved to a new neighbourhood")
        if cleared:
            report.notes.append(f"{cleared} LSOAs of the force are not in this file: their neighbourhood was cleared")
        geometry_changed: set[int] = set()
        for code, nb in nb_areas.items():
            nb.refresh_from_db()
            geom = union(g for _, g in parsed_geometries(Area.objects.filter(parent_id=nb.pk, level=Level.LSOA)))
            if geom is None:
                geom = fallback.get(code)
            if area_set_geometry(area=nb, geom=geom):
                geometry_changed.add(nb.pk)
        report.deleted = _remove_stale(report, force, Level.NEIGHBOURHOOD, set(neighbourhoods))
        report.deleted += _remove_stale(report, force, Level.NPA, set(npas))
        geometry_changed |= _union_npas(npa_result.areas.values())
        created = {r.areas[c].pk for r in (npa_result, nb_result) for c in r.created_codes}
        updated = {r.areas[c].pk for r in (npa_result, nb_result) for c in r.updated_codes}
        updated |= geometry_changed - created
        report.created = len(created)
        report.updated = len(updated) + moved + cleared
        report.unchanged = len(npa_result.areas) + len(nb_result.areas) - len(created) - len(updated)
        report.committed = commit
        import_audit(report=report, force=force)
    return report


def _other_force_codes(level: str, codes: dict[str, int], force: Area) -> list[tuple[str, int]]:
    """Codes of this file already used by an area of `level` in another force, in file order."""
    others = Area.objects.filter(level=level, force__isnull=False).exclude(force_id=force.pk)
    if len(codes) <= IN_LIST_LIMIT:
        others = others.filter(code__in=list(codes))
    taken = dict(others.values_list("code", "force_id"))
    return sorted(((c, f) for c, f in taken.items() if c in codes), key=lambda item: codes[item[0]])


MAX_LISTED = 20


def _listed(codes: list[str]) -> str:
    shown = ", ".join(codes[:MAX_LISTED])
    return shown + (f" and {len(codes) - MAX_LISTED} more" if len(codes) > MAX_LISTED else "")


def _remove_stale(report: ImportReport, force: Area, level: str, in_file: set[str]) -> int:
    """Delete the force's areas of `level` that the file no longer has, unless something refers to them."""
    stale = [
        a
        for a in Area.objects.filter(level=level, force_id=force.pk).defer("geometry").order_by("code")
        if a.code not in in_file
    ]
    if not stale:
        return 0
    result = areas_delete_unreferenced(areas=stale)
    label = Level(level).label.lower()
    if result.deleted:
        plural = "" if len(result.deleted) == 1 else "s"
        report.notes.append(
            f"deleted {len(result.deleted)} {label}{plural} not in this file: {_listed([a.code for a in result.deleted])}"
        )
    for area, references in result.kept:
        report.notes.append(f"kept {label} {area.code}, not in this file: it is referred to by {', '.join(references)}")
    return len(result.deleted)


def _best_fit_parents(index: AreaIndex, nb_areas: dict[str, Area], force: Area) -> dict[int, int | None]:
    """Each LSOA of the force lying mostly inside these neighbourhoods → the one it overlaps most.

    "Mostly inside" (at least MIN_COVER of its area) keeps LSOAs beyond the file's edge, which
    touch it only along generalised boundaries, out of it.
    """
    parents: dict[int, int | None] = {}
    lsoas = bbox_overlapping(
        Area.objects.filter(level=Level.LSOA, force_id=force.pk, geometry__isnull=False), index.bounds()
    )
    for lsoa, geom in parsed_geometries(lsoas):
        overlaps = index.overlaps(geom)
        if overlaps and sum(share for _, share in overlaps) >= MIN_COVER:
            parents[lsoa.pk] = nb_areas[overlaps[0][0]].pk
    return parents


def _union_npas(npas: Iterable[Area]) -> set[int]:
    changed: set[int] = set()
    for npa in npas:
        npa.refresh_from_db()
        geom = union(g for _, g in parsed_geometries(Area.objects.filter(parent_id=npa.pk, level=Level.NEIGHBOURHOOD)))
        if geom is not None and area_set_geometry(area=npa, geom=geom):
            changed.add(npa.pk)
    return changed


# --- KML -------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element.iter() if _local(child.tag) == name]


def _text(element: Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _ring(element: Element, where: str, path: Path) -> list[list[float]]:
    coords = _children(element, "coordinates")
    if not coords:
        raise ImportFailed("a ring has no coordinates", path=path, feature=where, field="coordinates")
    points: list[list[float]] = []
    for token in (coords[0].text or "").split():
        parts = token.split(",")
        try:
            points.append([float(parts[0]), float(parts[1])])
        except (ValueError, IndexError):
            raise ImportFailed(f"{token!r} is not lon,lat", path=path, feature=where, field="coordinates") from None
    return points


def _placemark_geometry(placemark: Element, where: str, path: Path) -> dict[str, Any]:
    polygons = []
    for polygon in _children(placemark, "Polygon"):
        rings: list[list[list[float]]] = []
        for boundary in polygon:
            if _local(boundary.tag) == "outerBoundaryIs":
                rings.insert(0, _ring(boundary, where, path))
            elif _local(boundary.tag) == "innerBoundaryIs":
                rings.append(_ring(boundary, where, path))
        polygons.append(rings)
    if not polygons:
        raise ImportFailed("has no Polygon", path=path, feature=where, field="Polygon")
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _placemark_data(placemark: Element, key: str) -> str:
    for data in _children(placemark, "Data"):
        if data.get("name", "").lower() == key:
            return _text(data, "value")
    for data in _children(placemark, "SimpleData"):
        if data.get("name", "").lower() == key:
            return (data.text or "").strip()
    return ""


def _read_kml(path: Path) -> list[tuple[str, str, Any]]:
    with open_text(path) as source:
        text = source.read()
    try:
        root = fromstring(text.encode("utf-8"))
    except ParseError as exc:
        line = exc.position[0] if hasattr(exc, "position") else None
        raise ImportFailed(f"is not valid KML (XML): {exc}", path=path, line=line) from exc
    except DefusedXmlException as exc:
        raise ImportFailed(f"is refused as unsafe XML: {exc}", path=path) from exc
    placemarks = _children(root, "Placemark")
    if not placemarks:
        raise ImportFailed("has no Placemark", path=path)
    stem = re.sub(r"\.kml(\.gz)?$", "", path.name, flags=re.IGNORECASE)
    found: list[tuple[str, str, Any]] = []
    seen: set[str] = set()
    for number, placemark in enumerate(placemarks, start=1):
        label = _text(placemark, "name")
        code = _placemark_data(placemark, "code") or (stem if len(placemarks) == 1 else label)
        name = _placemark_data(placemark, "name") or label or code
        where = f"Placemark {number} {label or code}".strip()
        if not code:
            raise ImportFailed("has no name to use as the neighbourhood code", path=path, feature=where)
        if code in seen:
            raise ImportFailed(f"repeats the code {code!r}", path=path, feature=where)
        seen.add(code)
        try:
            geom, _ = geometry_from_geojson(_placemark_geometry(placemark, where, path))
        except GeometryError as exc:
            raise ImportFailed(str(exc), path=path, feature=where, field="Polygon") from exc
        found.append((code, name, geom))
    return found


def _import_kml(path: Path, *, commit: bool, force_code: str | None) -> ImportReport:
    report = ImportReport(source=path.name, kind="neighbourhood boundaries (KML)")
    placemarks = _read_kml(path)
    report.read = len(placemarks)
    with import_transaction(commit):
        new_index = AreaIndex((code, geom) for code, _, geom in placemarks)
        # Only LSOAs whose stored box meets the file's (and of its force, when given) are parsed:
        # a national database holds some 35,000 LSOA boundaries.
        forced = _force(path, force_code, ()) if force_code else None
        candidates = Area.objects.filter(level=Level.LSOA, geometry__isnull=False)
        if forced is not None:
            candidates = candidates.filter(force_id=forced.pk)
        lsoas = parsed_geometries(bbox_overlapping(candidates, new_index.bounds()))
        touching = [(lsoa, geom) for lsoa, geom in lsoas if new_index.best_fit(geom) is not None]
        force = forced or _force(path, None, (lsoa.force_id for lsoa, _ in touching))
        existing = set(
            Area.objects.filter(level=Level.NEIGHBOURHOOD, code__in=[c for c, _, _ in placemarks]).values_list(
                "code", flat=True
            )
        )
        rows: dict[str, dict[str, Any]] = {}
        for code, name, geom in placemarks:
            row: dict[str, Any] = {
                "name": name[:200],
                "force_id": force.pk,
                **geometry_values(geom, geometry_to_geojson(geom)),
            }
            if code not in existing:
                row["parent_id"] = force.pk  # until a CSV puts it in an NPA
            rows[code] = row
        result = areas_upsert(level=Level.NEIGHBOURHOOD, rows=rows, source=path.name)
        report.created, report.updated, report.unchanged = result.created, result.updated, result.unchanged
        # Place the LSOAs these polygons touch by best fit among all the force's neighbourhoods,
        # so that importing one KML per neighbourhood gives the same answer in any order.
        own = [(lsoa, geom) for lsoa, geom in touching if lsoa.force_id == force.pk]
        near = bbox_overlapping(
            Area.objects.filter(level=Level.NEIGHBOURHOOD, force_id=force.pk, geometry__isnull=False),
            total_bbox(geom for _, geom in own),
        )
        index, by_code = index_for(near)
        parents: dict[int, int | None] = {}
        for lsoa, geom in own:
            best = index.best_fit(geom)
            parents[lsoa.pk] = by_code[best].pk if best else None
        moved = areas_set_parents(parent_by_area_id=parents)
        if moved:
            report.notes.append(f"{moved} LSOAs placed in a neighbourhood by best fit")
            report.updated += moved
        npa_ids = {a.parent_id for a in result.areas.values()}
        _union_npas(Area.objects.filter(level=Level.NPA, pk__in=[i for i in npa_ids if i]))
        report.committed = commit
        import_audit(report=report, force=force)
    return report
