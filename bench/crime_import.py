"""Street-crime import: the real 31 months and a synthetic national year, on SQLite and PostgreSQL.

    .venv/bin/python bench/crime_import.py                 # 6,000,000+ rows, both databases
    .venv/bin/python bench/crime_import.py --rows 500000   # a quick run
    .venv/bin/python bench/crime_import.py --databases sqlite --no-relational

What it does, in one run:

1. Builds a synthetic national year in the archive layout (`YYYY-MM/YYYY-MM-<force>-street.csv`,
   plain CSV as in the unpacked download) by replicating the real Leicestershire rows over
   synthetic forces ("Synthshire NN Police", LSOA codes E9NN + the real code's digits) and the
   twelve months of 2023: each force-month is one real month, relabelled.
2. For each database, in a child process with its own Django set-up (DATABASE_URL: a SQLite
   file in the work folder, or a PostgreSQL database `bench_crime` created and dropped here):
   imports Leicestershire's boundaries (not timed), then times `import_crime` on the 31 real
   months and on the national year (synthetic forces and LSOAs are bulk-created first, not
   timed), and a second import of the national year (unchanged: hashes only).
3. Right before each import, times DuckDB alone reading the same files and grouping them by
   month, LSOA and category (the baseline: best of two), and prints rows/s and the ratio.
4. Times crime-summary-like queries (counts by category and by month for Leicestershire over
   the three years to 2022-06, on the table that also holds the national year), with the ORM
   and through the `crime-summary` command.
5. For the storage decision: pure-Python reading (csv + the same row checks + aggregation) of
   the real months, and the alternative of keeping every row in the database (a bench table
   loaded by the fastest path, its size and the same summary query on it).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from beatbook.crime.street_format import HEADER as STREET_HEADER  # noqa: E402
from bench.children import run_database_child  # noqa: E402

LEICS = "E23000021"
REAL_ROWS = 262_115
NATIONAL_MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]
PG_DATABASE = "bench_crime"
TARGET_SECONDS = 60.0
TARGET_RATIO = 2.0


def shared_data_dir() -> Path:
    return Path(os.environ.get("BEATBOOK_SHARED_DATA") or ROOT.parent / "shared" / "data")


def real_files(shared: Path) -> list[Path]:
    return sorted((shared / "street_crime").glob("*-leicestershire-street.csv.gz"))


# --- the synthetic national year ----------------------------------------------------------


def synthetic_forces(rows: int) -> int:
    average_month = REAL_ROWS / 31
    return max(1, math.ceil(rows / (average_month * len(NATIONAL_MONTHS))))


def build_national(shared: Path, folder: Path, forces: int) -> int:
    """Write the national year (cached: a marker file records what was built)."""
    marker = folder / ".built.json"
    if marker.exists():
        built = json.loads(marker.read_text())
        if built.get("forces") == forces:
            return int(built["rows"])
    shutil.rmtree(folder, ignore_errors=True)
    texts = []
    for path in real_files(shared):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            texts.append((path.name[:7], handle.read()))
    rows = 0
    for number in range(forces):
        for index, month in enumerate(NATIONAL_MONTHS):
            source_month, text = texts[(number * len(NATIONAL_MONTHS) + index) % len(texts)]
            body = (
                text.replace(f",{source_month},", f",{month},")
                .replace("Leicestershire Police", f"Synthshire {number:02d} Police")
                .replace(",E01", f",E9{number:02d}")
            )
            target = folder / month / f"{month}-synthshire-{number:02d}-street.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(body, encoding="utf-8", newline="")
            rows += body.count("\n") - 1
    marker.write_text(json.dumps({"forces": forces, "rows": rows}))
    return rows


def duckdb_baseline(files: list[Path]) -> dict[str, Any]:
    """DuckDB alone: read the files and group by month, LSOA and category (best of two)."""
    import duckdb

    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in STREET_HEADER) + "}"
    times = []
    result: tuple[Any, ...] | None = None
    for _ in range(2):
        connection = duckdb.connect()
        started = time.perf_counter()
        result = connection.execute(
            f"""SELECT count(*), sum(n) FROM (
                  SELECT "Month", "LSOA code", "Crime type", count(*) AS n
                  FROM read_csv(?, header = true, columns = {columns}, auto_detect = false)
                  GROUP BY ALL)""",  # noqa: S608 (fixed column names)
            [[str(f) for f in files]],
        ).fetchone()
        times.append(time.perf_counter() - started)
        connection.close()
    assert result is not None
    return {"seconds": round(min(times), 3), "groups": int(result[0]), "rows": int(result[1])}


def duckdb_floor(files: list[Path]) -> dict[str, Any]:
    """The least any import can cost, each part timed alone by DuckDB (best of two), no database.

    `write`: reading the files and writing the row columns the importer keeps into one
    Parquet file (Zstandard level 1, as the importer), with no checks and no grouping.
    `hash`: SHA-256 of every file, how the importer knows a re-import is unchanged.
    `counts`: the leanest storage a profile could live on, kept nowhere but Parquet: the
    counts by month, LSOA, category and last outcome (the outcome mix needs the last key),
    grouped while streaming. `counts_points`: those counts plus the map layer at its
    slimmest (month, category, coordinates), the rows loaded into memory once and both
    written from there. None of them checks a row or writes to a database.
    """
    import hashlib

    import duckdb

    columns = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in STREET_HEADER) + "}"
    kept = (
        '"Crime ID", "Month", TRY_CAST("Longitude" AS DOUBLE), TRY_CAST("Latitude" AS DOUBLE), '
        '"Location", "LSOA code", "Crime type", "Last outcome category", "Context"'
    )
    source = f"read_csv(?, header = true, columns = {columns}, auto_detect = false)"
    parquet = "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
    counts = '"Month", "LSOA code", "Crime type", "Last outcome category", count(*)::INTEGER AS n'
    names = [str(f) for f in files]

    def best_of_two(statements: Callable[[str], list[str]], uses_files: list[bool]) -> float:
        times = []
        for _ in range(2):
            with tempfile.TemporaryDirectory(prefix="beatbook-floor-") as folder:
                target = str(Path(folder)).replace("'", "''")
                connection = duckdb.connect()
                started = time.perf_counter()
                for sql, needs_files in zip(statements(target), uses_files, strict=True):
                    connection.execute(sql, [names] if needs_files else [])
                times.append(time.perf_counter() - started)
                connection.close()
        return round(min(times), 3)

    # S608: every name below is fixed here, none comes from input.
    write = best_of_two(
        lambda to: [f"COPY (SELECT {kept} FROM {source}) TO '{to}/rows.parquet' {parquet}"],  # noqa: S608
        [True],
    )
    counts_only = best_of_two(
        lambda to: [f"COPY (SELECT {counts} FROM {source} GROUP BY ALL) TO '{to}/counts.parquet' {parquet}"],  # noqa: S608
        [True],
    )
    counts_points = best_of_two(
        lambda to: [
            f"""CREATE TABLE r AS SELECT "Month", "LSOA code", "Crime type", "Last outcome category",
                TRY_CAST("Longitude" AS DOUBLE) AS x, TRY_CAST("Latitude" AS DOUBLE) AS y FROM {source}""",  # noqa: S608
            f"COPY (SELECT {counts} FROM r GROUP BY ALL) TO '{to}/counts.parquet' {parquet}",  # noqa: S608
            f"""COPY (SELECT "Month", "Crime type", x, y FROM r) TO '{to}/points.parquet' {parquet}""",  # noqa: S608
        ],
        [True, False, False],
    )
    hashes = []
    for _ in range(2):
        started = time.perf_counter()
        for path in files:
            with path.open("rb") as handle:
                hashlib.file_digest(handle, "sha256")
        hashes.append(time.perf_counter() - started)
    return {
        "write_seconds": write,
        "hash_seconds": round(min(hashes), 3),
        "counts_seconds": counts_only,
        "counts_points_seconds": counts_points,
    }


def floor_only(files: list[Path]) -> None:
    """`--floor-only`: the DuckDB baseline and the floors, no database (a few minutes on the national year)."""
    baseline = duckdb_baseline(files)
    floor = duckdb_floor(files)
    base = baseline["seconds"]
    least = floor["write_seconds"] + floor["hash_seconds"]
    print(
        f"DuckDB read+group (the baseline) {base:.2f} s; DuckDB writing the rows to Parquet "
        f"{floor['write_seconds']:.2f} s ({floor['write_seconds'] / base:.1f}x the baseline); "
        f"SHA-256 of the files {floor['hash_seconds']:.2f} s; together {least:.2f} s = "
        f"{least / base:.1f}x the baseline, before any row check, count or database write"
    )
    print(
        f"keeping no rows and no database, DuckDB only: counts by month, LSOA, category and outcome to Parquet "
        f"{floor['counts_seconds']:.2f} s ({floor['counts_seconds'] / base:.2f}x); those counts plus the map's "
        f"points (month, category, coordinates) {floor['counts_points_seconds']:.2f} s "
        f"({floor['counts_points_seconds'] / base:.2f}x); no row checked in either"
    )


# --- the child: one database --------------------------------------------------------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.lean_schema:
        lean_schema()
    shared = shared_data_dir()
    national = Path(args.workdir) / "national"
    out: dict[str, Any] = {"database": connection.vendor}

    from beatbook.areas.importers.boundaries import import_boundaries
    from beatbook.crime.importers.street import import_crime

    boundaries = shared / "boundaries"
    import_boundaries(
        boundaries / "police_force_areas_simplified.geojson.gz", level="force", commit=True, only_codes=[LEICS]
    )
    import_boundaries(
        boundaries / "leicestershire_lsoa2011_bgc.geojson.gz", level="lsoa", commit=True, force_code=LEICS
    )

    if args.python_baseline:
        out["python_csv"] = python_reading(real_files(shared))

    files = real_files(shared)
    size_before = _database_bytes()
    out["real"] = timed_import(import_crime, files, [shared / "street_crime"])
    out["real_again"] = timed_import(import_crime, None, [shared / "street_crime"])

    national_files = sorted(national.rglob("*-street.csv"))
    started = time.perf_counter()
    synthetic_areas(shared, len(national_files) // len(NATIONAL_MONTHS))
    out["synthetic_areas_seconds"] = round(time.perf_counter() - started, 2)
    out["national"] = timed_import(import_crime, national_files, [national], floor=True)
    out["national_again"] = timed_import(import_crime, None, [national])
    out["counts_bytes"] = _database_bytes() - size_before
    out["queries"] = summary_queries()
    if args.relational:
        out["relational"] = relational_rows(Path(args.workdir), lean=args.lean_schema)
    return out


def lean_schema() -> None:
    """What-if for the model's owner: CrimeCount without database foreign keys and without the
    four single-column indexes Django adds for them (force and LSOA lead the two composite
    indexes already). Bench database only; the importer keeps the counts consistent itself."""
    from django.db import connection

    table = "crime_crimecount"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'", [table])
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
            indexes = cursor.fetchall()
        else:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s", [table])
            indexes = cursor.fetchall()
        for name, definition in indexes:
            if definition and any(f'("{c}")' in definition or f"({c})" in definition for c in SINGLE_FK_COLUMNS):
                cursor.execute(f'DROP INDEX "{name}"')


SINGLE_FK_COLUMNS = ("force_id", "lsoa_id", "category_id", "outcome_id")


def timed_import(
    import_crime: Any, baseline_files: list[Path] | None, paths: list[Path], *, floor: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if baseline_files is not None:
        result["duckdb"] = duckdb_baseline(baseline_files)
        if floor:
            result["floor"] = duckdb_floor(baseline_files)
    started = time.perf_counter()
    report = import_crime(paths, commit=True)
    seconds = time.perf_counter() - started
    result.update(
        seconds=round(seconds, 3),
        rows=report.read,
        created=report.created,
        unchanged=report.unchanged,
        counts_written=report.counts_written,
        stages=report.timings,
    )
    if report.read:
        result["rows_per_second"] = round(report.read / seconds)
    if "duckdb" in result:
        result["ratio"] = round(seconds / result["duckdb"]["seconds"], 2)
    return result


def synthetic_areas(shared: Path, forces: int) -> None:
    """One force and 611 LSOAs per synthetic force, bulk-created (no geometry: not needed to import)."""
    from django.db import transaction

    from beatbook.areas.models import Area, Level

    with gzip.open(shared / "boundaries" / "leicestershire_lsoa2011_bgc.geojson.gz", "rt", encoding="utf-8") as f:
        codes = [feature["properties"]["LSOA11CD"] for feature in json.load(f)["features"]]
    with transaction.atomic():
        created = Area.objects.bulk_create(
            [
                Area(level=Level.FORCE, code=f"SYN{n:03d}", name=f"Synthshire {n:02d} Police", source="bench")
                for n in range(forces)
            ]
        )
        force_ids = {a.code: a.pk for a in Area.objects.filter(level=Level.FORCE, code__startswith="SYN")}
        Area.objects.bulk_create(
            [
                Area(
                    level=Level.LSOA,
                    code=f"E9{n:02d}{code[3:]}",
                    name=f"Synthshire {n:02d} {code[3:]}",
                    force_id=force_ids[f"SYN{n:03d}"],
                    source="bench",
                )
                for n in range(forces)
                for code in codes
            ],
            batch_size=5000,
        )
    assert len(created) == forces


def python_reading(files: list[Path]) -> dict[str, Any]:
    """Approach (a): csv module + the importer's own row checks + aggregation in a Counter."""
    from beatbook.crime.importers import rows

    counts: Counter[tuple[str, str, str, str]] = Counter()
    started = time.perf_counter()
    read = 0
    for path in files:
        key = path.name[:7]
        for _line, values in rows.records(path, label=str(path)):
            problem = rows.check_row(values, key)
            assert problem is None
            counts[(values[1], values[7], values[9], values[10])] += 1
            read += 1
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "rows": read, "rows_per_second": round(read / seconds), "groups": len(counts)}


