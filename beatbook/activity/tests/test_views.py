"""The activity pages for each persona: the quick form, the full edit, a record, delete, the
list with its filters and totals, and the CSV and XLSX exports of what the list shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beatbook.accounts.models import AuditEvent
from beatbook.activity import services
from beatbook.activity.exports import EXPORT_COLUMNS
from beatbook.activity.models import Activity, ActivityType, IssueCategory, Partner
from beatbook.areas.models import Area, Level

LIST = reverse("activity:list")
CREATE = reverse("activity:create")
CSV_URL = reverse("activity:export_csv")
XLSX_URL = reverse("activity:export_xlsx")

# The tests make the types and categories they use: a transactional test elsewhere in the
# run may have emptied the rows migration 0002 installs.
TYPE_NAMES = {
    "patch-walk": "Patch walk",
    "beat-surgery": "Beat surgery",
    "newsletter": "Newsletter",
    "ward-meeting": "Ward or parish meeting",
}
CATEGORY_NAMES = {"speeding": "Speeding and road safety", "drugs": "Drug dealing or use", "parking": "Parking"}


def kind(slug: str) -> ActivityType:
    return ActivityType.objects.get_or_create(slug=slug, defaults={"name": TYPE_NAMES.get(slug, slug)})[0]


def category(slug: str) -> IssueCategory:
    return IssueCategory.objects.get_or_create(slug=slug, defaults={"name": CATEGORY_NAMES.get(slug, slug)})[0]


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def record(areas: list[Area], *, type: str = "patch-walk", day: dt.date | None = None, **fields: Any) -> Activity:
    data = services.ActivityData(
        type=kind(type), starts_at=local(day or days_ago(3), fields.pop("hour", 10)), areas=areas, **fields
    )
    return services.activity_create(actor=None, data=data)


def detail_url(activity: Activity) -> str:
    return reverse("activity:detail", kwargs={"pk": activity.pk})


def edit_url(activity: Activity) -> str:
    return reverse("activity:edit", kwargs={"pk": activity.pk})


def delete_url(activity: Activity) -> str:
    return reverse("activity:delete", kwargs={"pk": activity.pk})


def signed_in(login_as: Any, user: Any) -> Client:
    return login_as(Client(), user)


@pytest.fixture
def partners(area_tree: Any) -> dict[str, Partner]:
    return {
        "council": Partner.objects.create(force=area_tree.force, name="Abbeyfield Borough Council", kind="council"),
        "fire": Partner.objects.create(force=area_tree.force, name="Testshire Fire and Rescue", kind="fire"),
    }


def quick_data(area: Area, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind("patch-walk").pk,
        "date": days_ago(2).isoformat(),
        "time": "18:30",
        "area": area.pk,
        "address": "Abbey Road shops",
        "people_reached": "14",
        "online_reach": "",
        "other_partners": "Neighbourhood Watch",
        "issues_raised": "Parking on the zigzags outside the school.",
        "officer_hours": "1.5",
        "priorities_set": "on",
        "client_id": str(uuid.uuid4()),
        **extra,
    }


# --- The quick form -------------------------------------------------------------------------


@pytest.mark.django_db
def test_quick_form_for_an_officer_shows_their_one_neighbourhood(area_tree, users, login_as, partners):
    kind("patch-walk")
    response = signed_in(login_as, users.officer_a).get(CREATE)
    assert response.status_code == 200
    html = response.content.decode()
    form = response.context["form"]
    assert form.single_area == area_tree.nbhd_a
    assert f'<input type="hidden" name="area" value="{area_tree.nbhd_a.pk}" id="id_area">' in html
    assert '<p class="govuk-body">Abbeyfield</p>' in html
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in html  # the date defaults to today
    assert 'name="client_id"' in html and form.initial["client_id"]
    assert "Abbeyfield Borough Council" in html  # the force's partners are offered
    assert f'data-bb-draft-key="beatbook.activity-draft.{users.officer_a.pk}"' in html


@pytest.mark.django_db
def test_quick_form_lets_a_commander_choose_among_their_areas(area_tree, users, login_as):
    response = signed_in(login_as, users.commander).get(CREATE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.single_area is None
    assert set(form.fields["area"].queryset) == {area_tree.npa_north, area_tree.nbhd_a, area_tree.nbhd_c}
    assert form.initial["area"] == area_tree.npa_north  # their own area first


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["analyst", "partner"])
def test_analysts_and_partners_cannot_record(area_tree, users, login_as, persona):
    client = signed_in(login_as, getattr(users, persona))
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, quick_data(area_tree.nbhd_a)).status_code == 403
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(area_tree, users):
    activity = record([area_tree.nbhd_a])
    for url in (LIST, CREATE, detail_url(activity), edit_url(activity), delete_url(activity), CSV_URL, XLSX_URL):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url
    assert Client().post(delete_url(activity)).status_code == 302
    assert Activity.objects.filter(pk=activity.pk).exists()


@pytest.mark.django_db
def test_recording_an_activity(area_tree, users, login_as, partners):
    data = quick_data(
        area_tree.nbhd_a,
        partners=[partners["council"].pk],
        issue_categories=[category("parking").pk, category("speeding").pk],
    )
    response = signed_in(login_as, users.officer_a).post(CREATE, data)
    activity = Activity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{detail_url(activity)}?recorded=1"
    assert activity.type.slug == "patch-walk"
    assert timezone.localtime(activity.starts_at).replace(tzinfo=None) == dt.datetime.combine(
        days_ago(2), dt.time(18, 30)
    )
    assert activity.date == days_ago(2)
    assert list(activity.area_links.values_list("area__code", flat=True)) == ["NB-A"]
    assert activity.address == "Abbey Road shops"
    assert activity.people_reached == 14 and activity.online_reach == 0
    assert list(activity.partners.all()) == [partners["council"]]
    assert activity.other_partners == "Neighbourhood Watch"
    assert sorted(activity.issue_categories.values_list("slug", flat=True)) == ["parking", "speeding"]
    assert activity.officer_hours == Decimal("1.50")
    assert activity.priorities_set is True
    assert list(activity.officers.all()) == [users.officer_a]
    assert activity.recorded_by == users.officer_a
    assert str(activity.client_id) == data["client_id"]
    assert AuditEvent.objects.filter(action="activity.create", object_id=str(activity.pk)).count() == 1

    page = signed_in(login_as, users.officer_a).get(response["Location"]).content.decode()
    assert "Activity recorded" in page
    assert f'href="{edit_url(activity)}">Add more details' in page
    assert f'href="{CREATE}">Record another' in page


@pytest.mark.django_db
def test_sending_the_same_form_twice_records_it_once(area_tree, users, login_as):
    data = quick_data(area_tree.nbhd_a)
    client = signed_in(login_as, users.officer_a)
    first = client.post(CREATE, data)
    second = client.post(CREATE, data)
    activity = Activity.objects.get()
    assert first["Location"] == second["Location"] == f"{detail_url(activity)}?recorded=1"
    assert AuditEvent.objects.filter(action="activity.create").count() == 1


@pytest.mark.django_db
def test_bad_input_keeps_what_was_typed_and_names_the_fields(area_tree, users, login_as):
    data = quick_data(area_tree.nbhd_a, type="", people_reached="-3", officer_hours="lots")
    response = signed_in(login_as, users.officer_a).post(CREATE, data)
    assert response.status_code == 200
    assert not Activity.objects.exists()
    html = response.content.decode()
    assert "<title>Error: Record activity" in html
    summary = html[html.index("govuk-error-summary") : html.index("</ul>", html.index("govuk-error-summary"))]
    assert '<a href="#id_type">Choose the type of activity</a>' in summary
    assert '<a href="#id_people_reached">Enter a whole number, 0 or more</a>' in summary
    assert '<a href="#id_officer_hours">Enter officer time as a number of hours, like 1.5</a>' in summary
    assert 'id="id_people_reached-error"' in html
    assert 'value="-3"' in html and 'value="lots"' in html
    assert 'value="Abbey Road shops"' in html
    assert "Parking on the zigzags outside the school.</textarea>" in html
    assert f'value="{data["client_id"]}"' in html  # a retry after fixing it is still the same record
    assert 'id="id_priorities_set" checked' in html


@pytest.mark.django_db
def test_a_future_date_is_refused_on_the_date_field(area_tree, users, login_as):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = signed_in(login_as, users.officer_a).post(
        CREATE, quick_data(area_tree.nbhd_a, date=tomorrow.isoformat())
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date"] == [
        "The date is in the future: record activity once it has happened."
    ]
    assert '<a href="#id_date">The date is in the future' in response.content.decode()
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_an_officer_cannot_record_for_another_neighbourhood(area_tree, users, login_as):
    response = signed_in(login_as, users.officer_a).post(CREATE, quick_data(area_tree.nbhd_b))
    assert response.status_code == 200
    # The area is not one the form offers; the error is listed above the form and links to its first field.
    assert '<a href="#id_type">Choose a neighbourhood you record activity for</a>' in response.content.decode()
    assert not Activity.objects.exists()


@pytest.mark.django_db
def test_a_client_id_used_in_another_neighbourhood_is_refused(area_tree, users, login_as):
    theirs = record([area_tree.nbhd_b])
    Activity.objects.filter(pk=theirs.pk).update(client_id=uuid.UUID("00000000-0000-4000-8000-000000000001"))
    data = quick_data(area_tree.nbhd_a, client_id="00000000-0000-4000-8000-000000000001")
    assert signed_in(login_as, users.officer_a).post(CREATE, data).status_code == 403
    assert Activity.objects.count() == 1


# --- A record -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_detail_for_each_persona(area_tree, users, login_as, partners):
    activity = record(
        [area_tree.nbhd_a],
        title="Spring patch walk",
        partners=[partners["fire"]],
        people_reached=9,
        demographics={"age": {"under_18": 4, "65_plus": 2}},
        links=["https://example.org/minutes"],
    )
    officer = signed_in(login_as, users.officer_a).get(detail_url(activity))
    assert officer.status_code == 200
    html = officer.content.decode()
    assert '<h1 class="govuk-heading-l">Spring patch walk</h1>' in html
    assert "Testshire Fire and Rescue" in html
    assert "<li>Under 18: 4</li>" in html and "<li>65 and over: 2</li>" in html
    assert 'href="https://example.org/minutes"' in html
    assert f'href="{edit_url(activity)}"' in html and f'href="{delete_url(activity)}"' in html
    assert "Activity recorded" not in html

    commander = signed_in(login_as, users.commander).get(detail_url(activity))
    assert commander.status_code == 200 and f'href="{edit_url(activity)}"' in commander.content.decode()
    analyst = signed_in(login_as, users.analyst).get(detail_url(activity))
    assert analyst.status_code == 200 and f'href="{edit_url(activity)}"' not in analyst.content.decode()
    assert signed_in(login_as, users.officer_b).get(detail_url(activity)).status_code == 404
    # Partners see only what is shared with them.
    assert signed_in(login_as, users.partner).get(detail_url(activity)).status_code == 404
    Activity.objects.filter(pk=activity.pk).update(shared_with_partners=True)
    partner = signed_in(login_as, users.partner).get(detail_url(activity))
    assert partner.status_code == 200
    assert f'href="{edit_url(activity)}"' not in partner.content.decode()
    assert f'href="{delete_url(activity)}"' not in partner.content.decode()


# --- The full edit --------------------------------------------------------------------------


@pytest.fixture
def ward(area_tree: Any) -> Area:
    return Area.objects.create(
        level=Level.WARD, code="E05900001", name="Abbey ward", force=area_tree.force, source="test"
    )


def edit_data(activity: Activity, area_tree: Any, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Patch walk with the council",
        "type": activity.type.pk,
        "date": activity.date.isoformat(),
        "time": "09:15",
        "areas": [area_tree.nbhd_a.pk],
        "address": "Abbey Park",
        "ward": "",
        "latitude": "",
        "longitude": "",
        "people_reached": "21",
        "online_reach": "0",
        "officer_hours": "3",
        "other_partners": "",
        "issues_raised": "",
        "follow_up": "Council to cut back the hedges by May.",
        "links": "",
        "notes": "",
    }
    data.update(extra)
    return data


@pytest.mark.django_db
def test_edit_shows_what_is_recorded(area_tree, users, login_as, partners):
    activity = record(
        [area_tree.nbhd_a],
        title="Spring patch walk",
        partners=[partners["fire"]],
        officers=[users.officer_a],
        demographics={"sex": {"female": 5}},
        links=["https://example.org/a", "https://example.org/b"],
    )
    response = signed_in(login_as, users.officer_a).get(edit_url(activity))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Spring patch walk"' in html
    assert f'value="{partners["fire"].pk}" checked' in html
    assert f'value="{area_tree.nbhd_a.pk}" checked' in html
    assert 'name="reached_sex_female" value="5"' in html
    assert "https://example.org/a\nhttps://example.org/b</textarea>" in html
    # The officers are checkboxes in a fieldset whose legend names them (not a Ctrl-click list).
    assert f'id="id_officers_0" name="officers" type="checkbox" value="{users.officer_a.pk}" checked' in html
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Officers who took part</legend>' in html
    assert "Hold Ctrl" not in html and '<select name="officers"' not in html


@pytest.mark.django_db
def test_editing_everything(area_tree, users, login_as, partners, ward):
    # The commander is not on officer A's team, but already named: still offered.
    activity = record([area_tree.nbhd_a], people_reached=3, officers=[users.commander])
    data = edit_data(
        activity,
        area_tree,
        ward=ward.pk,
        latitude="52.71",
        longitude="-1.19",
        officers=[users.officer_a.pk, users.commander.pk],
        partners=[partners["council"].pk, partners["fire"].pk],
        issue_categories=[category("drugs").pk],
        reached_age_under_18="6",
        reached_ethnic_group_white="0",
        links="https://example.org/post\n\n https://example.org/video \n",
        shared_with_partners="on",
        priorities_set="on",
    )
    response = signed_in(login_as, users.officer_a).post(edit_url(activity), data)
    assert response.status_code == 302 and response["Location"] == detail_url(activity)
    activity.refresh_from_db()
    assert activity.title == "Patch walk with the council"
    assert timezone.localtime(activity.starts_at).time() == dt.time(9, 15)
    assert activity.ward == ward
    assert (activity.latitude, activity.longitude) == (52.71, -1.19)
    assert set(activity.officers.all()) == {users.officer_a, users.commander}
    assert set(activity.partners.all()) == {partners["council"], partners["fire"]}
    assert list(activity.issue_categories.values_list("slug", flat=True)) == ["drugs"]
    assert activity.people_reached == 21 and activity.officer_hours == Decimal(3)
    assert activity.demographics == {"age": {"under_18": 6}}  # the zero is "not recorded"
    assert activity.links == ["https://example.org/post", "https://example.org/video"]
    assert activity.follow_up == "Council to cut back the hedges by May."
    assert activity.shared_with_partners is True and activity.priorities_set is True
    assert AuditEvent.objects.filter(action="activity.update", object_id=str(activity.pk)).count() == 1


@pytest.mark.django_db
def test_edit_errors_from_the_service_land_on_their_fields(area_tree, users, login_as):
    activity = record([area_tree.nbhd_a])
    data = edit_data(activity, area_tree, latitude="52.7", links="ftp://example.org/file")
    response = signed_in(login_as, users.officer_a).post(edit_url(activity), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["latitude"] == ["Give both latitude and longitude, or neither."]
    assert errors["links"] == ["“ftp://example.org/file” is not a web address starting http:// or https://."]
    html = response.content.decode()
    assert '<a href="#id_latitude">' in html and '<a href="#id_links">' in html
    assert "ftp://example.org/file</textarea>" in html
    activity.refresh_from_db()
    assert activity.title == ""  # nothing was saved


@pytest.mark.django_db
def test_edit_error_summary_lists_the_fields_in_page_order(area_tree, users, login_as):
    activity = record([area_tree.nbhd_a])
    data = edit_data(
        activity,
        area_tree,
        date="31/02/2024",
        latitude="north",
        officer_hours="lots",
        people_reached="-1",
        reached_age_under_18="x",
        reached_ethnic_group_white="-2",
        officers=["999999"],
    )
    response = signed_in(login_as, users.officer_a).post(edit_url(activity), data)
    assert response.status_code == 200
    html = response.content.decode()
    summary, page = html.split('<div class="govuk-error-summary__body">', 1)[1].split("</ul>", 1)
    anchors = [part.split('"', 1)[0] for part in summary.split('<a href="#')[1:]]
    assert len(anchors) == 7
    # Each link's target, found in the page: they must come in the order the page shows them.
    positions = [page.index(f'id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions), anchors


@pytest.mark.django_db
def test_edit_without_a_neighbourhood_links_to_the_first_box(area_tree, users, login_as):
    activity = record([area_tree.nbhd_a])
    data = edit_data(activity, area_tree)
    del data["areas"]
    response = signed_in(login_as, users.officer_a).post(edit_url(activity), data)
    assert response.status_code == 200
    assert '<a href="#id_areas_0">Choose at least one neighbourhood</a>' in response.content.decode()


@pytest.mark.django_db
def test_who_may_edit(area_tree, users, login_as):
    in_a = record([area_tree.nbhd_a])
    joint = record([area_tree.nbhd_a, area_tree.nbhd_c])  # reaches a neighbourhood officer A does not police
    shared = record([area_tree.nbhd_a], shared_with_partners=True)
    assert signed_in(login_as, users.officer_a).get(edit_url(in_a)).status_code == 200
    assert signed_in(login_as, users.commander).get(edit_url(joint)).status_code == 200
    assert signed_in(login_as, users.officer_a).get(edit_url(joint)).status_code == 403
    assert signed_in(login_as, users.officer_b).get(edit_url(in_a)).status_code == 404
    assert signed_in(login_as, users.analyst).get(edit_url(in_a)).status_code == 403
    assert signed_in(login_as, users.partner).get(edit_url(shared)).status_code == 403
    assert signed_in(login_as, users.partner).get(edit_url(in_a)).status_code == 404
    before = Activity.objects.get(pk=in_a.pk).updated_at
    response = signed_in(login_as, users.officer_b).post(edit_url(in_a), edit_data(in_a, area_tree))
    assert response.status_code == 404
    assert Activity.objects.get(pk=in_a.pk).updated_at == before


# --- Delete ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delete_asks_then_deletes(area_tree, users, login_as):
    activity = record([area_tree.nbhd_a], title="Wrongly recorded walk")
    client = signed_in(login_as, users.officer_a)
    confirm = client.get(delete_url(activity))
    assert confirm.status_code == 200 and "Delete this activity?" in confirm.content.decode()
    assert Activity.objects.filter(pk=activity.pk).exists()
    response = client.post(delete_url(activity))
    assert response.status_code == 302 and response["Location"] == LIST
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert AuditEvent.objects.filter(action="activity.delete", object_id=str(activity.pk)).count() == 1
    assert "“Wrongly recorded walk” was deleted." in client.get(LIST).content.decode()


@pytest.mark.django_db
def test_delete_refused_out_of_scope(area_tree, users, login_as):
    activity = record([area_tree.nbhd_a], shared_with_partners=True)
    assert signed_in(login_as, users.officer_b).post(delete_url(activity)).status_code == 404
    assert signed_in(login_as, users.partner).post(delete_url(activity)).status_code == 403
    assert signed_in(login_as, users.analyst).get(delete_url(activity)).status_code == 403
    assert Activity.objects.filter(pk=activity.pk).exists()


# --- The list and its filters ---------------------------------------------------------------


@pytest.fixture
def logbook(area_tree: Any, partners: dict[str, Partner]) -> dict[str, Activity]:
    """Five activities: three in A (one shared with partners), one in C, one in B."""
    return {
        "walk_a": record(
            [area_tree.nbhd_a],
            day=days_ago(10),
            people_reached=12,
            officer_hours=Decimal("2.5"),
            partners=[partners["council"]],
            issue_categories=[category("speeding")],
            issues_raised="Speeding on Abbey Road",
        ),
        "surgery_a": record(
            [area_tree.nbhd_a],
            type="beat-surgery",
            day=days_ago(5),
            people_reached=4,
            officer_hours=Decimal("1.25"),
            title="Library surgery",
            shared_with_partners=True,
        ),
        "newsletter_a": record(
            [area_tree.nbhd_a],
            type="newsletter",
            day=days_ago(40),
            online_reach=350,
            notes="Emailed to the speeding working group",
        ),
        "walk_c": record(
            [area_tree.nbhd_c], day=days_ago(7), people_reached=8, officer_hours=Decimal(2), other_partners="Scouts"
        ),
        "walk_b": record([area_tree.nbhd_b], day=days_ago(3), people_reached=30, officer_hours=Decimal(4)),
    }


def listed(response: Any) -> list[int]:
    return [activity.pk for activity in response.context["page"].object_list]


@pytest.mark.django_db
def test_list_shows_what_each_persona_may_see(area_tree, users, login_as, logbook):
    officer = signed_in(login_as, users.officer_a).get(LIST)
    assert officer.status_code == 200
    # Newest first.
    assert listed(officer) == [logbook["surgery_a"].pk, logbook["walk_a"].pk, logbook["newsletter_a"].pk]
    totals = officer.context["totals"]
    assert (totals.activities, totals.people_reached, totals.online_reach) == (3, 16, 350)
    assert totals.officer_hours == Decimal("3.75")
    html = officer.content.decode()
    assert '<dd class="bb-totals__value" id="total-hours">3.75</dd>' in html
    assert f'href="{CREATE}"' in html

    commander = signed_in(login_as, users.commander).get(LIST)
    assert len(listed(commander)) == 4 and logbook["walk_b"].pk not in listed(commander)
    assert len(listed(signed_in(login_as, users.analyst).get(LIST))) == 5
    assert f'href="{CREATE}"' not in signed_in(login_as, users.analyst).get(LIST).content.decode()
    assert listed(signed_in(login_as, users.officer_b).get(LIST)) == [logbook["walk_b"].pk]
    partner = signed_in(login_as, users.partner).get(LIST)
    assert listed(partner) == [logbook["surgery_a"].pk]
    assert partner.context["totals"].activities == 1
    assert f'href="{CREATE}"' not in partner.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "beat-surgery"}, ["surgery_a"]),
        ({"date_from": 9, "date_to": 4}, ["surgery_a", "walk_c"]),
        ({"date_from": 7, "date_to": 7}, ["walk_c"]),
        ({"category": "speeding"}, ["walk_a"]),
        ({"q": "SPEEDING"}, ["walk_a", "newsletter_a"]),  # issues raised, and notes
        ({"q": "library"}, ["surgery_a"]),  # the title
        ({"with_partners": "on"}, ["walk_c", "walk_a"]),  # a listed partner, or another named one
        ({"area": "NB-C"}, ["walk_c"]),
        ({"area": "NPA-N"}, ["surgery_a", "walk_c", "walk_a", "newsletter_a"]),  # its neighbourhoods too
    ],
)
def test_list_filters(area_tree, users, login_as, logbook, params, expected):
    query: dict[str, Any] = {}
    for name, value in params.items():
        if name == "type":
            query[name] = kind(value).pk
        elif name == "category":
            query[name] = category(value).pk
        elif name.startswith("date_"):
            query[name] = days_ago(value).isoformat()
        elif name == "area":
            query[name] = Area.objects.get(code=value).pk
        else:
            query[name] = value
    response = signed_in(login_as, users.commander).get(LIST, query)
    assert response.status_code == 200
    assert listed(response) == [logbook[name].pk for name in expected]
    assert response.context["totals"].activities == len(expected)


@pytest.mark.django_db
def test_filters_cannot_widen_what_is_visible(area_tree, users, login_as, logbook):
    response = signed_in(login_as, users.officer_a).get(LIST, {"area": area_tree.nbhd_b.pk})
    assert response.status_code == 200
    assert response.context["form"].errors["area"] == ["Choose from the list"]
    assert listed(response) == []


@pytest.mark.django_db
def test_list_filter_dates_in_the_wrong_order(area_tree, users, login_as, logbook):
    response = signed_in(login_as, users.officer_a).get(
        LIST, {"date_from": days_ago(1).isoformat(), "date_to": days_ago(9).isoformat()}
    )
    assert response.context["form"].errors["date_to"] == ["The end date must be the same as or after the start date"]
    assert '<a href="#id_date_to">' in response.content.decode()


@pytest.mark.django_db
def test_list_pages_by_fifty_with_a_fixed_number_of_queries(
    area_tree, users, login_as, partners, django_assert_max_num_queries
):
    for n in range(51):
        record([area_tree.nbhd_a], day=days_ago(n % 30 + 1), partners=[partners["council"]], people_reached=1)
    client = signed_in(login_as, users.officer_a)
    client.get(LIST)  # warm the session and the user
    with django_assert_max_num_queries(12):
        first = client.get(LIST)
    assert len(listed(first)) == 50
    assert first.context["totals"].people_reached == 51
    html = first.content.decode()
    assert "Page 1 of 2" in html and 'href="?page=2"' in html
    second = client.get(LIST, {"page": "2", "with_partners": "on"})
    assert len(listed(second)) == 1
    assert 'href="?with_partners=on&amp;page=1"' in second.content.decode()


@pytest.mark.django_db
def test_export_links_carry_the_filters(area_tree, users, login_as, logbook):
    response = signed_in(login_as, users.officer_a).get(LIST, {"q": "speeding", "page": "1"})
    html = response.content.decode()
    assert f'href="{CSV_URL}?q=speeding"' in html
    assert f'href="{XLSX_URL}?q=speeding"' in html


# --- Exports --------------------------------------------------------------------------------


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response: Any) -> list[dict[str, str]]:
    body = streamed(response)
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs to read UTF-8
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    return list(reader)


@pytest.mark.django_db
def test_csv_export_of_the_filtered_list(area_tree, users, login_as, logbook):
    response = signed_in(login_as, users.commander).get(CSV_URL, {"with_partners": "on"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate()
    assert response["Content-Disposition"] == f'attachment; filename="activity-{today:%Y-%m-%d}.csv"'
    rows = csv_rows(response)
    assert [row["id"] for row in rows] == [str(logbook["walk_c"].pk), str(logbook["walk_a"].pk)]
    walk_c, walk_a = rows
    assert walk_a["date"] == days_ago(10).isoformat() and walk_a["time"] == "10:00"
    assert walk_a["type"] == "patch-walk" and walk_a["areas"] == "NB-A"
    assert walk_a["partners"] == "Abbeyfield Borough Council"
    assert walk_a["people_reached"] == "12" and walk_a["officer_hours"] == "2.5"
    assert walk_a["issue_categories"] == "speeding" and walk_a["issues_raised"] == "Speeding on Abbey Road"
    assert walk_a["priorities_set"] == "no" and walk_a["shared_with_partners"] == "no"
    assert walk_c["other_partners"] == "Scouts" and walk_c["partners"] == ""
    assert walk_c["areas"] == "NB-C" and walk_c["officer_hours"] == "2"


@pytest.mark.django_db
def test_csv_export_is_limited_to_what_the_user_sees(area_tree, users, login_as, logbook):
    rows = csv_rows(signed_in(login_as, users.partner).get(CSV_URL))
    assert [row["id"] for row in rows] == [str(logbook["surgery_a"].pk)]
    rows = csv_rows(signed_in(login_as, users.officer_b).get(CSV_URL))
    assert [row["id"] for row in rows] == [str(logbook["walk_b"].pk)]


@pytest.mark.django_db
def test_xlsx_export_of_the_filtered_list(area_tree, users, login_as, logbook):
    from openpyxl import load_workbook

    response = signed_in(login_as, users.officer_a).get(XLSX_URL, {"type": kind("newsletter").pk})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"activity-{timezone.localdate():%Y-%m-%d}.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(streamed(response))).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert tuple(header) == EXPORT_COLUMNS
    assert all(cell.font.b for cell in rows[0])
    (row,) = rows[1:]
    values = dict(zip(header, (cell.value for cell in row), strict=True))
    assert values["date"] == dt.datetime.combine(days_ago(40), dt.time())  # a real date
    assert row[0].number_format == "yyyy-mm-dd"
    assert values["type"] == "newsletter" and values["online_reach"] == 350
    assert values["notes"] == "Emailed to the speeding working group"
    assert values["id"] == logbook["newsletter_a"].pk


@pytest.mark.django_db
def test_xlsx_export_too_big_for_excel_points_to_csv(area_tree, users, login_as, logbook, monkeypatch):
    monkeypatch.setattr("beatbook.activity.exports.XLSX_MAX_ROWS", 2)
    client = signed_in(login_as, users.officer_a)
    response = client.get(XLSX_URL, {"q": "a"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?q=a"
    assert "That is 3 activities: more than an Excel file made here can hold (2)." in client.get(LIST).content.decode()
    assert client.get(XLSX_URL, {"type": kind("patch-walk").pk}).status_code == 200  # one activity
