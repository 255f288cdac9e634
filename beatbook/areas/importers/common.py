"""Reading helpers the area importers share: GeoJSON, CSV headers and counts.

(The command helpers are in `beatbook.core.imports`, which every app's importers use.)
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from beatbook.core.imports import ImportFailed, open_text


def read_geojson_features(path: Path) -> list[dict[str, Any]]:
    """The features of a GeoJSON FeatureCollection (.geojson or .geojson.gz).

    The whole document is parsed at once: ONS generalised boundary files are a few tens of
    megabytes at most, and json's error positions give the line of a truncated file.
    """
    with open_text(path) as source:
        text = source.read()
    if not text.strip():
        raise ImportFailed("is empty", path=path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) - 1 else ""
        raise ImportFailed(
            f"is not valid JSON{hint}: {exc.msg}, column {exc.colno}", path=path, line=exc.lineno
        ) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ImportFailed("is not a GeoJSON FeatureCollection", path=path)
    features = data.get("features")
    if not isinstance(features, list):
        raise ImportFailed("has no 'features' list", path=path)
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
            raise ImportFailed("is not a GeoJSON Feature", path=path, feature=f"#{index}")
    return features


def normalise_header(name: str) -> str:
    """Header text compared case- and space-insensitively (and without a stray BOM)."""
    return re.sub(r"\s+", " ", name.replace("\ufeff", "")).strip().lower()


class CsvRows:
    """A CSV file's header and rows, each row with the line number it ends on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._source = open_text(path)
        self._reader = csv.reader(self._source)
        try:
            self.header = [cell.strip() for cell in next(self._reader)]
        except StopIteration:
            self._source.close()
            raise ImportFailed("is empty: expected a header row", path=path, line=1) from None
        except csv.Error as exc:
            self._source.close()
            raise ImportFailed(f"header is not valid CSV: {exc}", path=path, line=1) from exc

    def __enter__(self) -> CsvRows:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._source.close()

    @property
    def line(self) -> int:
        return self._source.line_number

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFailed(f"is not valid CSV: {exc}", path=self.path, line=self.line) from exc
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) < width:
                # Trailing empty columns are often dropped by hand-edited files.
                row = row + [""] * (width - len(row))
            yield self.line, row

    def find_columns(self, wanted: dict[str, str], *, prefix: bool = False) -> dict[str, int] | list[str]:
        """Positions of wanted columns (key → header text), or the list of missing header texts."""
        normalised = [normalise_header(h) for h in self.header]
        found: dict[str, int] = {}
        missing: list[str] = []
        for key, text in wanted.items():
            target = normalise_header(text)
            for i, name in enumerate(normalised):
                if name == target or (prefix and name.startswith(target)):
                    found[key] = i
                    break
            else:
                missing.append(text)
        return missing if missing else found


def parse_count(value: str, *, path: Path, line: int, field: str, minimum: int = 0) -> int:
    """A whole number that may carry thousands separators ("29,199")."""
    text = value.strip().replace(",", "").replace("\u00a0", "").replace(" ", "")
    try:
        number = int(text)
    except ValueError:
        raise ImportFailed(f"{value!r} is not a whole number", path=path, line=line, field=field) from None
    if number < minimum:
        raise ImportFailed(f"{number} is below {minimum}", path=path, line=line, field=field)
    return number


def paths_argument(values: Sequence[str]) -> list[Path]:
    return [Path(value) for value in values]