def _median_seconds(run: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 4)


def summary_queries() -> dict[str, Any]:
    """Counts by category and by month for a force over three years (what crime-summary asks)."""
    import io

    from django.core.management import call_command
    from django.db.models import Sum

    from beatbook.areas.models import Area, Level
    from beatbook.crime.models import CrimeCount

    force = Area.objects.get(level=Level.FORCE, code=LEICS)
    start, end = date(2019, 7, 1), date(2022, 6, 1)

    def orm() -> tuple[int, int]:
        scope = CrimeCount.objects.filter(force=force, month__gte=start, month__lte=end)
        by_category = list(scope.values("category__name").annotate(n=Sum("count")))
        by_month = list(scope.values("month").annotate(n=Sum("count")).order_by("month"))
        return sum(r["n"] for r in by_category), len(by_month)

    total, months = orm()
    lsoas = list(Area.objects.filter(level=Level.LSOA, force=force).order_by("code").values_list("pk", flat=True)[:30])

    def area() -> None:
        scope = CrimeCount.objects.filter(lsoa__in=lsoas, month__gte=start, month__lte=end)
        list(scope.values("category__name").annotate(n=Sum("count")))
        list(scope.values("month").annotate(n=Sum("count")))

    result: dict[str, Any] = {
        "table_rows": CrimeCount.objects.count(),
        "force_rows_counted": total,
        "months": months,
        "orm_force_seconds": _median_seconds(orm),
        "orm_30_lsoas_seconds": _median_seconds(area),
    }
    try:
        args = ["crime-summary", "--area", LEICS, "--from", "2019-07", "--to", "2022-06", "--json"]
        result["command_seconds"] = _median_seconds(lambda: call_command(*args, stdout=io.StringIO()))
    except Exception as exc:  # the command belongs to another part; its absence must not stop the bench
        result["command_error"] = str(exc)[:200]
    return result


