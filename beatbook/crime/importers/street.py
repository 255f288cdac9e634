"""Import data.police.uk street-level crime: monthly counts into the database, rows into Parquet.

    import_crime([Path("2022-06-leicestershire-street.csv.gz")], commit=True)

How (measured in bench/crime_import.py; reasons in ARCHITECTURE.md, "Crime storage"):
DuckDB reads batches of files in one parallel scan into a temporary table, checks every
rule with one SQL query, groups the counts and writes the Parquet files; Python only
re-reads a file that failed, to name the line and column. Counts go to the database in
bulk (COPY on PostgreSQL, executemany in the transaction elsewhere).

Each file is one force-month. Re-importing a force-month replaces its counts; a file whose
text has the SHA-256 recorded for that force-month (and whose Parquet file is in place) is
not read again and is reported unchanged. The whole call is one transaction; the Parquet
files are staged beside their final place and moved in only once it commits.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportFailed, ImportReport, import_transaction

from .. import storage
from ..models import CrimeCategory, CrimeCount, CrimeImport, CrimeOutcome
from . import rows, sources
from .sources import StreetFile

KIND = "street crime"
# CSV text per DuckDB batch: large enough that DuckDB's parallel scan pays off, small
# enough that a batch (held in memory as a temporary table) stays well under a gigabyte.
BATCH_TEXT_BYTES = 384 * 1024 * 1024
ASB = "Anti-social behaviour"
SQLITE_CACHE_KIB = -256 * 1024  # negative: KiB, as SQLite's PRAGMA cache_size reads it
_IMPORT_FIELDS = (
    "source",
    "sha256",
    "rows_read",
    "rows_no_location",
    "rows_no_lsoa",
    "rows_outside_force",
    "imported_at",
)
_COUNT_COLUMNS = ("force_id", "month", "lsoa_id", "lsoa_code", "category_id", "outcome_id", "count")


@dataclass
class CrimeImportReport(ImportReport):
    """ImportReport counting force-months (created/updated/unchanged) and rows (read and kinds)."""

    files: int = 0
    rows_no_location: int = 0
    rows_no_lsoa: int = 0
    rows_outside_force: int = 0
    rows_in_force: int = 0
    counts_written: int = 0
    force_months: list[dict[str, Any]] = field(default_factory=list)
    # Seconds spent in each stage (hash, read, check, count, database, parquet): for the bench.
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [
            super().summary(),
            f"  street files {self.files} (force-months: created {self.created}, replaced {self.updated}, "
            f"unchanged {self.unchanged}); rows read {self.read:,}",
            f"  rows with no location {self.rows_no_location:,}, with no LSOA {self.rows_no_lsoa:,}, "
            f"with an LSOA outside the force {self.rows_outside_force:,} (all kept in force totals); "
            f"in the force's own LSOAs {self.rows_in_force:,}",
            f"  monthly count rows written {self.counts_written:,}",
        ]
        return "\n".join(lines)


def force_slug(name: str) -> str:
    """The force part of a data.police.uk file name for a force called `name`."""
    slug = slugify(name.replace("&", " and "))
    for suffix in ("-police-service", "-police", "-constabulary"):
        if slug.endswith(suffix):
            return slug[: -len(suffix)]
    return slug


@dataclass
class _Pending:
    """A file to read, with what the database already holds for its force-month."""

    file: StreetFile
    force: Area
    sha256: str
    previous: CrimeImport | None
    file_id: int = 0


class _Staging:
    """Parquet files written during the transaction, moved into place when it commits."""

    def __init__(self) -> None:
        self.root = storage.data_dir() / f".staging-{uuid.uuid4().hex}"
        self.moves: list[tuple[Path, Path]] = []

    def target(self, force_code: str, month: date) -> Path:
        final = storage.month_path(force_code, month)
        staged = self.root / force_code / final.name
        staged.parent.mkdir(parents=True, exist_ok=True)
        self.moves.append((staged, final))
        return staged

    def publish(self) -> None:
        # os.replace is atomic on one filesystem, and the staging folder sits beside the
        # final files, so readers see the old month file or the new one, never a part.
        for staged, final in self.moves:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
        self.discard()

    def discard(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def import_crime(
    paths: Sequence[Path],
    *,
    commit: bool,
    force_code: str | None = None,
    show_progress: bool = False,
) -> CrimeImportReport:
    """Import street-level files (files, folders, archive layout, .zip, plain or .gz) into one or more forces."""
    if not paths:
        raise ImportFailed("no files given", path="")
    discovery = sources.discover(paths)
    report = CrimeImportReport(source=", ".join(str(p) for p in paths)[:500], kind=KIND)
    for reason, count in sorted(discovery.skipped.items()):
        report.skip(reason, count)
    if not discovery.files:
        raise ImportFailed(
            "holds no data.police.uk street files (YYYY-MM-<force>-street.csv or .csv.gz)", path=report.source
        )
    report.files = len(discovery.files)
    staging = _Staging() if commit else None
    try:
        with tempfile.TemporaryDirectory(prefix="beatbook-crime-") as work, import_transaction(commit):
            importer = _Importer(report, staging=staging, work=Path(work), show_progress=show_progress)
            with _bulk_write_settings():
                importer.run(discovery.files, force_code)
            if staging is not None:
                transaction.on_commit(staging.publish)
    except BaseException:
        if staging is not None:
            staging.discard()
        raise
    report.committed = commit
    return report


@contextmanager
def _bulk_write_settings() -> Iterator[None]:
    """On SQLite, a larger page cache while the counts are inserted (set back afterwards).

    The counts table has seven B-trees (the table and six indexes); with SQLite's default
    2 MB cache their pages are re-read for every few rows. Measured: a fifth faster.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        row = cursor.fetchone()
        previous = int(row[0]) if row else -2000
        cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous}")


