"""`beatbook import-activities`: reading CSV and XLSX, every bad row named, all or nothing, idempotent."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.accounts.models import AuditEvent
from beatbook.activity import services
from beatbook.activity.exports import csv_lines
from beatbook.activity.importers.activities import COLUMNS, ActivityImportFailed, import_activities
from beatbook.activity.models import Activity, ActivityArea, ActivityType, Partner, Place
from beatbook.areas.models import Area, Level
from beatbook.core.imports import ImportFailed

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 30)


def _write(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + buffer.getvalue(), encoding="utf-8")
    return path


def _import(path: Path, *, commit: bool = True, **options: Any) -> Any:
    return import_activities(path, commit=commit, today=TODAY, **options)


@pytest.fixture
def partners(area_tree: Any) -> dict[str, Partner]:
    return {
        name: Partner.objects.create(force=area_tree.force, name=name, kind=kind)
        for name, kind in [("Abbeyfield Borough Council", "council"), ("Testshire Fire and Rescue", "fire")]
    }


@pytest.fixture
def ward(area_tree: Any) -> Area:
    return Area.objects.create(level=Level.WARD, code="E05900001", name="Abbey Ward", force=area_tree.force)


FULL_HEADER = [
    "id",
    "date",
    "time",
    "type",
    "areas",
    "title",
    "address",
    "ward",
    "place",
    "latitude",
    "longitude",
    "officers",
    "partners",
    "other_partners",
    "people_reached",
    "online_reach",
    "issues_raised",
    "issue_categories",
    "follow_up",
    "priorities_set",
    "officer_hours",
    "links",
    "notes",
    "shared_with_partners",
    "reached_age_under_18",
    "reached_sex_female",
    "reached_sex_male",
]


def test_a_full_row_becomes_one_activity_with_every_value(tmp_path, area_tree, users, partners, ward):
    Place.objects.create(force=area_tree.force, name="Abbeyfield Community Centre")
    path = _write(
        tmp_path / "activity.csv",
        FULL_HEADER,
        [
            [
                "",  # no export id: a new activity
                "2025-06-02",
                "18:30",
                "Patch walk",  # by name, any case
                "NB-A; NB-C",
                "Evening walk round the estate",
                "Abbey Road",
                "E05900001",
                "abbeyfield community centre",
                "52.71",
                "-1.19",
                "officer_a;commander",
                "Abbeyfield Borough Council; Testshire Fire and Rescue",
                "Residents' association",
                "14",
                "1,200",
                "Speeding on Station Road near the primary school",
                "speeding; Parking",
                "Speed checks next week",
                "yes",
                "2.5",
                "https://example.org/post/1; https://example.org/minutes",
                "Good turnout",
                "TRUE",
                "3",
                "8",
                "6",
            ]
        ],
    )

    report = _import(path)

    assert (report.read, report.created, report.unchanged, report.committed) == (1, 1, 0, True)
    activity = Activity.objects.get()
    assert activity.type.slug == "patch-walk"
    # 18:30 on 2 June is British Summer Time: 17:30 UTC.
    assert activity.starts_at == dt.datetime(2025, 6, 2, 17, 30, tzinfo=dt.UTC)
    assert activity.date == dt.date(2025, 6, 2)
    assert sorted(ActivityArea.objects.filter(activity=activity).values_list("area__code", flat=True)) == [
        "NB-A",
        "NB-C",
    ]
    assert activity.ward == ward and activity.place is not None and activity.place.name == "Abbeyfield Community Centre"
    assert (activity.latitude, activity.longitude) == (52.71, -1.19)
    assert sorted(activity.officers.values_list("username", flat=True)) == ["commander", "officer_a"]
    assert sorted(activity.partners.values_list("name", flat=True)) == sorted(partners)
    assert activity.other_partners == "Residents' association"
    assert (activity.people_reached, activity.online_reach) == (14, 1200)
    assert sorted(activity.issue_categories.values_list("slug", flat=True)) == ["parking", "speeding"]
    assert activity.priorities_set is True and activity.shared_with_partners is True
    assert activity.officer_hours == Decimal("2.50")
    assert activity.links == ["https://example.org/post/1", "https://example.org/minutes"]
    assert activity.demographics == {"age": {"under_18": 3}, "sex": {"female": 8, "male": 6}}
    assert activity.recorded_by is None and len(activity.import_key) == 64
    assert AuditEvent.objects.filter(action="import.activities", force=area_tree.force).count() == 1


def test_only_the_required_columns_in_any_order_with_defaults(tmp_path, area_tree):
    path = _write(tmp_path / "a.csv", ["areas", "type", "date"], [["NB-B", "beat-surgery", "2024-12-31"]])
    _import(path)
    activity = Activity.objects.get()
    # No time: noon local. On 31 December London is on GMT, so noon is 12:00 UTC.
    assert activity.starts_at == dt.datetime(2024, 12, 31, 12, 0, tzinfo=dt.UTC)
    assert (activity.people_reached, activity.priorities_set, activity.officer_hours) == (0, False, Decimal(0))


def test_a_dry_run_reports_what_it_would_do_and_saves_nothing(tmp_path, area_tree):
    path = _write(
        tmp_path / "a.csv",
        ["date", "type", "areas"],
        [["2025-06-01", "newsletter", "NB-A"], ["2025-06-02", "newsletter", "NB-B"]],
    )
    report = _import(path, commit=False)
    assert (report.read, report.created, report.committed) == (2, 2, False)
    assert not Activity.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="import.").exists()


def test_importing_the_same_file_again_changes_nothing_however_it_is_spelt(tmp_path, area_tree):
    rows = [["2025-06-01", "Newsletter", "NB-A", "5"], ["2025-06-02", "patch-walk", "NB-A;NB-C", "7"]]
    header = ["date", "type", "areas", "people_reached"]
    _import(_write(tmp_path / "first.csv", header, rows))
    assert Activity.objects.count() == 2

    respelt = [["2025-06-01", "newsletter", " NB-A ", "5"], ["2025-06-02", "PATCH WALK", "NB-C; NB-A", "7"]]
    report = _import(_write(tmp_path / "second.csv", header, respelt))
    assert (report.created, report.unchanged) == (0, 2)
    assert Activity.objects.count() == 2

    # A changed value is a different row: it is added (the old one stays).
    changed = [["2025-06-01", "newsletter", "NB-A", "6"]]
    report = _import(_write(tmp_path / "third.csv", header, changed))
    assert (report.created, report.unchanged) == (1, 0)


def test_identical_rows_are_separate_activities_and_stay_so_on_reimport(tmp_path, area_tree):
    rows = [["2025-06-01", "social-media", "NB-A"]] * 3
    path = _write(tmp_path / "posts.csv", ["date", "type", "areas"], rows)
    assert _import(path).created == 3
    report = _import(path)
    assert (report.created, report.unchanged) == (0, 3)
    assert Activity.objects.count() == 3


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_every_bad_row_is_named_by_line_and_field_and_nothing_is_imported(tmp_path, area_tree, users, bulk):
    header = ["date", "type", "areas", "people_reached", "priorities_set", "latitude", "longitude", "officer_hours"]
    rows = [
        ["2025-06-01", "newsletter", "NB-A", "", "", "", "", ""],  # line 2: good
        ["2025-06-01", "juggling", "NB-A", "", "", "", "", ""],  # line 3: unknown type
        ["2025-06-01", "newsletter", "NB-Z", "", "", "", "", ""],  # line 4: unknown area
        ["2025-07-01", "newsletter", "NB-A", "", "", "", "", ""],  # line 5: future (today is 30 June)
        ["2025-06-01", "newsletter", "NB-A", "-4", "", "", "", ""],  # line 6: negative
        ["2025-06-01", "newsletter", "NB-A", "lots", "maybe", "", "", ""],  # line 7: two problems
        ["2025-06-01", "newsletter", "NB-A", "", "", "95", "-1.2", ""],  # line 8: latitude out of range
        ["2025-06-01", "newsletter", "NB-A", "", "", "north", "", "-1"],  # line 9: not a number, negative hours
        ["01/06/2025", "newsletter", "NB-A", "", "", "", "", ""],  # line 10: not YYYY-MM-DD
    ]
    path = _write(tmp_path / "bad.csv", header, rows)

    with pytest.raises(ActivityImportFailed) as caught:
        _import(path, bulk=bulk)

    found = [(p.line, p.field) for p in caught.value.problems]
    assert found == [
        (3, "type"),
        (4, "areas"),
        (5, "date"),
        (6, "people_reached"),
        (7, "people_reached"),
        (7, "priorities_set"),
        (8, "latitude"),
        (9, "latitude"),
        (9, "officer_hours"),
        (10, "date"),
    ]
    text = str(caught.value)
    assert "bad.csv:3: type: “juggling” is not an activity type" in text
    assert "bad.csv:4: areas: no neighbourhood, NPA or force has the code NB-Z" in text
    assert "bad.csv:5: date: 2025-07-01 is in the future: record activity once it has happened" in text
    assert "bad.csv:6: people_reached: “-4” is negative: give a whole number, 0 or more" in text
    assert "bad.csv:8: latitude: “95” is not between -90 and 90" in text
    assert "bad.csv:9: officer_hours: “-1” is negative: officer time cannot be negative" in text
    assert "bad.csv:7: priorities_set: “maybe” is not yes or no" in text
    assert "10 problems on 8 rows; nothing was imported" in text
    assert not Activity.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="activity.").exists()
    assert not AuditEvent.objects.filter(action="import.activities").exists()


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_a_row_not_understood_still_has_all_its_problems_reported(tmp_path, area_tree, bulk):
    header = ["date", "type", "areas", "people_reached", "online_reach", "officer_hours", "reached_sex_male"]
    header += ["longitude"]
    rows = [
        # The type is not known, so the row never reaches the service: the rest is checked here.
        ["2025-07-01", "juggling", "NB-A", "-3", "100000001", "10000", "-1", "181"],
        # An unknown area and numbers that are not numbers.
        ["2025-06-01", "newsletter", "NB-Z", "a dozen", "1.5", "1e400", "", "east"],
        # Understood, so the service checks it too; the importer's own message is not repeated.
        ["2025-06-01", "newsletter", "NB-A", "100,000,000", "1,000,000,000", "9999.99", "3", "-1.2"],
    ]
    with pytest.raises(ActivityImportFailed) as caught:
        _import(_write(tmp_path / "numbers.csv", header, rows), bulk=bulk)
    found = {(p.line, p.field): p.message for p in caught.value.problems}
    assert found == {
        (2, "date"): "2025-07-01 is in the future: record activity once it has happened",
        (2, "type"): "“juggling” is not an activity type",
        (2, "longitude"): "“181” is not between -180 and 180",
        (2, "people_reached"): "“-3” is negative: give a whole number, 0 or more",
        (2, "online_reach"): "“100000001” is more than 100,000,000",
        (2, "officer_hours"): "“10000”: officer time must be less than 10,000 hours",
        (2, "reached_sex_male"): "“-1” is negative: give a whole number, 0 or more",
        (3, "areas"): "no neighbourhood, NPA or force has the code NB-Z",
        (3, "longitude"): "“east” is not a number",
        (3, "people_reached"): "“a dozen” is not a whole number",
        (3, "online_reach"): "“1.5” is not a whole number",
        (3, "officer_hours"): "“1e400”: officer time must be less than 10,000 hours",
        (4, "online_reach"): "“1,000,000,000” is more than 100,000,000",
        (4, "latitude"): "Give both latitude and longitude, or neither.",
    }
    assert len(caught.value.problems) == len(found)
    assert not Activity.objects.exists()


def test_one_bad_row_reads_like_any_import_failure(tmp_path, area_tree):
    path = _write(tmp_path / "one.csv", ["date", "type", "areas"], [["2025-06-01", "newsletter", "E01900001"]])
    with pytest.raises(ImportFailed) as caught:
        _import(path)
    assert (caught.value.line, caught.value.field) == (2, "areas")
    assert "E01900001 is a lsoa: give a neighbourhood, NPA or force code" in str(caught.value)


def test_more_than_twenty_problems_are_counted_not_all_listed(tmp_path, area_tree):
    path = _write(tmp_path / "many.csv", ["date", "type", "areas"], [["2025-06-01", "nope", "NB-A"]] * 25)
    with pytest.raises(ActivityImportFailed) as caught:
        _import(path)
    text = str(caught.value)
    assert "many.csv:21: type" in text and "many.csv:22: type" not in text
    assert "… and 5 more" in text
    assert len(caught.value.problems) == 25


def test_lines_are_physical_lines_even_after_a_quoted_line_break(tmp_path, area_tree):
    path = tmp_path / "notes.csv"
    path.write_text(
        'date,type,areas,notes\n2025-06-01,newsletter,NB-A,"first line\nsecond line"\n2025-06-02,nope,NB-A,\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed) as caught:
        _import(path)
    assert caught.value.line == 4


def test_unknown_partners_officers_categories_and_places_are_named(tmp_path, area_tree, users, partners):
    header = ["date", "type", "areas", "partners", "officers", "issue_categories", "place", "ward"]
    row = ["2025-06-01", "patch-walk", "NB-A", "Abbeyfield Borough Council;Acme Ltd", "nobody", "ufos", "Moon", "W1"]
    with pytest.raises(ActivityImportFailed) as caught:
        _import(_write(tmp_path / "who.csv", header, [row]))
    messages = {p.field: p.message for p in caught.value.problems}
    assert messages["partners"] == "not among the force's partners: Acme Ltd"
    assert messages["officers"] == "no account has the username nobody"
    assert messages["issue_categories"] == "not issue categories: ufos"
    assert "Moon" in messages["place"] and "W1" in messages["ward"]


def test_unknown_and_missing_columns_fail_the_file_on_line_one(tmp_path, area_tree):
    with pytest.raises(ImportFailed) as caught:
        _import(_write(tmp_path / "cols.csv", ["date", "type", "areas", "colour", "mood"], [["2025-06-01"] * 5]))
    assert caught.value.line == 1 and "unknown columns: colour, mood" in str(caught.value)
    with pytest.raises(ImportFailed) as caught:
        _import(_write(tmp_path / "few.csv", ["date", "title"], [["2025-06-01", "x"]]))
    assert "missing required columns: type, areas" in str(caught.value)


def test_areas_of_another_force_and_codes_on_two_levels(tmp_path, area_tree):
    other = Area.objects.create(level=Level.FORCE, code="OTHERSHIRE", name="Othershire Police")
    Area.objects.create(level=Level.NEIGHBOURHOOD, code="OT-1", name="Otherton", force=other, parent=other)
    # A row across two forces is refused by the service's own rule.
    path = _write(tmp_path / "two.csv", ["date", "type", "areas"], [["2025-06-01", "newsletter", "NB-A;OT-1"]])
    with pytest.raises(ImportFailed, match="one force"):
        _import(path)
    # With --force the other force's code is refused by name.
    path = _write(tmp_path / "ot.csv", ["date", "type", "areas"], [["2025-06-01", "newsletter", "OT-1"]])
    with pytest.raises(ImportFailed, match="OT-1 is not an area of Testshire Police"):
        _import(path, force_code="TESTSHIRE")
    # Without it, the row belongs to Othershire.
    _import(path)
    assert Activity.objects.get().force == other

    Area.objects.create(
        level=Level.NPA, code="NB-A", name="Confusing NPA", force=area_tree.force, parent=area_tree.force
    )
    path = _write(tmp_path / "amb.csv", ["date", "type", "areas"], [["2025-06-01", "newsletter", "NB-A"]])
    with pytest.raises(ImportFailed, match="NB-A names more than one area"):
        _import(path)


def test_a_bom_and_gzip_and_blank_lines_are_read(tmp_path, area_tree):
    plain = _write(tmp_path / "a.csv", ["date", "type", "areas"], [["2025-06-01", "survey", "NB-A"]], bom=True)
    packed = tmp_path / "a.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes() + b"\n\n2025-06-03,survey,NB-B\n"))
    report = _import(packed)
    assert report.created == 2
    assert sorted(Activity.objects.values_list("date", flat=True)) == [dt.date(2025, 6, 1), dt.date(2025, 6, 3)]


def test_an_xlsx_workbook_with_spreadsheet_values(tmp_path, area_tree):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Date", "Time", "Type", "Areas", "People_reached", "Officer_hours", "Priorities_set"])
    sheet.append([dt.date(2025, 3, 31), dt.time(9, 15), "PACT meeting (in person)", "NB-C", 23, 1.5, True])
    # A spreadsheet's date cell is a naive date and time.
    sheet.append([dt.datetime(2025, 4, 1, 0, 0), "19:00", "pact-meeting", "NB-C", 11.0, 2, False])  # noqa: DTZ001
    path = tmp_path / "meetings.xlsx"
    workbook.save(path)

    assert _import(path).created == 2
    first, second = Activity.objects.order_by("starts_at")
    assert first.starts_at == dt.datetime(2025, 3, 31, 8, 15, tzinfo=dt.UTC)  # 09:15 BST
    assert (first.people_reached, first.officer_hours, first.priorities_set) == (23, Decimal("1.50"), True)
    assert (second.date, second.people_reached, second.priorities_set) == (dt.date(2025, 4, 1), 11, False)


def test_a_bad_xlsx_file_is_refused_cleanly(tmp_path, area_tree):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip")
    with pytest.raises(ImportFailed, match="not an Excel workbook"):
        _import(path)


def test_the_export_columns_are_all_accepted(tmp_path, area_tree):
    row = dict.fromkeys(COLUMNS, "") | {"date": "2025-06-01", "type": "newsletter", "areas": "NB-A"}
    path = _write(tmp_path / "all.csv", COLUMNS, [[row[name] for name in COLUMNS]])
    assert _import(path).created == 1


def test_an_exported_file_imports_back_as_the_same_rows(tmp_path, area_tree, users, partners):
    header = ["date", "time", "type", "areas", "title", "partners", "officers", "people_reached", "reached_sex_male"]
    rows = [
        [
            "2025-06-01",
            "09:30",
            "patch-walk",
            "NB-C;NB-A",
            "=Walk, not a formula",
            "Testshire Fire and Rescue",
            "officer_a",
            "9",
            "4",
        ],
        ["2025-06-02", "", "Newsletter", "NB-B", "June", "", "", "", ""],
    ]
    assert _import(_write(tmp_path / "first.csv", header, rows)).created == 2

    exported = tmp_path / "export.csv"
    exported.write_text("".join(csv_lines(Activity.objects.all())), encoding="utf-8")
    report = _import(exported)

    # Same values, so the same import keys: nothing new, and the guarded title reads back as typed.
    assert (report.read, report.created, report.unchanged) == (2, 0, 2)
    assert Activity.objects.filter(title="=Walk, not a formula").count() == 1


def test_the_command_with_json_and_the_hyphenated_name(tmp_path, area_tree):
    path = _write(tmp_path / "cmd.csv", ["date", "type", "areas"], [["2025-06-01", "drop-in", "NB-A"]])
    out = io.StringIO()
    call_command("import-activities", str(path), "--json", "--no-progress", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["created"], report["committed"]) == (1, False)
    assert not Activity.objects.exists()

    out = io.StringIO()
    call_command("import_activities", str(path), "--commit", stdout=out)
    assert "Imported: activities from cmd.csv" in out.getvalue()
    assert Activity.objects.count() == 1

    bad = _write(
        tmp_path / "bad.csv", ["date", "type", "areas"], [["2025-06-01", "x", "NB-A"], ["2099-01-01", "x", "NB-A"]]
    )
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import-activities", str(bad), "--commit", "--json", stdout=out)
    failure = json.loads(out.getvalue())["failure"]
    # Every problem of a row, even one whose type is not known: the date in the future too.
    assert [(p["line"], p["field"]) for p in failure["problems"]] == [(2, "type"), (3, "date"), (3, "type")]


def _stored() -> list[tuple[Any, ...]]:
    """Everything recorded of every activity: its export row (without the id), its key, its area links."""
    activities = list(Activity.objects.order_by("starts_at", "title", "id"))
    lines = list(
        csv.reader(io.StringIO("".join(csv_lines(Activity.objects.filter(pk__in=[a.pk for a in activities])))))
    )
    header, rows = lines[0], lines[1:]
    by_id = {row[header.index("id")]: row for row in rows}
    stored = []
    for activity in activities:
        exported = [value for name, value in zip(header, by_id[str(activity.pk)], strict=True) if name != "id"]
        links = sorted(
            ActivityArea.objects.filter(activity=activity).values_list(
                "area__code", "force__code", "date", "type__slug", "with_partner", "priorities_set"
            )
        )
        stored.append((*exported, activity.import_key, activity.force_id, tuple(links)))
    return stored


def test_the_bulk_path_stores_exactly_what_row_by_row_stores(tmp_path, area_tree, users, partners, ward):
    header = ["date", "time", "type", "areas", "partners", "other_partners", "officers", "issue_categories"]
    header += ["priorities_set", "people_reached", "reached_sex_female", "ward", "links", "title"]
    pact = ["2025-06-01", "19:00", "pact-meeting", "NB-A;NB-C", "Abbeyfield Borough Council", "", "officer_a;commander"]
    walk = ["2025-06-02", "", "patch-walk", "NB-B", "", "Residents' association", "officer_b", "", "no", "5", "", ""]
    rows = [
        [*pact, "speeding;parking", "yes", "23", "12", "E05900001", "https://example.org/m", "PACT"],
        [*walk, "", "Walk"],
        [*walk, "", "Walk"],
        ["2025-06-03", "08:00", "social-media", "NPA-N", "", "", "", "", "", "", "", "", "", "Post"],
    ]
    path = _write(tmp_path / "mixed.csv", header, rows)
    _import(path)
    one_by_one = _stored()
    assert AuditEvent.objects.filter(action="activity.create").count() == 4

    Activity.objects.all().delete()
    report = _import(path, bulk=True)
    assert (report.created, report.unchanged) == (4, 0)
    assert _stored() == one_by_one
    event = AuditEvent.objects.get(action="activity.create_many")
    assert (event.force, event.after) == (area_tree.force, {"created": 4})
    # And a bulk import is as idempotent as any.
    assert _import(path, bulk=True).unchanged == 4


# --- an export imported again -----------------------------------------------------------------


def _export(path: Path, activities: Any, **changes: dict[str, str]) -> Path:
    """Write the export of `activities` to `path`, with changes {activity id: {column: value}}."""
    lines = list(csv.reader(io.StringIO("".join(csv_lines(activities)).removeprefix("\ufeff"))))
    header, rows = lines[0], lines[1:]
    for row in rows:
        for column, value in changes.get(row[header.index("id")], {}).items():
            row[header.index(column)] = value
    return _write(path, header, rows)


def _recorded(area_tree: Any, users: Any) -> list[Activity]:
    """Activity recorded on the pages (no import key), as most of it is."""

    def record(area: Area, slug: str, **values: Any) -> Activity:
        data = services.ActivityData(
            type=ActivityType.objects.get(slug=slug),
            starts_at=dt.datetime(2025, 6, 2, 17, 30, 45, tzinfo=dt.UTC),
            areas=[area],
            **values,
        )
        return services.activity_create(actor=users.officer_a, data=data, today=TODAY)

    return [
        record(area_tree.nbhd_a, "patch-walk", title="Walk", people_reached=12, officers=[users.officer_a]),
        record(
            area_tree.nbhd_a,
            "beat-surgery",
            issues_raised="Parking on the verge\r\nand speeding",
            officer_hours=Decimal("1.25"),
            demographics={"age": {"65_plus": 3, "under_18": 0}},
            latitude=52.123456789,
            longitude=-1.1,
        ),
    ]


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_an_export_of_recorded_activity_imports_back_as_no_change(tmp_path, area_tree, users, bulk):
    recorded = _recorded(area_tree, users)
    path = _export(tmp_path / "export.csv", Activity.objects.all())
    report = _import(path, bulk=bulk)
    assert (report.read, report.created, report.updated, report.unchanged) == (2, 0, 0, 2)
    assert sorted(Activity.objects.values_list("pk", flat=True)) == sorted(a.pk for a in recorded)
    assert not AuditEvent.objects.filter(action__in=["activity.update", "import.activities"]).exists()


@pytest.mark.parametrize("bulk", [False, True], ids=["row-by-row", "bulk"])
def test_a_corrected_export_updates_its_activities_once(tmp_path, area_tree, users, bulk):
    walk, surgery = _recorded(area_tree, users)
    path = _export(
        tmp_path / "corrected.csv",
        Activity.objects.all(),
        **{str(walk.pk): {"people_reached": "15", "areas": "NB-A;NB-C", "title": "Walk, corrected"}},
    )
    # A new row in the same file is added as usual.
    with path.open("a", encoding="utf-8") as file:
        file.write("2025-06-03,,newsletter,NB-A" + "," * (len(COLUMNS) - 4) + "\n")

    dry = _import(path, commit=False, bulk=bulk)
    assert (dry.created, dry.updated, dry.unchanged, dry.committed) == (1, 1, 1, False)
    walk.refresh_from_db()
    assert (walk.people_reached, walk.title) == (12, "Walk")

    report = _import(path, bulk=bulk)
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    walk.refresh_from_db()
    assert (walk.people_reached, walk.title) == (15, "Walk, corrected")
    assert sorted(ActivityArea.objects.filter(activity=walk).values_list("area__code", flat=True)) == ["NB-A", "NB-C"]
    assert list(walk.officers.all()) == [users.officer_a]  # what the row still says is kept
    update = AuditEvent.objects.get(action="activity.update")
    assert (update.object_id, update.actor, (update.before or {})["people_reached"]) == (str(walk.pk), None, 12)
    assert AuditEvent.objects.filter(action="import.activities", force=area_tree.force).count() == 1
    assert Activity.objects.count() == 3

    # The same corrected file again: nothing changes.
    again = _import(path, bulk=bulk)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.filter(action="activity.update").count() == 1
    surgery.refresh_from_db()
    assert surgery.issues_raised == "Parking on the verge\r\nand speeding"


def test_a_correction_that_breaks_a_rule_is_refused_like_a_new_row(tmp_path, area_tree, users):
    walk, _surgery = _recorded(area_tree, users)
    path = _export(
        tmp_path / "bad.csv", Activity.objects.filter(pk=walk.pk), **{str(walk.pk): {"links": "ftp://example.org/x"}}
    )
    with pytest.raises(ImportFailed) as caught:
        _import(path)
    assert (caught.value.line, caught.value.field) == (2, "links")
    walk.refresh_from_db()
    assert walk.links == []


def test_ids_that_name_no_activity_of_the_force_are_refused(tmp_path, area_tree, users):
    walk, surgery = _recorded(area_tree, users)
    other = Area.objects.create(level=Level.FORCE, code="OTHERSHIRE", name="Othershire Police")
    Area.objects.create(level=Level.NEIGHBOURHOOD, code="OT-1", name="Otherton", force=other, parent=other)
    header = ["id", "date", "type", "areas", "title"]
    rows = [
        [str(walk.pk), "2025-06-02", "patch-walk", "OT-1", "Moved to another force"],  # line 2
        ["999999", "2025-06-02", "patch-walk", "NB-A", "Deleted since"],  # line 3
        [str(surgery.pk), "2025-06-02", "beat-surgery", "NB-A", "Once"],  # line 4
        [str(surgery.pk), "2025-06-02", "beat-surgery", "NB-A", "Twice"],  # line 5
        ["A-17", "2025-06-02", "beat-surgery", "NB-A", "Not an id"],  # line 6
        ["", "2025-06-02", "newsletter", "NB-A", "New, and fine"],  # line 7
    ]
    with pytest.raises(ActivityImportFailed) as caught:
        _import(_write(tmp_path / "ids.csv", header, rows))
    assert [(p.line, p.field, p.message) for p in caught.value.problems] == [
        (2, "id", f"activity {walk.pk} is not an activity of Othershire Police"),
        (3, "id", "no activity has the id 999999: remove the id to import the row as a new activity"),
        (5, "id", f"activity {surgery.pk} is also on line 4: a file may change an activity once"),
        (6, "id", "“A-17” is not the id of an exported activity: leave it empty for a new activity"),
    ]
    assert Activity.objects.count() == 2
    walk.refresh_from_db()
    surgery.refresh_from_db()
    assert (walk.title, surgery.title) == ("Walk", "")

    # With --force, an activity of the force named is updated; another force's is not.
    path = _write(tmp_path / "force.csv", header, [[str(walk.pk), "2025-06-02", "patch-walk", "NB-A", "Walk 2"]])
    with pytest.raises(ImportFailed, match=f"activity {walk.pk} is not an activity of Othershire Police"):
        _import(path, force_code="OTHERSHIRE")
    assert _import(path, force_code="TESTSHIRE").updated == 1