def relational_rows(workdir: Path, *, lean: bool) -> dict[str, Any]:
    """The alternative: every row in the database, loaded from the Parquet files by the fastest path.

    The table is what a Django model for rows would get (foreign keys, deferred, and an index
    per key plus the two composite ones), or with `lean` only the two composite indexes.
    """
    import duckdb
    from django.db import connection, transaction

    from beatbook.areas.models import Area, Level
    from beatbook.crime import storage
    from beatbook.crime.models import CrimeCategory, CrimeOutcome

    vendor = connection.vendor
    table = "bench_crime_row"
    pk = "BIGSERIAL PRIMARY KEY" if vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    real = "DOUBLE PRECISION" if vendor == "postgresql" else "REAL"

    def key(target: str) -> str:
        return "" if lean else f" REFERENCES {target} (id) DEFERRABLE INITIALLY DEFERRED"

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"""CREATE TABLE {table} (id {pk}, force_id BIGINT NOT NULL{key("areas_area")}, month DATE NOT NULL,
                crime_id VARCHAR(64), longitude {real}, latitude {real}, location VARCHAR(200),
                lsoa_id BIGINT{key("areas_area")}, lsoa_code VARCHAR(12) NOT NULL,
                category_id BIGINT NOT NULL{key("crime_crimecategory")},
                outcome_id BIGINT{key("crime_crimeoutcome")}, context TEXT)"""
        )
        indexes = ["force_id, month", "lsoa_id, month"]
        if not lean:
            indexes += list(SINGLE_FK_COLUMNS)
        for number, columns in enumerate(indexes):
            cursor.execute(f"CREATE INDEX {table}_{number} ON {table} ({columns})")
    size_before = _database_bytes()

    duck = duckdb.connect()
    forces = list(Area.objects.filter(level=Level.FORCE).values_list("code", "pk"))
    lsoas = list(Area.objects.filter(level=Level.LSOA).values_list("force_id", "code", "pk"))
    pairs = [
        ("categories", list(CrimeCategory.objects.values_list("name", "pk"))),
        ("outcomes", list(CrimeOutcome.objects.values_list("name", "pk"))),
        ("forces", forces),
    ]
    for name, values in pairs:
        duck.execute(
            f"CREATE TABLE {name} AS SELECT unnest(?::VARCHAR[]) AS name, unnest(?::BIGINT[]) AS id",
            [[v[0] for v in values], [v[1] for v in values]],
        )
    duck.execute(
        "CREATE TABLE lsoas AS SELECT unnest(?::BIGINT[]) AS force_id, unnest(?::VARCHAR[]) AS code, "
        "unnest(?::BIGINT[]) AS id",
        [[v[0] for v in lsoas], [v[1] for v in lsoas], [v[2] for v in lsoas]],
    )
    folder = storage.data_dir()
    query = f"""SELECT fo.id AS force_id, strftime(p.month, '%Y-%m-%d') AS month, p.crime_id, p.longitude,
                       p.latitude, p.location, l.id AS lsoa_id, coalesce(p.lsoa_code, '') AS lsoa_code,
                       c.id AS category_id, o.id AS outcome_id, p.context
                FROM read_parquet('{folder}/*/*.parquet', filename = true) p
                JOIN forces fo ON fo.name = split_part(p.filename, '/', -2)
                LEFT JOIN lsoas l ON l.force_id = fo.id AND l.code = p.lsoa_code
                JOIN categories c ON c.name = p.category
                LEFT JOIN outcomes o ON o.name = p.outcome"""  # noqa: S608 (bench folder)
    columns = (
        "force_id, month, crime_id, longitude, latitude, location, lsoa_id, lsoa_code, category_id, outcome_id, context"
    )
    started = time.perf_counter()
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            csv_path = workdir / "relational.csv"
            result = duck.execute(f"COPY ({query}) TO '{csv_path}' (HEADER false, FORMAT csv)").fetchone()
            rows = int(result[0]) if result else 0
            with (
                csv_path.open("rb") as data,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
            csv_path.unlink()
        else:
            reader = duck.execute(query)
            insert = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 11)})"  # noqa: S608
            while batch := reader.fetchmany(200_000):
                cursor.executemany(insert, batch)
                rows += len(batch)
    load = time.perf_counter() - started
    size_after = _database_bytes()
    force_id = dict(forces)[LEICS]

    def query_rows() -> None:
        with connection.cursor() as cursor:
            for group in ("category_id", "month"):
                cursor.execute(
                    f"SELECT {group}, count(*) FROM {table} WHERE force_id = %s AND month BETWEEN %s AND %s "  # noqa: S608
                    f"GROUP BY {group}",
                    [force_id, date(2019, 7, 1), date(2022, 6, 1)],
                )
                cursor.fetchall()

    query_seconds = _median_seconds(query_rows)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return {
        "rows": rows,
        "load_seconds": round(load, 3),
        "rows_per_second": round(rows / load) if load else None,
        "bytes": size_after - size_before,
        "summary_query_seconds": query_seconds,
        "parquet_bytes": sum(p.stat().st_size for p in folder.rglob("*.parquet")),
    }


