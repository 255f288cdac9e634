"""GET /api/v1/crime/{code}/summary: the crime-summary JSON, scoped by the caller's areas."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from beatbook.accounts import services
from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Level
from beatbook.areas.tests.synthetic import SmallForce, build_small_force, sign_in

from .profile_data import add_crime

pytestmark = pytest.mark.django_db


@pytest.fixture
def small() -> SmallForce:
    small = build_small_force()
    add_crime(small)
    return small


def url(code: str, query: str = "") -> str:
    return f"/api/v1/crime/{code}/summary" + (f"?{query}" if query else "")


def get(small: SmallForce, user: str, path: str) -> Any:
    return sign_in(Client(), small.users[user]).get(path)


def test_same_json_as_the_command(small: SmallForce) -> None:
    response = get(small, "officer", url("TST-N1", "from=2022-01&to=2022-12"))
    assert response.status_code == 200
    out = StringIO()
    call_command("crime-summary", "--area", "TST-N1", "--from", "2022-01", "--to", "2022-12", "--json", stdout=out)
    assert response.json() == json.loads(out.getvalue())
    data = response.json()
    assert (data["from"], data["to"], data["count"], data["harm"]) == ("2022-01", "2022-12", 21, 2875.3)


def test_default_period_is_the_last_twelve_months_held(small: SmallForce) -> None:
    data = get(small, "analyst", url("E23900001")).json()
    assert (data["from"], data["to"], data["count"]) == ("2022-01", "2022-12", 46)
    data = get(small, "analyst", url("E23900001", "to=2021-12")).json()
    assert (data["from"], data["to"], data["count"]) == ("2021-01", "2021-12", 13)


def test_scope(small: SmallForce) -> None:
    # The officer of Neighbourhood 1 sees it and its LSOAs, nothing else.
    assert get(small, "officer", url("E01900001")).status_code == 200
    for code in ("TST-N2", "TST-A", "E23900001", "E01900004", "E23900002", "NOPE"):
        assert get(small, "officer", url(code)).status_code == 404, code
    assert get(small, "commander", url("TST-A")).json()["count"] == 29
    assert get(small, "outsider", url("E23900001")).status_code == 404
    assert get(small, "outsider", url("E23900002")).json()["count"] == 100
    assert Client().get(url("TST-N1")).status_code == 401


def test_ward_limited_to_the_callers_lsoas(small: SmallForce) -> None:
    officer = get(small, "officer", url("E05900001", "from=2022-01&to=2022-12")).json()
    analyst = get(small, "analyst", url("E05900001", "from=2022-01&to=2022-12")).json()
    assert (officer["count"], officer["partial"]) == (4, True)
    assert (analyst["count"], analyst["partial"]) == (7, False)


def test_token_access(small: SmallForce) -> None:
    _token, raw = services.api_token_create(actor=small.users["analyst"], name="reports")
    response = Client().get(url("TST-N1", "from=2022-03&to=2022-03"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert response.json()["by_month"][0]["by_category"] == {"burglary": 7}


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=2022-13", 400, "from: '2022-13' is not a month"),
        ("to=last", 400, "to: 'last' is not a month"),
        ("from=2022-05&to=2022-01", 400, "to (2022-01) is before from (2022-05)"),
        ("from=1900-01&to=2022-12", 400, "at most 240 months"),
        ("level=lsoa", 404, ""),
    ],
)
def test_bad_requests(small: SmallForce, query: str, status: int, message: str) -> None:
    response = get(small, "analyst", url("TST-N1", query))
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_ambiguous_code_needs_its_level(small: SmallForce) -> None:
    # A ward sharing the neighbourhood's code, visible because one of the LSOAs is in it.
    clash = Area.objects.create(level=Level.WARD, code="TST-N1", name="Clash", force=small.force)
    Area.objects.filter(code="E01900001").update(ward=clash)
    response = get(small, "analyst", url("TST-N1"))
    assert response.status_code == 400 and "?level=" in response.json()["detail"]
    assert get(small, "analyst", url("TST-N1", "level=neighbourhood")).json()["area"]["level"] == "neighbourhood"


def test_a_force_with_no_data_answers_zeros(small: SmallForce) -> None:
    empty = Area.objects.create(level=Level.FORCE, code="E23999999", name="Emptyshire Police")
    user = User.objects.create_user(username="empty", password=None, role=Role.ANALYST, area=empty)
    data = sign_in(Client(), user).get(url(empty.code)).json()
    assert data["count"] == 0 and data["months"] == 12 and len(data["by_month"]) == 12


def test_openapi_documents_the_period_parameters(small: SmallForce) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/crime/{code}/summary"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"code", "level", "from", "to"} <= names
