"""/api/v1/activities, /api/v1/activity-types and /api/v1/compliance/{code}: scope, writes, errors."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from beatbook.accounts.models import AuditEvent
from beatbook.accounts.services import api_token_create
from beatbook.activity import services
from beatbook.activity.models import Activity, ActivityType, IssueCategory, Partner

pytestmark = pytest.mark.django_db

JUNE = dt.datetime(2025, 6, 2, 17, 30, tzinfo=dt.UTC)  # 18:30 BST


def _record(areas: list[Any], **changes: Any) -> Activity:
    values: dict[str, Any] = {"type": ActivityType.objects.get(slug="patch-walk"), "starts_at": JUNE, "areas": areas}
    values.update(changes)
    return services.activity_create(actor=None, data=services.ActivityData(**values), today=dt.date(2025, 6, 30))


@pytest.fixture
def recorded(area_tree: Any) -> dict[str, Activity]:
    council = Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council", kind="council")
    return {
        "a": _record(
            [area_tree.nbhd_a],
            title="Walk round Abbey Road",
            partners=[council],
            issue_categories=[IssueCategory.objects.get(slug="speeding")],
            demographics={"age": {"65_plus": 3}},
            people_reached=12,
        ),
        "a_shared": _record([area_tree.nbhd_a], title="Shared surgery", shared_with_partners=True),
        "b": _record([area_tree.nbhd_b], title="Brookside walk", shared_with_partners=True),
        "c": _record(
            [area_tree.nbhd_c], title="Castlegate newsletter", type=ActivityType.objects.get(slug="newsletter")
        ),
        "joint": _record(
            [area_tree.nbhd_a, area_tree.nbhd_c], title="Joint walk", starts_at=JUNE - dt.timedelta(days=7)
        ),
    }


def _client(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


def _titles(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["title"] for row in response.json()["results"]}


def _payload(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "beat-surgery",
        "starts_at": "2025-06-10T10:00:00+01:00",
        "areas": ["NB-A"],
        "title": "Surgery at the library",
        "people_reached": 9,
    }
    body.update(changes)
    return body


def _post(client: Client, body: dict[str, Any], **headers: Any) -> Any:
    return client.post("/api/v1/activities", data=json.dumps(body), content_type="application/json", **headers)


def _put(client: Client, pk: int, body: dict[str, Any]) -> Any:
    return client.put(f"/api/v1/activities/{pk}", data=json.dumps(body), content_type="application/json")


# --- reading ------------------------------------------------------------------------------


def test_each_persona_lists_only_what_they_may_see(recorded, users, login_as):
    everything = {"Walk round Abbey Road", "Shared surgery", "Brookside walk", "Castlegate newsletter", "Joint walk"}
    expected = {
        "officer_a": {"Walk round Abbey Road", "Shared surgery", "Joint walk"},
        "officer_b": {"Brookside walk"},
        "commander": {"Walk round Abbey Road", "Shared surgery", "Castlegate newsletter", "Joint walk"},
        "analyst": everything,
        "admin": everything,
        "partner": {"Shared surgery"},
    }
    for name, titles in expected.items():
        assert _titles(_client(login_as, getattr(users, name)).get("/api/v1/activities")) == titles, name
    assert Client().get("/api/v1/activities").status_code == 401


def test_filters_by_area_type_and_dates(recorded, users, login_as):
    client = _client(login_as, users.commander)
    assert _titles(client.get("/api/v1/activities?area=NB-C")) == {"Castlegate newsletter", "Joint walk"}
    assert _titles(client.get("/api/v1/activities?type=newsletter")) == {"Castlegate newsletter"}
    assert _titles(client.get("/api/v1/activities?from=2025-05-26&to=2025-05-26")) == {"Joint walk"}
    # An NPA holds its neighbourhoods' activity.
    assert len(_titles(client.get("/api/v1/activities?area=NPA-N"))) == 4
    assert client.get("/api/v1/activities?area=NB-B").status_code == 404  # South is not the commander's
    assert client.get("/api/v1/activities?type=juggling").status_code == 400
    assert client.get("/api/v1/activities?from=02/06/2025").status_code == 400


def test_pages_of_fifty(area_tree, users, login_as):
    for day in range(51):
        _record([area_tree.nbhd_b], title=f"Walk {day}", starts_at=JUNE - dt.timedelta(days=day))
    client = _client(login_as, users.officer_b)
    first = client.get("/api/v1/activities").json()
    assert (first["count"], first["pages"], first["page_size"], len(first["results"])) == (51, 2, 50, 50)
    assert first["results"][0]["title"] == "Walk 0"  # newest first
    second = client.get("/api/v1/activities?page=2").json()
    assert [row["title"] for row in second["results"]] == ["Walk 50"]
    assert client.get("/api/v1/activities?page=3").json()["results"] == []


def test_one_activity_with_every_field_and_out_of_scope_as_404(recorded, users, login_as):
    activity = recorded["a"]
    response = _client(login_as, users.officer_a).get(f"/api/v1/activities/{activity.pk}")
    assert response.status_code == 200
    data = response.json()
    assert (data["type"], data["areas"], data["partners"]) == ("patch-walk", ["NB-A"], ["Abbeyfield Borough Council"])
    assert (data["issue_categories"], data["demographics"]) == (["speeding"], {"age": {"65_plus": 3}})
    assert (data["date"], data["starts_at"][:19], data["people_reached"]) == ("2025-06-02", "2025-06-02T18:30:00", 12)
    assert _client(login_as, users.officer_b).get(f"/api/v1/activities/{activity.pk}").status_code == 404
    assert _client(login_as, users.partner).get(f"/api/v1/activities/{activity.pk}").status_code == 404
    assert _client(login_as, users.partner).get(f"/api/v1/activities/{recorded['a_shared'].pk}").status_code == 200
    assert Client().get(f"/api/v1/activities/{activity.pk}").status_code == 401
    assert _client(login_as, users.analyst).get("/api/v1/activities/999999").status_code == 404


def test_activity_types_are_the_active_ones(db, users, login_as):
    ActivityType.objects.filter(slug="campaign").update(active=False)
    response = _client(login_as, users.officer_a).get("/api/v1/activity-types")
    slugs = [row["slug"] for row in response.json()]
    assert "campaign" not in slugs and slugs[:2] == ["ward-meeting", "pact-meeting"]
    newsletter = next(row for row in response.json() if row["slug"] == "newsletter")
    assert (newsletter["name"], newsletter["is_online"]) == ("Newsletter", True)
    # The types are the installation's: an officer elsewhere sees the same list.
    assert _client(login_as, users.officer_b).get("/api/v1/activity-types").json() == response.json()
    assert Client().get("/api/v1/activity-types").status_code == 401


# --- writing ------------------------------------------------------------------------------


def test_an_officer_records_for_their_neighbourhood(area_tree, users, login_as):
    client = _client(login_as, users.officer_a)
    response = _post(client, _payload(officers=["officer_a"], issue_categories=["Parking"], officer_hours="1.5"))
    assert response.status_code == 201, response.content
    data = response.json()
    activity = Activity.objects.get(pk=data["id"])
    assert (activity.type.slug, activity.title, activity.people_reached) == (
        "beat-surgery",
        "Surgery at the library",
        9,
    )
    assert activity.starts_at == dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC)
    assert (data["officers"], data["issue_categories"], data["officer_hours"]) == (["officer_a"], ["parking"], 1.5)
    assert activity.recorded_by == users.officer_a
    assert AuditEvent.objects.get(action="activity.create").actor == users.officer_a


def test_a_resent_client_id_returns_the_first_record(area_tree, users, login_as):
    client = _client(login_as, users.officer_a)
    body = _payload(client_id=str(uuid.uuid4()))
    first = _post(client, body)
    again = _post(client, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Activity.objects.count() == 1


def test_a_record_that_breaks_rules_is_422_naming_every_field(area_tree, users, login_as):
    client = _client(login_as, users.officer_a)
    response = _post(
        client, _payload(starts_at="2999-01-01T10:00:00+00:00", people_reached=-3, latitude=95.0, longitude=1)
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"starts_at", "people_reached", "latitude"}

    response = _post(client, _payload(type="juggling", partners=["Acme Ltd"], issue_categories=["ufos"]))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert set(errors) == {"type", "partners", "issue_categories"} and "Acme Ltd" in errors["partners"][0]
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"people_reached": services.MAX_COUNT + 1}, "people_reached"),
        ({"online_reach": 3_000_000_000}, "online_reach"),
        ({"demographics": {"age": {"under_18": 10**20}}}, "demographics"),
        ({"officer_hours": "10000"}, "officer_hours"),
    ],
)
def test_values_beyond_the_stated_limits_are_422_and_in_the_schema(area_tree, users, login_as, change, field):
    client = _client(login_as, users.officer_a)
    response = _post(client, _payload(**change))
    assert response.status_code == 422, response.content
    assert field in json.dumps(response.json())
    assert not Activity.objects.exists()
    # The limits are in the OpenAPI description, so a client can check before sending.
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["ActivityCreateIn"]["properties"]
    assert schema["people_reached"]["maximum"] == services.MAX_COUNT
    assert schema["demographics"]["additionalProperties"]["additionalProperties"]["maximum"] == services.MAX_COUNT
    assert schema["officer_hours"]["anyOf"][0]["exclusiveMaximum"] == 10_000


def test_values_at_the_limits_are_recorded(area_tree, users, login_as):
    body = _payload(people_reached=services.MAX_COUNT, officer_hours="9999.99")
    body["demographics"] = {"age": {"under_18": services.MAX_COUNT}}
    response = _post(_client(login_as, users.officer_a), body)
    assert response.status_code == 201, response.content
    activity = Activity.objects.get()
    assert (activity.people_reached, str(activity.officer_hours)) == (services.MAX_COUNT, "9999.99")


def test_roles_and_areas_that_may_not_record(area_tree, users, login_as):
    for name in ("analyst", "partner"):
        response = _post(_client(login_as, getattr(users, name)), _payload())
        assert response.status_code == 403, name
    # Areas out of the caller's sight are not found; the commander records across North.
    assert _post(_client(login_as, users.officer_a), _payload(areas=["NB-B"])).status_code == 404
    assert _post(_client(login_as, users.officer_a), _payload(areas=["NB-C"])).status_code == 404
    assert _post(_client(login_as, users.commander), _payload(areas=["NB-B"])).status_code == 404
    assert _post(_client(login_as, users.commander), _payload(areas=["NB-A", "NB-C"])).status_code == 201
    assert _post(Client(), _payload()).status_code == 401
    assert Activity.objects.count() == 1


def test_a_bearer_token_reads_and_writes_as_its_owner(recorded, users):
    _token, analyst_key = api_token_create(actor=users.analyst, name="reports")
    response = Client().get("/api/v1/activities", HTTP_AUTHORIZATION=f"Bearer {analyst_key}")
    assert response.status_code == 200 and response.json()["count"] == 5
    assert _post(Client(), _payload(), HTTP_AUTHORIZATION=f"Bearer {analyst_key}").status_code == 403

    _token, admin_key = api_token_create(actor=users.admin, name="sync")
    response = _post(Client(), _payload(areas=["NB-B"]), HTTP_AUTHORIZATION=f"Bearer {admin_key}")
    assert response.status_code == 201 and response.json()["areas"] == ["NB-B"]
    assert Client().get("/api/v1/activities", HTTP_AUTHORIZATION="Bearer bb_not_a_token").status_code == 401


def test_put_replaces_the_record_for_those_who_may_edit_it(recorded, users, login_as):
    activity = recorded["a"]
    client = _client(login_as, users.officer_a)
    response = _put(client, activity.pk, _payload(type="patch-walk", title="Walk, corrected", people_reached=15))
    assert response.status_code == 200, response.content
    activity.refresh_from_db()
    assert (activity.title, activity.people_reached, activity.type.slug) == ("Walk, corrected", 15, "patch-walk")
    # Every field is replaced: the partner and categories left out are gone.
    assert not activity.partners.exists() and not activity.issue_categories.exists()

    assert _put(client, activity.pk, _payload(people_reached=-1)).status_code == 422
    # The joint walk reaches Castlegate, which officer A does not police: seen, not editable.
    assert _put(client, recorded["joint"].pk, _payload()).status_code == 403
    assert _put(_client(login_as, users.analyst), activity.pk, _payload()).status_code == 403
    assert _put(_client(login_as, users.officer_b), activity.pk, _payload()).status_code == 404
    assert _put(Client(), activity.pk, _payload()).status_code == 401


# --- compliance ---------------------------------------------------------------------------


def _compliance(client: Client, code: str, query: str = "period=2025-Q2&as_of=2025-06-30") -> Any:
    return client.get(f"/api/v1/compliance/{code}?{query}")


def test_compliance_is_the_commands_json(recorded, users, login_as):
    response = _compliance(_client(login_as, users.commander), "NPA-N")
    assert response.status_code == 200
    out = StringIO()
    call_command("compliance", "--area", "NPA-N", "--period", "2025-Q2", "--as-of", "2025-06-30", "--json", stdout=out)
    assert response.json() == json.loads(out.getvalue())
    teams = [team["code"] for team in response.json()["teams"]]
    assert teams[0] == "NPA-N" and sorted(teams[1:]) == ["NB-A", "NB-C"]
    walks = next(t for t in response.json()["teams"] if t["code"] == "NB-A")["standards"]
    # Two patch walks with partners a year, one (the council walk) by 30 June: 1 x 365 / 181 days
    # gone = 2.02 at this pace, on track; by 3 July (184 days) 1.98, at risk.
    patch = next(s for s in walks if s["key"] == "patch-walks-yearly")
    assert (patch["counted"], patch["status"]) == (1, "on_track")
    later = _compliance(_client(login_as, users.commander), "NB-A", "period=2025&as_of=2025-07-03").json()
    patch = next(s for s in later["teams"][0]["standards"] if s["key"] == "patch-walks-yearly")
    assert (patch["counted"], patch["status"]) == (1, "at_risk")


def test_compliance_scope(recorded, users, login_as):
    officer = _client(login_as, users.officer_a)
    assert [t["code"] for t in _compliance(officer, "NB-A").json()["teams"]] == ["NB-A"]
    assert _compliance(officer, "NPA-N").status_code == 404
    assert _compliance(officer, "NB-B").status_code == 404
    analyst = _compliance(_client(login_as, users.analyst), "TESTSHIRE").json()
    # Policing areas first, then the neighbourhoods, each level in ranked order.
    codes = [t["code"] for t in analyst["teams"]]
    assert set(codes[:2]) == {"NPA-N", "NPA-S"} and set(codes[2:]) == {"NB-A", "NB-B", "NB-C"}
    assert _compliance(_client(login_as, users.partner), "NB-A").status_code == 403
    assert _compliance(Client(), "NB-A").status_code == 401
    assert _compliance(officer, "NB-A", "period=2025-13").status_code == 400
    assert _compliance(officer, "E01900001").status_code == 400  # an LSOA is not a team


def test_a_page_costs_the_same_queries_whatever_its_length(area_tree, users, login_as, django_assert_num_queries):
    council = Partner.objects.create(force=area_tree.force, name="Brookside Council")
    client = _client(login_as, users.officer_b)
    _record([area_tree.nbhd_b], partners=[council], officers=[users.officer_b])
    client.get("/api/v1/activities")  # the session and the first-use lookups
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/activities").json()["results"]) == 1
    for day in range(1, 20):
        _record(
            [area_tree.nbhd_b], partners=[council], officers=[users.officer_b], starts_at=JUNE - dt.timedelta(days=day)
        )
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get("/api/v1/activities").json()["results"]) == 20


def test_schema_errors_come_in_the_same_shape_as_rule_errors(area_tree, users, login_as):
    client = Client()
    login_as(client, users.officer_a)
    response = client.post(
        "/api/v1/activities",
        data=json.dumps(_payload(people_reached=200_000_000, online_reach="lots")),
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) == {"people_reached", "online_reach"}


def test_compliance_of_a_past_period_is_judged_on_its_last_day_and_a_future_day_is_refused(area_tree, users, login_as):
    client = Client()
    login_as(client, users.analyst)
    url = f"/api/v1/compliance/{area_tree.nbhd_a.code}"
    past = client.get(url, {"period": "2025-03"})
    assert past.status_code == 200 and past.json()["as_of"] == "2025-03-31"
    future = client.get(url, {"period": "2025", "as_of": "2999-01-01"})
    assert future.status_code == 400 and "future" in future.json()["detail"]
