"""Abuse protection of the public survey: invitations, honeypot, rate limit, duplicates, review."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from beatbook.accounts.models import AuditEvent
from beatbook.surveys import access, protection, selectors, services
from beatbook.surveys.models import Invitation, Response, Survey, Wave

from .survey_fixtures import confidence, make_survey, make_wave

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 5, 10, 12, 0, tzinfo=dt.UTC)
ADDRESS = "203.0.113.7"


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    return make_survey(area_tree)


@pytest.fixture
def wave(survey: Survey) -> Wave:
    return make_wave(survey)


def submit(survey: Survey, wave: Wave, area_tree: Any, **overrides: Any) -> Response:
    arguments: dict[str, Any] = {
        "survey": survey,
        "wave": wave,
        "answers": confidence(4, 4, 3, 5, 4),
        "language": "en",
        "lsoa": area_tree.lsoa_a,
        "client_address": ADDRESS,
        "now": NOON,
    }
    arguments.update(overrides)
    return services.response_submit(**arguments)


# --- invitations ------------------------------------------------------------------------------


def test_invitations_store_only_hashes_and_are_audited(survey: Survey, wave: Wave, area_tree: Any) -> None:
    tokens = services.invitations_create(actor=None, survey=survey, wave=wave, count=3, area=area_tree.lsoa_a)
    assert len(tokens) == 3 and len(set(tokens)) == 3
    stored = set(Invitation.objects.values_list("token_hash", flat=True))
    assert stored == {hashlib.sha256(token.encode()).hexdigest() for token in tokens}
    for token in tokens:
        assert not Invitation.objects.filter(token_hash=token).exists()
    assert AuditEvent.objects.filter(action="survey.invitations_create").count() == 1


def test_invitations_refuse_bad_requests(survey: Survey, wave: Wave, area_tree: Any) -> None:
    other = services.survey_create_from_template(actor=None, force=area_tree.force, name="Other")
    with pytest.raises(ValidationError) as caught:
        services.invitations_create(actor=None, survey=other, wave=wave, count=0)
    assert set(caught.value.message_dict) == {"wave", "count"}
    assert not Invitation.objects.exists()


def test_a_token_is_redeemed_once_and_a_reused_token_is_refused(survey: Survey, wave: Wave, area_tree: Any) -> None:
    [token] = services.invitations_create(actor=None, survey=survey, wave=wave, count=1)
    first = submit(survey, wave, area_tree, token=token)
    assert first.status == "counted"
    invitation = Invitation.objects.get()
    assert invitation.used_at == NOON and invitation.response_id == first.pk
    with pytest.raises(ValidationError) as caught:
        submit(survey, wave, area_tree, token=token, answers=confidence(1, 1, 1, 1, 1), client_address="198.51.100.1")
    assert "already been used" in caught.value.message_dict["token"][0]
    assert Response.objects.count() == 1


def test_unknown_or_other_wave_token_is_refused(survey: Survey, wave: Wave, area_tree: Any) -> None:
    later = services.wave_create(
        actor=None,
        survey=survey,
        code="2026-11",
        name="Nov",
        opens_on=dt.date(2026, 11, 1),
        closes_on=dt.date(2026, 11, 30),
    )
    [token] = services.invitations_create(actor=None, survey=survey, wave=later, count=1)
    for bad in ("not-a-token", token):
        with pytest.raises(ValidationError) as caught:
            submit(survey, wave, area_tree, token=bad)
        assert list(caught.value.message_dict) == ["token"]
    assert Response.objects.count() == 0
    assert Invitation.objects.get().used_at is None


def test_invalid_answers_do_not_use_up_the_token(survey: Survey, wave: Wave, area_tree: Any) -> None:
    [token] = services.invitations_create(actor=None, survey=survey, wave=wave, count=1)
    with pytest.raises(ValidationError):
        submit(survey, wave, area_tree, token=token, answers={"feel-safe": "very"})
    assert Invitation.objects.get().used_at is None
    assert submit(survey, wave, area_tree, token=token).status == "counted"


def test_invitation_to_an_lsoa_places_a_response_given_without_a_place(
    survey: Survey, wave: Wave, area_tree: Any
) -> None:
    [token] = services.invitations_create(actor=None, survey=survey, wave=wave, count=1, area=area_tree.lsoa_b)
    response = submit(survey, wave, area_tree, token=token, lsoa=None)
    assert response.lsoa == area_tree.lsoa_b and response.neighbourhood == area_tree.nbhd_b


# --- honeypot, rate, duplicates -------------------------------------------------------------------


def test_filled_honeypot_is_stored_flagged(survey: Survey, wave: Wave, area_tree: Any) -> None:
    response = submit(survey, wave, area_tree, honeypot="http://spam.example")
    assert (response.status, response.flag_reason) == ("flagged", "honeypot")


def test_only_a_keyed_hash_of_the_address_is_stored(survey: Survey, wave: Wave, area_tree: Any) -> None:
    response = submit(survey, wave, area_tree)
    assert response.address_hash and ADDRESS not in response.address_hash
    assert response.address_hash != hashlib.sha256(ADDRESS.encode()).hexdigest()
    assert response.address_hash == protection.address_hash(ADDRESS)
    stored = Response.objects.filter(pk=response.pk).values().get()
    assert not any(ADDRESS in str(value) for value in stored.values())


def test_a_burst_of_identical_submissions_is_flagged(survey: Survey, wave: Wave, area_tree: Any) -> None:
    burst = [submit(survey, wave, area_tree, now=NOON + dt.timedelta(seconds=second)) for second in range(8)]
    assert burst[0].status == "counted" and burst[0].flag_reason == ""
    # Repeats 2-5: only the duplicate check; 6-8 come after 5 in ten minutes: rate too.
    assert [r.flag_reason for r in burst[1:5]] == ["duplicate"] * 4
    assert [r.flag_reason for r in burst[5:]] == ["rate,duplicate"] * 3
    assert Response.objects.filter(status="counted").count() == 1
    assert Response.objects.count() == 8


def test_many_different_answers_from_one_address_are_rate_flagged_not_refused(
    survey: Survey, wave: Wave, area_tree: Any
) -> None:
    answers = [confidence(a, b, 3, 3, 3) for a in (1, 2, 3) for b in (1, 2, 3)][:7]
    sent = [
        submit(survey, wave, area_tree, answers=item, now=NOON + dt.timedelta(minutes=index))
        for index, item in enumerate(answers)
    ]
    assert [r.flag_reason for r in sent] == ["", "", "", "", "", "rate", "rate"]


def test_rate_window_passes(survey: Survey, wave: Wave, area_tree: Any) -> None:
    for index in range(5):
        submit(survey, wave, area_tree, answers=confidence(index + 1, 3, 3, 3, 3), now=NOON)
    later = submit(survey, wave, area_tree, answers=confidence(1, 1, 1, 1, 1), now=NOON + dt.timedelta(minutes=11))
    assert later.status == "counted"


def test_same_answers_from_other_addresses_or_places_are_counted(survey: Survey, wave: Wave, area_tree: Any) -> None:
    first = submit(survey, wave, area_tree)
    other_address = submit(survey, wave, area_tree, client_address="198.51.100.9")
    other_place = submit(survey, wave, area_tree, lsoa=area_tree.lsoa_b)
    next_day = submit(survey, wave, area_tree, now=NOON + dt.timedelta(hours=25))
    assert [r.status for r in (first, other_address, other_place, next_day)] == ["counted"] * 4


def test_invited_submissions_from_one_address_are_not_rate_limited(survey: Survey, wave: Wave, area_tree: Any) -> None:
    # A household or a community centre answering with the invitations they were sent.
    tokens = services.invitations_create(actor=None, survey=survey, wave=wave, count=7)
    sent = [submit(survey, wave, area_tree, token=token) for token in tokens]
    assert [r.status for r in sent] == ["counted"] * 7


def test_flagged_responses_are_left_out_of_scores_until_counted(
    survey: Survey, wave: Wave, area_tree: Any, users: Any
) -> None:
    def read_by_scoring() -> int:
        # Testshire has no census here, so scoring reads the rows and leaves them all out.
        inputs = selectors.scoring_inputs(survey)
        return inputs.responses.wave.size + inputs.left_out

    submit(survey, wave, area_tree)
    duplicate = submit(survey, wave, area_tree, now=NOON + dt.timedelta(seconds=5))
    assert duplicate.status == "flagged"
    assert read_by_scoring() == 1
    services.response_review(actor=users.analyst, response=duplicate, decision="count", note="Two people, one PC")
    assert read_by_scoring() == 2


def test_no_genuine_response_is_lost(survey: Survey, wave: Wave, area_tree: Any) -> None:
    """Every submission is stored (counted or flagged) or refused with a reason, and every
    genuine one (valid answers, no honeypot, from people with their own address or token) is
    stored and counted."""
    tokens = services.invitations_create(actor=None, survey=survey, wave=wave, count=3)
    submissions: list[dict[str, Any]] = []
    # 20 genuine people at 20 addresses, some with the same answers as each other.
    for person in range(20):
        value = 1 + person % 5
        submissions.append(
            {"answers": confidence(value, value, 3, 4, 4), "client_address": f"192.0.2.{person}", "genuine": True}
        )
    # 3 invited people.
    for token in tokens:
        submissions.append({"token": token, "client_address": "192.0.2.200", "genuine": True})
    # A bot: honeypot filled, then a burst of 10 identical.
    submissions.append({"honeypot": "buy now", "client_address": "198.51.100.66", "genuine": False})
    submissions.extend({"client_address": "198.51.100.77", "genuine": False} for _ in range(10))
    # A reused token and broken answers: refused.
    submissions.append({"token": tokens[0], "client_address": "192.0.2.201", "genuine": False})
    submissions.append({"answers": {"feel-safe": "maybe"}, "client_address": "192.0.2.202", "genuine": False})

    stored: list[Response] = []
    refused: list[dict[str, list[str]]] = []
    genuine_stored: list[Response] = []
    for index, item in enumerate(submissions):
        genuine = item.pop("genuine")
        try:
            response = submit(survey, wave, area_tree, now=NOON + dt.timedelta(seconds=index), **item)
        except ValidationError as error:
            refused.append(error.message_dict)
            assert all(error.message_dict.values()), "a refusal says why"
            continue
        stored.append(response)
        if genuine:
            genuine_stored.append(response)

    assert len(stored) + len(refused) == len(submissions) == 36
    assert Response.objects.count() == len(stored) == 34
    assert len(refused) == 2
    assert [list(reasons) for reasons in refused] == [["token"], ["feel-safe"]]
    assert len(genuine_stored) == 23
    assert all(response.status == "counted" for response in genuine_stored)
    flagged = Response.objects.filter(status="flagged")
    # The honeypot and 9 of the burst of 10 (its first looks like anyone's first answer).
    assert flagged.count() == 10
    assert Response.objects.filter(status="counted").count() == 24


# --- review ----------------------------------------------------------------------------------


def test_review_decisions_are_audited(survey: Survey, wave: Wave, area_tree: Any, users: Any) -> None:
    flagged = submit(survey, wave, area_tree, honeypot="x")
    reviewed = services.response_review(actor=users.admin, response=flagged, decision="exclude", note=" bot ")
    reviewed.refresh_from_db()
    assert reviewed.status == "excluded" and reviewed.flag_reason == "honeypot"
    assert reviewed.reviewed_by == users.admin and reviewed.review_note == "bot"
    assert reviewed.reviewed_at is not None and reviewed.reviewed_at <= timezone.now()
    event = AuditEvent.objects.get(action="survey.response_review")
    assert event.before is not None and event.after is not None
    assert event.before["status"] == "flagged" and event.after["status"] == "excluded"


def test_review_refuses_an_unknown_decision(survey: Survey, wave: Wave, area_tree: Any, users: Any) -> None:
    flagged = submit(survey, wave, area_tree, honeypot="x")
    with pytest.raises(ValidationError) as caught:
        services.response_review(actor=users.analyst, response=flagged, decision="maybe")
    assert list(caught.value.message_dict) == ["decision"]


@pytest.mark.parametrize("persona", ["officer_a", "officer_b", "partner"])
def test_officers_and_partners_do_not_review(
    survey: Survey, wave: Wave, area_tree: Any, users: Any, persona: str
) -> None:
    flagged = submit(survey, wave, area_tree, honeypot="x")
    with pytest.raises(PermissionDenied):
        services.response_review(actor=getattr(users, persona), response=flagged, decision="count")
    flagged.refresh_from_db()
    assert flagged.status == "flagged"


def test_staff_of_another_force_cannot_review(survey: Survey, wave: Wave, area_tree: Any, users: Any) -> None:
    from beatbook.areas.models import Area, Level

    other_force = Area.objects.create(level=Level.FORCE, code="OTHERSHIRE", name="Othershire Police", source="test")
    users.analyst.area = other_force
    users.analyst.save()
    flagged = submit(survey, wave, area_tree, honeypot="x")
    assert not access.responses_for_user(users.analyst, survey).exists()
    with pytest.raises(PermissionDenied):
        services.response_review(actor=users.analyst, response=flagged, decision="count")


# --- submissions in parallel (PostgreSQL: SQLite runs one writer at a time anyway) ---------------


def _in_parallel(count: int, work: Any) -> list[Any]:
    """Run work(index) in `count` threads started together; each result or raised error."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # the test inspects what each thread met
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_a_parallel_burst_is_flagged_and_a_token_is_used_once(area_tree: Any) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("parallel writers need PostgreSQL")
    survey = make_survey(area_tree)
    wave = make_wave(survey)
    burst = _in_parallel(8, lambda index: submit(survey, wave, area_tree))
    assert all(isinstance(result, Response) for result in burst)
    assert Response.objects.filter(status="counted").count() == 1
    assert Response.objects.filter(status="flagged").count() == 7

    [token] = services.invitations_create(actor=None, survey=survey, wave=wave, count=1)
    racing = _in_parallel(
        6, lambda index: submit(survey, wave, area_tree, token=token, client_address=f"192.0.2.{index}")
    )
    stored = [result for result in racing if isinstance(result, Response)]
    refused = [result for result in racing if isinstance(result, ValidationError)]
    assert len(stored) == 1 and len(refused) == 5
    assert all(list(error.message_dict) == ["token"] for error in refused)
    assert Invitation.objects.get().response_id == stored[0].pk