class _Importer:
    def __init__(self, report: CrimeImportReport, *, staging: _Staging | None, work: Path, show_progress: bool):
        self.report = report
        self.staging = staging
        self.work = work
        self.show_progress = show_progress
        self.duck = duckdb.connect(":memory:")
        self.duck.execute(f"SET temp_directory = '{_sql_text(str(work / 'duckdb'))}'")
        # Row order inside a batch does not matter (lines are found by `rows.diagnose`),
        # and dropping it lets DuckDB load and write in parallel.
        self.duck.execute("SET preserve_insertion_order = false")
        self.duck.execute("SET partitioned_write_max_open_files = 100000")
        self.categories: dict[str, int] = {}
        self.outcomes: dict[str, int] = {}
        self.lsoas: dict[int, list[tuple[str, int]]] = {}
        self.batches = 0
        self.by_force: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.forces: dict[int, Area] = {}
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="crime-parquet")

    # --- which force, which files ---------------------------------------------------------

    def _resolve_forces(self, files: list[StreetFile], force_code: str | None) -> list[Area]:
        forces = list(Area.objects.filter(level=Level.FORCE).order_by("code"))
        if force_code is not None:
            chosen = [f for f in forces if f.code == force_code.strip()]
            if not chosen:
                raise ImportFailed(f"no force has the code {force_code!r}", path=files[0].label, field="--force")
            return chosen * len(files)
        by_slug: dict[str, list[Area]] = defaultdict(list)
        for force in forces:
            by_slug[force_slug(force.name)].append(force)
        resolved = []
        for street_file in files:
            matches = by_slug.get(force_slug(street_file.slug), [])
            if len(matches) == 1:
                resolved.append(matches[0])
            elif not matches and len(forces) == 1:
                resolved.append(forces[0])
            else:
                known = ", ".join(f"{f.code} {f.name}" for f in forces) or "none imported yet"
                reason = "several forces match" if matches else "no force's name matches"
                raise ImportFailed(
                    f"{reason} the force in the file name ({street_file.slug!r}); give --force CODE (forces: {known})",
                    path=street_file.label,
                )
        return resolved

    def run(self, files: list[StreetFile], force_code: str | None) -> None:
        forces = self._resolve_forces(files, force_code)
        seen: dict[tuple[int, date], StreetFile] = {}
        for street_file, force in zip(files, forces, strict=True):
            key = (force.pk, street_file.month)
            if key in seen:
                raise ImportFailed(
                    f"is the same force and month ({force.code} {street_file.month_key}) as {seen[key].label}",
                    path=street_file.label,
                )
            seen[key] = street_file
            self.forces[force.pk] = force
        previous = {
            (ci.force_id, ci.month): ci
            for ci in CrimeImport.objects.filter(
                force__in=list(self.forces.values()), month__in={f.month for f in files}
            )
        }
        bar = tqdm(total=len(files), desc="Street files", unit=" files", leave=False, disable=not self.show_progress)
        batch: list[_Pending] = []
        size = 0
        try:
            for index, (street_file, force) in enumerate(zip(files, forces, strict=True)):
                with self._timed("hash"):
                    if street_file.path is None:
                        sources.extract(street_file, self.work / "members", index)
                    sha = self._sha256(street_file)
                before = previous.get((force.pk, street_file.month))
                if (
                    before is not None
                    and before.sha256 == sha
                    and storage.month_path(force.code, street_file.month).is_file()
                ):
                    self._unchanged(street_file, force, before)
                    bar.update(1)
                    continue
                rows.read_header(street_file.local, label=street_file.label)
                batch.append(_Pending(street_file, force, sha, before))
                size += street_file.text_size
                if size >= BATCH_TEXT_BYTES:
                    self._batch(batch)
                    bar.update(len(batch))
                    bar.set_postfix(rows=f"{self.report.read:,}")
                    batch, size = [], 0
            if batch:
                self._batch(batch)
                bar.update(len(batch))
        finally:
            bar.close()
            self.pool.shutdown(wait=True)
            self.duck.close()
        self._audit()

    def _sha256(self, street_file: StreetFile) -> str:
        try:
            return sources.file_sha256(street_file)
        except (OSError, EOFError, zlib.error) as exc:
            rows.diagnose(street_file.local, label=street_file.label, month_key=street_file.month_key)
            raise ImportFailed(f"cannot be read: {exc}", path=street_file.label) from exc

    def _unchanged(self, street_file: StreetFile, force: Area, before: CrimeImport) -> None:
        self.report.unchanged += 1
        entry = {
            "force": force.code,
            "month": street_file.month_key,
            "file": street_file.label,
            "status": "unchanged",
            "rows": before.rows_read,
        }
        self.report.force_months.append(entry)
        self.by_force[force.pk].append(entry)
        self._drop_copy(street_file)

    def _drop_copy(self, street_file: StreetFile) -> None:
        if street_file.zip_path is not None and street_file.path is not None:
            street_file.path.unlink(missing_ok=True)

    # --- one batch ------------------------------------------------------------------------

    @contextmanager
    def _timed(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            timings = self.report.timings
            timings[stage] = round(timings.get(stage, 0.0) + time.perf_counter() - started, 3)

    def _batch(self, batch: list[_Pending]) -> None:
        self.batches += 1
        for file_id, pending in enumerate(batch):
            pending.file_id = file_id
        self._files_table(batch)
        with self._timed("read"):
            self._read_and_group(batch)
        with self._timed("check"):
            self._check(batch)
        with self._timed("count"):
            self._ensure_names()
            self._load_lsoas({p.force.pk for p in batch})
            stats = self._stats()
        # The Parquet files are written by DuckDB in a second thread while this one feeds
        # the database: the two overlap (measured: the import of the national year takes
        # the database time plus a little, not the sum).
        parquet: Future[float] | None = None
        out = self.work / f"parquet-{self.batches}"
        if self.staging is not None:
            parquet = self.pool.submit(self._write_parquet, batch, out)
        try:
            with self._timed("database"):
                self._write_counts(batch)
                self._record_imports(batch, stats)
        except BaseException:
            if parquet is not None:
                wait([parquet])
            raise
        if parquet is not None:
            with self._timed("parquet_wait"):
                self.report.timings["parquet"] = round(self.report.timings.get("parquet", 0.0) + parquet.result(), 3)
            self._stage_parquet(batch, out)
        for pending in batch:
            self._drop_copy(pending.file)
        self.duck.execute("DROP TABLE IF EXISTS g")

    def _files_table(self, batch: list[_Pending]) -> None:
        self.duck.execute(
            # Not TEMP: the Parquet writer's cursor (another connection) reads it too.
            "CREATE OR REPLACE TABLE files AS SELECT unnest($ids) AS file_id, unnest($names) AS filename, "
            "unnest($keys) AS month_key, unnest($months) AS month_date, unnest($forces) AS force_id",
            {
                "ids": [p.file_id for p in batch],
                "names": [str(p.file.local) for p in batch],
                "keys": [p.file.month_key for p in batch],
                "months": [p.file.month for p in batch],
                "forces": [p.force.pk for p in batch],
            },
        )

    def _read_csv(self, batch: list[_Pending], *, rejects: bool) -> str:
        """A read_csv call over the batch's files: every column text, the header skipped (checked already)."""
        columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in rows.FIELDS) + "}"
        file_list = "[" + ", ".join(f"'{_sql_text(str(p.file.local))}'" for p in batch) + "]"
        options = (
            ", store_rejects = true, rejects_scan = 'crime_reject_scans', rejects_table = 'crime_reject_errors'"
            if rejects
            else ""
        )
        return (
            f"read_csv({file_list}, header = true, columns = {columns}, auto_detect = false, "
            f"""delim = ',', quote = '"', escape = '"', filename = true{options})"""
        )

    def _read_and_group(self, batch: list[_Pending]) -> None:
        """One parallel scan of the batch: rows grouped to count grain, with row-rule failures counted.

        Measured in bench/crime_import.py: this costs about as much as DuckDB reading and
        grouping alone, where loading the rows into a table first cost 3 to 5 times that.
        """
        duck = self.duck
        duck.execute("DROP TABLE IF EXISTS crime_reject_errors")
        duck.execute("DROP TABLE IF EXISTS crime_reject_scans")
        try:
            duck.execute(
                f"""CREATE OR REPLACE TEMP TABLE g AS
                SELECT filename, month, lsoa_code, category, outcome, count(*) AS n,
                       count(*) FILTER (longitude IS NULL) AS no_location,
                       count(*) FILTER (({rows.SQL_ROW_PROBLEM}) IS NOT NULL) AS bad
                FROM ({rows.sql_cleaned(self._read_csv(batch, rejects=True))})
                GROUP BY ALL"""  # noqa: S608 (paths escaped, names fixed)
            )
        except duckdb.Error as exc:
            self._explain_duckdb_error(batch, exc)
        rejected = duck.execute(
            "SELECT s.file_path, e.line, e.column_name, e.error_message FROM crime_reject_errors e "
            "JOIN crime_reject_scans s USING (scan_id, file_id)"
        ).fetchall()
        if rejected:
            by_file = {str(p.file.local): p for p in batch}
            first = min(rejected, key=lambda r: (by_file[r[0]].file_id, r[1]))
            pending = by_file[first[0]]
            self._diagnose(pending)
            line = rows.physical_line(pending.file.local, label=pending.file.label, duckdb_line=int(first[1]))
            raise ImportFailed(
                str(first[3]).splitlines()[0],
                path=pending.file.label,
                line=line,
                field=rows.COLUMN_OF.get(first[2]),
            )

    def _explain_duckdb_error(self, batch: list[_Pending], exc: duckdb.Error) -> None:
        named = re.search(r"file = (.+)", str(exc))
        suspects = [p for p in batch if named and named.group(1).strip() == str(p.file.local)] or batch
        for pending in suspects:
            self._diagnose(pending)
        raise ImportFailed(f"cannot be read: {str(exc).splitlines()[0]}", path=suspects[0].file.label) from exc

    def _diagnose(self, pending: _Pending) -> None:
        rows.diagnose(pending.file.local, label=pending.file.label, month_key=pending.file.month_key)

    def _check(self, batch: list[_Pending]) -> None:
        found = self.duck.execute(
            "SELECT min(f.file_id) FROM g JOIN files f USING (filename) "  # noqa: S608
            f"WHERE g.bad > 0 OR ({rows.SQL_GROUP_PROBLEM}) IS NOT NULL"
        ).fetchone()
        if found is None or found[0] is None:
            return
        pending = batch[found[0]]
        self._diagnose(pending)
        # The Python reading found nothing: report what DuckDB saw rather than nothing.
        single = [pending]
        problem = self.duck.execute(
            f"""SELECT coalesce(({rows.SQL_ROW_PROBLEM}), ({rows.SQL_GROUP_PROBLEM.replace("g.", "")})) AS problem,
                       * EXCLUDE (filename)
                FROM ({rows.sql_cleaned(self._read_csv(single, rejects=False))}) JOIN files f USING (filename)
                WHERE problem IS NOT NULL LIMIT 1"""  # noqa: S608
        ).fetchone()
        raise ImportFailed(
            f"DuckDB found a row that breaks the rule for this column: {problem[1:] if problem else '?'}",
            path=pending.file.label,
            field=problem[0] if problem else None,
        )

    # --- names and areas ------------------------------------------------------------------

    def _ensure_names(self) -> None:
        categories = [r[0] for r in self.duck.execute("SELECT DISTINCT category FROM g").fetchall()]
        outcomes = [
            r[0] for r in self.duck.execute("SELECT DISTINCT outcome FROM g WHERE outcome IS NOT NULL").fetchall()
        ]
        self._ensure_categories(categories)
        self._ensure_outcomes(outcomes)
        self._table("categories", list(self.categories.items()))
        self._table("outcomes", list(self.outcomes.items()))

    def _ensure_categories(self, names: list[str]) -> None:
        missing = [n for n in names if n not in self.categories]
        if not missing:
            return
        self.categories.update(CrimeCategory.objects.filter(name__in=missing).values_list("name", "id"))
        new = sorted(n for n in missing if n not in self.categories)
        if not new:
            return
        taken = set(CrimeCategory.objects.values_list("slug", flat=True))
        position = (max(CrimeCategory.objects.values_list("position", flat=True), default=0) or 0) + 1
        for name in new:
            slug = base = slugify(name)[:60] or "crime-type"
            number = 2
            while slug in taken:
                slug, number = f"{base}-{number}", number + 1
            taken.add(slug)
            category = CrimeCategory.objects.create(
                name=name, slug=slug, position=position, is_anti_social_behaviour=name == ASB
            )
            position += 1
            self.categories[name] = category.pk
            self.report.notes.append(
                f"new crime type {name!r} added as a category (give it a harm weight; it counts 0 harm until then)"
            )

    def _ensure_outcomes(self, names: list[str]) -> None:
        missing = [n for n in names if n not in self.outcomes]
        if not missing:
            return
        self.outcomes.update(CrimeOutcome.objects.filter(name__in=missing).values_list("name", "id"))
        new = [CrimeOutcome(name=n) for n in sorted(missing) if n not in self.outcomes]
        if new:
            CrimeOutcome.objects.bulk_create(new)
            self.outcomes.update(CrimeOutcome.objects.filter(name__in=[o.name for o in new]).values_list("name", "id"))

    def _load_lsoas(self, force_ids: set[int]) -> None:
        missing = force_ids - self.lsoas.keys()
        if missing:
            for force_id in missing:
                self.lsoas[force_id] = []
            for force_id, code, pk in Area.objects.filter(level=Level.LSOA, force_id__in=missing).values_list(
                "force_id", "code", "id"
            ):
                assert force_id is not None
                self.lsoas[force_id].append((code, pk))
        triples = [(f, code, pk) for f in force_ids for code, pk in self.lsoas[f]]
        self.duck.execute(
            "CREATE OR REPLACE TEMP TABLE lsoas AS SELECT unnest($f::BIGINT[]) AS force_id, "
            "unnest($c::VARCHAR[]) AS code, unnest($i::BIGINT[]) AS lsoa_id",
            {"f": [t[0] for t in triples], "c": [t[1] for t in triples], "i": [t[2] for t in triples]},
        )

    def _table(self, name: str, pairs: list[tuple[str, int]]) -> None:
        self.duck.execute(
            f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT unnest($n::VARCHAR[]) AS name, unnest($i::BIGINT[]) AS id",
            {"n": [p[0] for p in pairs], "i": [p[1] for p in pairs]},
        )

    # --- writing --------------------------------------------------------------------------

    def _stats(self) -> dict[int, tuple[int, int, int, int]]:
        result = self.duck.execute(
            """SELECT f.file_id, sum(g.n), sum(g.no_location),
                      coalesce(sum(g.n) FILTER (g.lsoa_code IS NULL), 0),
                      coalesce(sum(g.n) FILTER (g.lsoa_code IS NOT NULL AND l.lsoa_id IS NULL), 0)
               FROM g JOIN files f USING (filename)
               LEFT JOIN lsoas l ON l.force_id = f.force_id AND l.code = g.lsoa_code
               GROUP BY f.file_id"""
        ).fetchall()
        return {r[0]: (int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in result}

    def _write_counts(self, batch: list[_Pending]) -> None:
        replaced = [p for p in batch if p.previous is not None]
        for pending in replaced:
            CrimeCount.objects.filter(force=pending.force, month=pending.file.month).delete()
        # g is already at count grain (the month is the file's, checked).
        query = """SELECT f.force_id, strftime(f.month_date, '%Y-%m-%d') AS month, l.lsoa_id,
                   coalesce(g.lsoa_code, '') AS lsoa_code, c.id AS category_id, o.id AS outcome_id, g.n
            FROM g JOIN files f USING (filename)
            LEFT JOIN lsoas l ON l.force_id = f.force_id AND l.code = g.lsoa_code
            JOIN categories c ON c.name = g.category
            LEFT JOIN outcomes o ON o.name = g.outcome
            -- In index order: inserting sorted rows keeps the B-trees' pages hot (3x faster
            -- on SQLite than hash order in bench/crime_import.py).
            ORDER BY f.force_id, month, l.lsoa_id, category_id, outcome_id"""
        table = CrimeCount._meta.db_table
        columns = ", ".join(_COUNT_COLUMNS)
        if connection.vendor == "postgresql":
            # COPY is the fast path into PostgreSQL: DuckDB writes the CSV, psycopg streams it.
            csv_path = self.work / f"counts-{self.batches}.csv"
            written = self.duck.execute(
                f"COPY ({query}) TO '{_sql_text(str(csv_path))}' (HEADER false, FORMAT csv)"
            ).fetchone()
            copy_sql = f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)"
            with connection.cursor() as cursor, csv_path.open("rb") as data, cursor.cursor.copy(copy_sql) as copy:
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
            csv_path.unlink()
            self.report.counts_written += int(written[0]) if written else 0
        else:
            reader = self.duck.execute(query)
            placeholders = ", ".join(["%s"] * len(_COUNT_COLUMNS))
            insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            with connection.cursor() as cursor:
                # In slices, so a national batch is never all in Python memory at once.
                while rows_slice := reader.fetchmany(100_000):
                    cursor.executemany(insert, rows_slice)
                    self.report.counts_written += len(rows_slice)

    def _record_imports(self, batch: list[_Pending], stats: dict[int, tuple[int, int, int, int]]) -> None:
        now = timezone.now()
        created: list[CrimeImport] = []
        updated: list[CrimeImport] = []
        report = self.report
        for pending in batch:
            read, no_location, no_lsoa, outside = stats.get(pending.file_id, (0, 0, 0, 0))
            values: dict[str, Any] = {
                "source": pending.file.label[-500:],
                "sha256": pending.sha256,
                "rows_read": read,
                "rows_no_location": no_location,
                "rows_no_lsoa": no_lsoa,
                "rows_outside_force": outside,
                "imported_at": now,
            }
            if pending.previous is None:
                created.append(CrimeImport(force=pending.force, month=pending.file.month, **values))
                report.created += 1
            else:
                for name, value in values.items():
                    setattr(pending.previous, name, value)
                updated.append(pending.previous)
                report.updated += 1
            report.read += read
            report.rows_no_location += no_location
            report.rows_no_lsoa += no_lsoa
            report.rows_outside_force += outside
            report.rows_in_force += read - no_lsoa - outside
            entry = {
                "force": pending.force.code,
                "month": pending.file.month_key,
                "file": pending.file.label,
                "status": "replaced" if pending.previous is not None else "created",
                "rows": read,
                "rows_no_location": no_location,
                "rows_no_lsoa": no_lsoa,
                "rows_outside_force": outside,
            }
            report.force_months.append(entry)
            self.by_force[pending.force.pk].append(entry)
        CrimeImport.objects.bulk_create(created)
        CrimeImport.objects.bulk_update(updated, [*_IMPORT_FIELDS])

    def _write_parquet(self, batch: list[_Pending], out: Path) -> float:
        """A second scan of the batch's files, straight into one Parquet file per force-month.

        Runs in the worker thread on its own DuckDB cursor; returns the seconds it took.
        Measured: reading the CSV again costs less than keeping every row in a DuckDB table
        between the check and this write.
        """
        started = time.perf_counter()
        select = ", ".join(
            "f.month_date AS month"
            if name == "month"
            else f"CAST(r.{name} AS DOUBLE) AS {name}"
            if kind == "DOUBLE"
            else f"r.{name}"
            for name, kind in storage.PARQUET_COLUMNS
        )
        rows_of_batch = rows.sql_cleaned(self._read_csv(batch, rejects=False))
        cursor = self.duck.cursor()
        try:
            cursor.execute(
                f"COPY (SELECT {select}, f.file_id FROM ({rows_of_batch}) r JOIN files f USING (filename)) "  # noqa: S608
                f"TO '{_sql_text(str(out))}' ({storage.PARQUET_OPTIONS}, PARTITION_BY (file_id))"
            )
        finally:
            cursor.close()
        return time.perf_counter() - started

    def _stage_parquet(self, batch: list[_Pending], out: Path) -> None:
        """Move each force-month's file to the staging folder (moved into place on commit)."""
        assert self.staging is not None
        for pending in batch:
            target = self.staging.target(pending.force.code, pending.file.month)
            parts = sorted((out / f"file_id={pending.file_id}").glob("*.parquet"))
            if len(parts) == 1:
                shutil.move(parts[0], target)
                continue
            # No rows (a header-only file), or a partition DuckDB wrote in several parts.
            part_list = ", ".join(f"'{_sql_text(str(p))}'" for p in parts)
            names = ", ".join(name for name, _ in storage.PARQUET_COLUMNS)
            empty = ", ".join(f"NULL::{kind} AS {name}" for name, kind in storage.PARQUET_COLUMNS)
            source = (
                f"SELECT {names} FROM read_parquet([{part_list}], hive_partitioning = false)"  # noqa: S608
                if parts
                else f"SELECT {empty} WHERE false"
            )
            self.duck.execute(f"COPY ({source}) TO '{_sql_text(str(target))}' ({storage.PARQUET_OPTIONS})")
        shutil.rmtree(out, ignore_errors=True)

    def _audit(self) -> None:
        if self.staging is None:
            return  # a dry run: rolled back anyway
        for force_id, entries in self.by_force.items():
            changed = [e for e in entries if e["status"] != "unchanged"]
            if not changed:
                continue  # importing the same files again changes nothing, the audit trail included
            audit_record(
                actor=None,
                action="import.street_crime",
                object_type="import",
                object_id=self.report.source[:64],
                object_label=self.report.source[:300],
                force=self.forces[force_id],
                after={
                    "months": sorted({e["month"] for e in changed}),
                    "unchanged_months": sorted({e["month"] for e in entries if e["status"] == "unchanged"}),
                    "rows_read": sum(int(e["rows"]) for e in changed),
                },
            )


def _sql_text(value: str) -> str:
    """A value for a single-quoted SQL string literal (paths DuckDB needs as literals)."""
    return value.replace("'", "''")
