"""Compliance for a whole force: 60 neighbourhood teams, 500,000 activities over five years.

    .venv/bin/python bench/compliance.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/compliance.py --databases sqlite --activities 100000

What it does, for each database, in a child process with its own Django set-up
(DATABASE_URL: a SQLite file in a temporary folder, or a PostgreSQL database
`bench_compliance` created and dropped here; nothing is written to the repository):

1. Builds a synthetic force, "Benchshire Police": 6 policing areas (NPAs) of 10 neighbourhoods
   each, and N activities (default 500,000) over the five years 2021-2025, seeded. Types follow
   a plausible mix (social-media posts 40 %, street briefings 10 %, patch walks 6 %, …; the
   commander's blog is linked to an NPA), 5 % of neighbourhood activities are joint with a
   neighbouring team (a second area link), some teams are busier than others, and patch walks
   and meetings have partners or set priorities at fixed rates. Loading bypasses the services:
   `Activity` and `ActivityArea` rows are bulk-created directly (with the same local date, type,
   partner and priorities copies the services would write), then the tables are analysed.
2. Times `teams_compliance` for every team of the force (`teams_under`: 6 NPAs + 60
   neighbourhoods) against the installed default standards, for the year 2025 as of
   31 December and as of 30 June: the first (cold) run, then the median of `--repeat` runs, and
   the queries made. The grouped query alone (`daily_counts`) is timed too, and the same with
   every activity type counted (a stress case: 500,000 activities of standard types).
3. What-if (skip with --no-covering-index): adds an index on ActivityArea holding every column
   the grouped query reads (area, date, type, with partner, priorities set, activity) in the bench
   database, and times the force view again.

Goal (issue 4): the force's compliance for a year within 0.5 s, with a query count that does not
grow with the number of teams (tested in test_compliance_selectors.py; shown here by also
timing a tenth of the teams).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.children import run_database_child  # noqa: E402

PG_DATABASE = "bench_compliance"
TARGET_SECONDS = 0.5
LONDON = ZoneInfo("Europe/London")
FIRST_DAY, LAST_DAY = date(2021, 1, 1), date(2025, 12, 31)
YEAR = "2025"
AS_OF = {"end of year": date(2025, 12, 31), "mid-year": date(2025, 6, 30)}

# slug: (share of activities, share with a partner, share that set priorities)
MIX = {
    "social-media": (40, 0.0, 0.0),
    "street-briefing": (10, 0.2, 0.0),
    "patch-walk": (6, 0.6, 0.0),
    "school-visit": (6, 0.3, 0.0),
    "door-knocking": (6, 0.1, 0.0),
    "beat-surgery": (5, 0.2, 0.0),
    "campaign": (5, 0.3, 0.0),
    "community-event": (4, 0.5, 0.0),
    "drop-in": (4, 0.3, 0.0),
    "pact-meeting": (4, 0.8, 0.5),
    "pact-meeting-online": (2, 0.8, 0.5),
    "ward-meeting": (2, 0.5, 0.3),
    "newsletter": (2, 0.0, 0.0),
    "commander-blog": (2, 0.0, 0.0),
    "priority-setting": (1, 0.5, 1.0),
    "survey": (1, 0.2, 0.0),
}
JOINT_SHARE = 0.05
BATCH = 10_000


# --- the child: one database --------------------------------------------------------------


def child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    force, counts = load(args)
    out: dict[str, Any] = {
        "database": connection.vendor,
        "load_seconds": round(time.perf_counter() - started, 1),
        **counts,
    }
    out["runs"] = measure(force, args.repeat, full=True)
    if args.covering_index:
        covering_index()
        out["covering_index_runs"] = measure(force, args.repeat, full=False)
    return out


COVERING_COLUMNS = ("area_id", "date", "type_id", "with_partner", "priorities_set", "activity_id")


def covering_index() -> None:
    """What-if for the model's owner: an index holding every column the grouped query reads, so
    that the database answers from the index without visiting the table (bench database only)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE INDEX bench_activity_area_covering ON activity_activityarea ({', '.join(COVERING_COLUMNS)})"
        )
    analyse()


