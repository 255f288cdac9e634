"""`beatbook import-subscribers`: dry run against commit, idempotence, consent evidence required,
bad rows named by file, line and field, and people who left are not signed up again."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from beatbook.core.imports import ImportFailed
from beatbook.messaging.importers.subscribers import SubscriberImportFailed, import_subscribers
from beatbook.messaging.models import Consent, ConsentMethod, Subscriber, SubscriberArea, SubscriberStatus

from .test_subscribers_support import _fresh_cache, postcodes_fixture  # noqa: F401 - fixtures

HEADER = "email,phone,postcode,neighbourhoods,interests,language,consent_date,consent_method,consent_source\n"
GOOD = (
    HEADER
    + "ann@example.org,,AB1 1AA,,burglary;events,cy,2024-03-01,paper,Paper form 17 at Abbeyfield surgery\n"
    + ",07700 900222,,NB-B;nb-c,road-safety,,2023-11-20,web_form,Old alerts system wording v3\n"
)


def write(tmp_path: Path, text: str, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_dry_run_saves_nothing_and_commit_saves_what_it_reported(tmp_path: Path, postcodes: Any) -> None:
    path = write(tmp_path, GOOD)
    dry = import_subscribers(path, commit=False)
    assert (dry.read, dry.created, dry.committed) == (2, 2, False)
    assert Subscriber.objects.count() == 0 and Consent.objects.count() == 0
    done = import_subscribers(path, commit=True)
    assert (done.created, done.updated, done.unchanged, done.committed) == (2, 0, 0, True)
    ann = Subscriber.objects.get(email="ann@example.org")
    assert ann.status == SubscriberStatus.ACTIVE and ann.language == "cy" and ann.source == "import"
    assert list(ann.area_links.values_list("area__code", "active", "wants_email", "language")) == [
        ("NB-A", True, True, "cy")
    ]
    consent = ann.consents.get()
    assert consent.method == ConsentMethod.IMPORT and consent.channel == "email"
    assert "list.csv line 2" in consent.evidence and "Paper form 17" in consent.evidence
    assert consent.given_at.date().isoformat() == "2024-03-01"
    texter = Subscriber.objects.get(phone="+447700900222")
    assert sorted(SubscriberArea.objects.filter(subscriber=texter).values_list("area__code", flat=True)) == [
        "NB-B",
        "NB-C",
    ]
    assert list(texter.consents.values_list("channel", flat=True)) == ["sms"]


@pytest.mark.django_db
def test_importing_the_same_file_again_changes_nothing(tmp_path: Path, postcodes: Any) -> None:
    path = write(tmp_path, GOOD)
    import_subscribers(path, commit=True)
    before = (Subscriber.objects.count(), Consent.objects.count(), SubscriberArea.objects.count())
    again = import_subscribers(path, commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert (Subscriber.objects.count(), Consent.objects.count(), SubscriberArea.objects.count()) == before


@pytest.mark.django_db
def test_someone_who_unsubscribed_is_not_signed_up_again(tmp_path: Path, postcodes: Any) -> None:
    from beatbook.messaging.subscriber_services import unsubscribe

    path = write(tmp_path, GOOD)
    import_subscribers(path, commit=True)
    unsubscribe(subscriber=Subscriber.objects.get(email="ann@example.org"))
    report = import_subscribers(path, commit=True)
    assert report.skipped == 1 and report.unchanged == 1
    assert Subscriber.objects.get(email="ann@example.org").status == SubscriberStatus.UNSUBSCRIBED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        ("ann@example.org,,AB1 1AA,,burglary,,,paper,Form 1", "consent_date", "no consent date"),
        ("ann@example.org,,AB1 1AA,,burglary,,2024-01-01,,Form 1", "consent_method", "no consent method"),
        ("ann@example.org,,AB1 1AA,,burglary,,2024-01-01,paper,", "consent_source", "no consent source"),
        ("ann@example.org,,AB1 1AA,,burglary,,01/02/2024,paper,Form 1", "consent_date", "is not a date"),
        ("not-an-address,,AB1 1AA,,burglary,,2024-01-01,paper,Form 1", "email", "correct format"),
        (",0116 222 2222,AB1 1AA,,burglary,,2024-01-01,paper,Form 1", "phone", "UK mobile"),
        ("ann@example.org,,,NB-X,burglary,,2024-01-01,paper,Form 1", "neighbourhoods", "NB-X is not a neighbourhood"),
        ("ann@example.org,,AB1 1AA,,knitting,,2024-01-01,paper,Form 1", "interests", "'knitting' is not one"),
        ("ann@example.org,,AB1 1AA,,burglary,fr,2024-01-01,paper,Form 1", "language", "'fr' is not one"),
    ],
)
def test_a_bad_row_is_named_by_file_line_and_field_and_nothing_is_saved(
    tmp_path: Path, postcodes: Any, row: str, field: str, reason: str
) -> None:
    good_first = "bob@example.org,,AB2 2BB,,events,,2024-01-01,phone,Call log 12\n"
    path = write(tmp_path, HEADER + good_first + row + "\n")
    with pytest.raises(SubscriberImportFailed) as failure:
        import_subscribers(path, commit=True)
    assert (failure.value.line, failure.value.field) == (3, field)
    assert reason in str(failure.value) and "list.csv, line 3" in str(failure.value)
    assert Subscriber.objects.count() == 0


@pytest.mark.django_db
def test_a_file_without_consent_columns_is_refused(tmp_path: Path, area_tree: Any) -> None:
    path = write(tmp_path, "email,neighbourhoods,interests\nann@example.org,NB-A,burglary\n")
    with pytest.raises(ImportFailed, match="evidence of their consent") as failure:
        import_subscribers(path, commit=True)
    assert failure.value.line == 1 and failure.value.field == "consent_date"


@pytest.mark.django_db
def test_the_command_dry_runs_by_default_and_reports_json(tmp_path: Path, postcodes: Any) -> None:
    path = write(tmp_path, GOOD)
    out = StringIO()
    call_command("import-subscribers", str(path), stdout=out)
    assert "Dry run" in out.getvalue() and Subscriber.objects.count() == 0
    out = StringIO()
    call_command("import-subscribers", str(path), "--commit", "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2 and Subscriber.objects.count() == 2
    bad = write(tmp_path, HEADER + "x@example.org,,AB1 1AA,,burglary,,,paper,F\n", "bad.csv")
    with pytest.raises(CommandError, match=r"bad.csv, line 2, field 'consent_date'"):
        call_command("import-subscribers", str(bad), "--commit", stdout=StringIO())