def _database_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
        else:
            cursor.execute("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


# --- the parent ---------------------------------------------------------------------------


def run_child(kind: str, args: argparse.Namespace, workdir: Path, *, lean: bool = False) -> dict[str, Any]:
    crime_dir = workdir / f"crime-{kind}"
    shutil.rmtree(crime_dir, ignore_errors=True)
    arguments = ["--workdir", str(workdir)]
    if lean:
        arguments.append("--lean-schema")
    if not args.relational:
        arguments.append("--no-relational")
    if lean or not (kind == "sqlite" and args.python_baseline):
        arguments.append("--no-python-baseline")
    try:
        return run_database_child(
            kind=kind,
            script=__file__,
            arguments=arguments,
            workdir=workdir,
            postgres_url=args.postgres_url,
            database=PG_DATABASE,
            extra_env={"CRIME_DATA_DIR": str(crime_dir)},
        )
    finally:
        shutil.rmtree(crime_dir, ignore_errors=True)


def report(results: dict[str, dict[str, Any]], national_rows: int) -> None:
    print()
    print("| database | data | rows | DuckDB read+group s | import s | rows/s | ratio to DuckDB | stages (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, result in results.items():
        for label, key in (("real 31 months", "real"), ("national year", "national")):
            r = result[key]
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
            print(
                f"| {kind} | {label} | {r['rows']:,} | {r['duckdb']['seconds']:.2f} | {r['seconds']:.2f} | "
                f"{r['rows_per_second']:,} | {r['ratio']:.1f}x | {stages} |"
            )
    print()
    for kind, result in results.items():
        again = result["national_again"]
        q = result["queries"]
        print(
            f"{kind}: re-import of the national year (unchanged {again['unchanged']}) {again['seconds']:.2f} s; "
            f"counts table {q['table_rows']:,} rows; Leicestershire 3 years by category and month: "
            f"ORM {q['orm_force_seconds'] * 1000:.0f} ms, 30 LSOAs {q['orm_30_lsoas_seconds'] * 1000:.0f} ms, "
            + (
                f"crime-summary command {q['command_seconds'] * 1000:.0f} ms"
                if "command_seconds" in q
                else f"crime-summary: {q.get('command_error')}"
            )
        )
        national = result["national"]
        verdict_time = "met" if national["seconds"] < TARGET_SECONDS else "NOT met"
        verdict_ratio = "met" if national["ratio"] <= TARGET_RATIO else "NOT met"
        print(
            f"{kind}: goal national year < {TARGET_SECONDS:.0f} s: {verdict_time} ({national['seconds']:.1f} s); "
            f"within {TARGET_RATIO:.0f}x of DuckDB: {verdict_ratio} ({national['ratio']:.1f}x)"
        )
        if "floor" in national:
            floor = national["floor"]
            least = floor["write_seconds"] + floor["hash_seconds"]
            print(
                f"{kind}: the floor for an import that keeps the rows: DuckDB writing them to Parquet "
                f"{floor['write_seconds']:.2f} s + hashing the files {floor['hash_seconds']:.2f} s = "
                f"{least / national['duckdb']['seconds']:.1f}x the baseline; the import is "
                f"{national['seconds'] / least:.1f}x that floor"
            )
            print(
                f"{kind}: DuckDB alone keeping only counts (with outcome) in Parquet: "
                f"{floor['counts_seconds'] / national['duckdb']['seconds']:.2f}x the baseline; with the map's "
                f"points too: {floor['counts_points_seconds'] / national['duckdb']['seconds']:.2f}x"
            )
        if "relational" in result:
            rel = result["relational"]
            print(
                f"{kind}: every row in the database instead: {rel['rows']:,} rows loaded in {rel['load_seconds']:.1f} s "
                f"({rel['rows_per_second']:,} rows/s), {rel['bytes'] / 1e6:,.0f} MB (Parquet: "
                f"{rel['parquet_bytes'] / 1e6:,.0f} MB); the same 3-year summary over rows "
                f"{rel['summary_query_seconds'] * 1000:.0f} ms"
            )
        if "python_csv" in result:
            py = result["python_csv"]
            print(
                f"pure Python reading (csv + checks + Counter) of the real months: {py['rows_per_second']:,} rows/s "
                f"({py['seconds']:.2f} s; the national year would take {national_rows / py['rows_per_second']:.0f} s "
                "before any database or Parquet work)"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=6_000_000, help="rows in the synthetic national year (at least)")
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--workdir", help="where to build the national year (kept and reused when given)")
    parser.add_argument("--no-relational", dest="relational", action="store_false", help="skip every-row tables")
    parser.add_argument("--no-python-baseline", dest="python_baseline", action="store_false")
    parser.add_argument(
        "--lean-schema",
        action="store_true",
        help="also run each database with CrimeCount's foreign keys and single-column indexes dropped (a what-if)",
    )
    parser.add_argument(
        "--floor-only",
        action="store_true",
        help="only time DuckDB's baseline and the floor (writing the rows, hashing the files) on the national year",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args)))
        return 0

    shared = shared_data_dir()
    if not (shared / "street_crime").is_dir():
        print(f"open data not found: {shared} (set BEATBOOK_SHARED_DATA)", file=sys.stderr)
        return 2
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="beatbook-bench-crime-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        forces = synthetic_forces(args.rows)
        started = time.perf_counter()
        national_rows = build_national(shared, workdir / "national", forces)
        print(
            f"national year: {national_rows:,} rows in {forces * len(NATIONAL_MONTHS)} files "
            f"({forces} synthetic forces x 12 months), built in {time.perf_counter() - started:.0f} s at {workdir}"
        )
        print(
            f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        import duckdb

        print(f"duckdb {duckdb.__version__}")
        if args.floor_only:
            floor_only(sorted((workdir / "national").rglob("*-street.csv")))
            print(f"load average at the end {os.getloadavg()[0]:.1f}")
            return 0
        results = {}
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            print(f"running {kind}...", flush=True)
            results[kind] = run_child(kind, args, workdir)
            print(json.dumps(results[kind]), flush=True)
            if args.lean_schema:
                print(f"running {kind} with the lean schema...", flush=True)
                results[f"{kind} (lean schema)"] = run_child(kind, args, workdir, lean=True)
                print(json.dumps(results[f"{kind} (lean schema)"]), flush=True)
        report(results, national_rows)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