def analyse() -> None:
    """Statistics (and, on PostgreSQL, the visibility map) as a database in service would have them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def load(args: argparse.Namespace) -> tuple[Any, dict[str, int]]:
    """The synthetic force and its activities, bulk-created (not through the services)."""
    from django.db import transaction

    from beatbook.activity.models import Activity, ActivityArea, ActivityType
    from beatbook.areas.models import Area, Level

    rng = random.Random(args.seed)
    with transaction.atomic():
        force = Area.objects.create(level=Level.FORCE, code="BENCHSHIRE", name="Benchshire Police", source="bench")
        npas = Area.objects.bulk_create(
            Area(level=Level.NPA, code=f"BN-{n}", name=f"Policing area {n}", parent=force, force=force, source="bench")
            for n in range(1, args.npas + 1)
        )
        neighbourhoods = Area.objects.bulk_create(
            Area(
                level=Level.NEIGHBOURHOOD,
                code=f"BN-{npa.code[3:]}-{n:02d}",
                name=f"Neighbourhood {npa.code[3:]}.{n:02d}",
                parent=npa,
                force=force,
                source="bench",
            )
            for npa in npas
            for n in range(1, args.per_npa + 1)
        )
    siblings = {
        nb.pk: [o.pk for o in neighbourhoods if o.parent_id == nb.parent_id and o.pk != nb.pk] for nb in neighbourhoods
    }
    # Some teams are much busier than others, so that statuses differ between teams.
    busyness = [rng.choice([0.3, 0.6, 1.0, 1.0, 1.4]) for _ in neighbourhoods]
    type_ids = dict(ActivityType.objects.values_list("slug", "pk"))
    slugs = list(MIX)
    weights = [MIX[s][0] for s in slugs]
    days = (LAST_DAY - FIRST_DAY).days + 1
    links_made = 0
    with transaction.atomic():
        remaining = args.activities
        while remaining:
            size = min(BATCH, remaining)
            remaining -= size
            activities, areas, flags = [], [], []
            for slug in rng.choices(slugs, weights, k=size):
                _share, partner_share, priorities_share = MIX[slug]
                day = FIRST_DAY + timedelta(days=rng.randrange(days))
                with_partner = rng.random() < partner_share
                priorities = rng.random() < priorities_share
                if slug == "commander-blog":
                    linked = [rng.choice(npas).pk]
                else:
                    team = rng.choices(neighbourhoods, busyness)[0]
                    linked = [team.pk]
                    if rng.random() < JOINT_SHARE:
                        linked.append(rng.choice(siblings[team.pk]))
                activities.append(
                    Activity(
                        force=force,
                        type_id=type_ids[slug],
                        starts_at=datetime(day.year, day.month, day.day, rng.randrange(8, 21), tzinfo=LONDON),
                        date=day,
                        other_partners="Borough council" if with_partner else "",
                        priorities_set=priorities,
                        people_reached=rng.randrange(0, 40),
                    )
                )
                areas.append(linked)
                flags.append((with_partner, priorities))
            created = Activity.objects.bulk_create(activities)
            links = [
                ActivityArea(
                    activity_id=activity.pk,
                    area_id=area_id,
                    force_id=force.pk,
                    date=activity.date,
                    type_id=activity.type_id,
                    with_partner=with_partner,
                    priorities_set=priorities,
                )
                for activity, linked, (with_partner, priorities) in zip(created, areas, flags, strict=True)
                for area_id in linked
            ]
            ActivityArea.objects.bulk_create(links)
            links_made += len(links)
    analyse()
    return force, {
        "teams": len(neighbourhoods),
        "npas": len(npas),
        "activities": Activity.objects.filter(force=force).count(),
        "links": links_made,
    }


def _timed(run: Any, repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = run()
        first = time.perf_counter() - started
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        run()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return {
        "first_seconds": round(first, 4),
        "median_seconds": round(statistics.median(times), 4),
        # This process only: on a busy machine it moves less than the wall clock; it leaves
        # out PostgreSQL's own work, but holds all of SQLite's.
        "median_cpu_seconds": round(statistics.median(cpu), 4),
        "max_seconds": round(max(times), 4),
        "queries": len(queries.captured_queries),
        "result": result,
    }


def measure(force: Any, repeat: int, *, full: bool) -> dict[str, Any]:
    from beatbook.activity import compliance_selectors as selectors
    from beatbook.activity.models import ActivityType
    from beatbook.activity.periods import parse_period
    from beatbook.activity.services import standards_for_force
    from beatbook.areas.models import Level

    period = parse_period(YEAR)
    runs: dict[str, Any] = {}
    for label, as_of in AS_OF.items():

        def force_view(as_of: date = as_of) -> list[Any]:
            return selectors.teams_compliance(teams=selectors.teams_under(force), period=period, as_of=as_of)

        timed = _timed(force_view, repeat)
        judged = timed.pop("result")
        statuses: Counter[str] = Counter(str(r.status) for t in judged for r in t.results)
        timed.update(
            teams=len(judged),
            standards_judged=sum(len(t.results) for t in judged),
            windows=sum(len(r.evaluation.windows) for t in judged for r in t.results),
            statuses=dict(sorted(statuses.items())),
            best=[t.team.code for t in judged if t.team.level == Level.NEIGHBOURHOOD][:3],
        )
        runs[label] = timed
    if not full:
        return runs

    # teams_compliance alone (teams found beforehand) for all 66 teams and for a tenth of them:
    # the same number of queries.
    teams = selectors.teams_under(force)
    few = [t for t in teams if t.level == Level.NPA][:1] + [t for t in teams if t.level == Level.NEIGHBOURHOOD][:6]
    for label, chosen in (("teams_compliance only, 66 teams", teams), ("teams_compliance only, 7 teams", few)):
        alone = _timed(
            lambda chosen=chosen: selectors.teams_compliance(teams=chosen, period=period, as_of=AS_OF["end of year"]),
            repeat,
        )
        alone["teams"] = len(alone.pop("result"))
        runs[label] = alone

    # The grouped query alone, and a stress case where every type counts.
    standards = [s for s in standards_for_force(force) if s.active]
    start, end = date(2024, 12, 30), AS_OF["end of year"]  # the weekly standard reaches back to Monday 30 Dec

    def grouped() -> int:
        counts = selectors.daily_counts(teams=teams, standards=standards, start=start, end=end)
        return sum(len(days) for days in counts.values())

    query = _timed(grouped, repeat)
    query["team_standard_days"] = query.pop("result")
    runs["daily_counts only"] = query

    every_type = list(ActivityType.objects.all())
    for standard in standards:
        # Unsaved change on these instances only: every type counts for every standard.
        standard._prefetched_objects_cache = {"types": every_type}  # type: ignore[attr-defined]

    def stress() -> list[Any]:
        from unittest import mock

        with mock.patch.object(selectors, "standards_for_force", lambda _force: standards):
            return selectors.teams_compliance(teams=teams, period=period, as_of=AS_OF["end of year"])

    heavy = _timed(stress, repeat)
    heavy.pop("result")
    runs["every type counts (stress), end of year"] = heavy
    return runs


# --- the parent ---------------------------------------------------------------------------


def run_child(kind: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    arguments = [
        f"--activities={args.activities}",
        f"--npas={args.npas}",
        f"--per-npa={args.per_npa}",
        f"--repeat={args.repeat}",
        f"--seed={args.seed}",
    ]
    if not args.covering_index:
        arguments.append("--no-covering-index")
    return run_database_child(
        kind=kind,
        script=__file__,
        arguments=arguments,
        workdir=workdir,
        postgres_url=args.postgres_url,
        database=PG_DATABASE,
    )


def report(results: dict[str, dict[str, Any]]) -> None:
    print()
    print(
        "| database | case | teams | windows | first run s | median s | max s | median CPU s (this process) | queries |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, result in results.items():
        cases = [(label, run) for label, run in result["runs"].items()]
        cases += [
            (f"{label}, covering index (what-if)", run) for label, run in result.get("covering_index_runs", {}).items()
        ]
        for label, run in cases:
            print(
                f"| {kind} | {label} | {run.get('teams', '')} | {run.get('windows', '')} | {run['first_seconds']:.3f} | "
                f"**{run['median_seconds']:.3f}** | {run['max_seconds']:.3f} | {run['median_cpu_seconds']:.3f} | {run['queries']} |"
            )
    print()
    for kind, result in results.items():
        print(
            f"{kind}: {result['activities']:,} activities ({result['links']:,} area links), {result['teams']} neighbourhood "
            f"teams in {result['npas']} NPAs, loaded in {result['load_seconds']:.0f} s"
        )
        for label in AS_OF:
            run = result["runs"][f"{label}"]
            verdict = "met" if run["median_seconds"] <= TARGET_SECONDS else "NOT met"
            print(
                f"{kind}: force view, {YEAR} as of {label}: {run['median_seconds'] * 1000:.0f} ms median, "
                f"{run['queries']} queries; goal <= {TARGET_SECONDS} s {verdict}; statuses {run['statuses']}"
            )
        for label, run in result.get("covering_index_runs", {}).items():
            print(f"{kind}: with a covering index (what-if), {label}: {run['median_seconds'] * 1000:.0f} ms median")
        many = result["runs"]["teams_compliance only, 66 teams"]["queries"]
        few = result["runs"]["teams_compliance only, 7 teams"]["queries"]
        print(f"{kind}: teams_compliance queries for 66 teams {many}, for 7 teams {few}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--npas", type=int, default=6)
    parser.add_argument("--per-npa", type=int, default=10, help="neighbourhood teams in each NPA")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs after the first (the median is reported)")
    parser.add_argument("--seed", type=int, default=20251231)
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--no-covering-index",
        dest="covering_index",
        action="store_false",
        help="skip the what-if run with a covering index on ActivityArea",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(child(args)))
        return 0

    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="beatbook-bench-compliance-"))
    try:
        results = {}
        for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
            print(f"running {kind}...", flush=True)
            results[kind] = run_child(kind, args, workdir)
            print(json.dumps(results[kind]), flush=True)
        report(results)
        print(f"load average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
