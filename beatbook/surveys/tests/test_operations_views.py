"""The staff survey pages: responses and their review, paper and phone entry, concern themes.

Each page is tried by an allowed user, an officer of another area, a partner and anonymously.
This module is also the URL configuration of these tests (and of the browser test): it mounts
the staff survey pages where the lead mounts them, unless the project's URLs already do.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beatbook.accounts.models import AuditEvent, Role
from beatbook.accounts.services import user_create
from beatbook.areas.models import Area, CensusCount, CensusTopic, Level
from beatbook.surveys import selectors, services
from beatbook.surveys.models import ConcernTheme, Postcode, Response, ResponseStatus, Survey, Wave
from beatbook.surveys.operations_forms import new_entry_token
from beatbook.surveys.tests.survey_fixtures import confidence

pytestmark = [pytest.mark.django_db]

SLUG = "your-views"
POSTCODE_A = "AB1 1AA"  # in Abbeyfield (neighbourhood A, North)
POSTCODE_B = "AB2 2BB"  # in Brookside (neighbourhood B, South)
READERS = ("commander", "analyst", "admin")
NOT_READERS = ("officer_a", "officer_b", "partner")


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"survey_manage:{name}", kwargs={"slug": SLUG, **kwargs})


@pytest.fixture
def census(area_tree: Any) -> None:
    """A few census cells per LSOA, so every neighbourhood has people to weight to."""
    cells = {
        CensusTopic.AGE: [("Aged 20 to 24", 100), ("Aged 30 to 34", 100), ("Aged 50 to 54", 100)],
        CensusTopic.SEX: [("Female", 160), ("Male", 140)],
        CensusTopic.ETHNIC_GROUP: [("White: Irish", 200), ("Asian, Asian British or Asian Welsh: Indian", 100)],
    }
    for lsoa in area_tree.lsoas.values():
        for topic, rows in cells.items():
            for position, (category, count) in enumerate(rows):
                CensusCount.objects.create(
                    lsoa=lsoa, census_year=2021, topic=topic, category=category, position=position, count=count
                )


@pytest.fixture
def survey(area_tree: Any, census: None) -> Survey:
    return services.survey_create_from_template(
        actor=None, force=area_tree.force, name="Your Views", slug=SLUG, min_responses=1
    )


@pytest.fixture
def wave(survey: Survey) -> Wave:
    today = timezone.localdate()
    return services.wave_create(
        actor=None,
        survey=survey,
        code="now",
        name="This wave",
        opens_on=today - dt.timedelta(days=5),
        closes_on=today + dt.timedelta(days=10),
    )


@pytest.fixture
def postcodes(area_tree: Any) -> None:
    for code, lsoa in ((POSTCODE_A, area_tree.lsoa_a), (POSTCODE_B, area_tree.lsoa_b)):
        Postcode.objects.create(postcode=code, lsoa_code=lsoa.code, lsoa=lsoa)


def record(survey: Survey, wave: Wave, lsoa: Any, *values: int, **extra: Any) -> Response:
    return services.response_record(
        survey=survey, wave=wave, answers={**confidence(*values), **extra}, channel="paper", language="en", lsoa=lsoa
    )


def flagged(survey: Survey, wave: Wave, lsoa: Any, *values: int) -> Response:
    """A public submission caught by the honeypot: kept, but out of the scores until reviewed."""
    response = services.response_submit(
        survey=survey,
        wave=wave,
        answers=confidence(*values),
        language="en",
        client_address="192.0.2.7",
        lsoa=lsoa,
        honeypot="http://spam.example",
    )
    assert response.status == ResponseStatus.FLAGGED
    return response


def client_for(login_as: Any, users: Any, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        login_as(client, getattr(users, persona))
    return client


def assert_login_redirect(response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- who may use each page ------------------------------------------------------------------------

PAGES_FOR_READERS = ("responses", "response")


@pytest.mark.parametrize("persona", ["anonymous", *READERS, *NOT_READERS])
@pytest.mark.parametrize("page", PAGES_FOR_READERS)
def test_responses_are_read_by_commanders_analysts_and_admins(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave, persona: str, page: str
) -> None:
    response = record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4)
    address = url("responses") if page == "responses" else url("response", pk=response.pk)
    got = client_for(login_as, users, persona).get(address)
    if persona == "anonymous":
        assert_login_redirect(got)
    elif persona in READERS:
        assert got.status_code == 200
    else:
        assert got.status_code == 403


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("anonymous", 302),
        ("officer_a", 200),
        ("officer_b", 200),
        ("commander", 200),
        ("admin", 200),
        ("analyst", 403),
        ("partner", 403),
    ],
)
def test_entry_is_for_officers_commanders_and_admins(
    users: Any, login_as: Any, survey: Survey, wave: Wave, persona: str, expected: int
) -> None:
    got = client_for(login_as, users, persona).get(url("enter"))
    if persona == "anonymous":
        assert_login_redirect(got)
    else:
        assert got.status_code == expected


@pytest.mark.parametrize("persona", ["anonymous", "admin", "analyst", "commander", "officer_a", "officer_b", "partner"])
@pytest.mark.parametrize("page", ["themes", "theme_add", "theme_edit"])
def test_themes_are_for_administrators_and_analysts(
    users: Any, login_as: Any, survey: Survey, persona: str, page: str
) -> None:
    address = url(page, theme="drugs") if page == "theme_edit" else url(page)
    got = client_for(login_as, users, persona).get(address)
    if persona == "anonymous":
        assert_login_redirect(got)
    else:
        assert got.status_code == (200 if persona in ("admin", "analyst") else 403)


def test_an_analyst_changes_the_taxonomy(users: Any, login_as: Any, survey: Survey) -> None:
    client = client_for(login_as, users, "analyst")
    got = client.post(
        url("theme_edit", theme="drugs"),
        {"name": "Drugs and dealing", "keywords": "drug*\nweed", "position": "3", "active": "on"},
    )
    assert got.status_code == 302
    saved = ConcernTheme.objects.get(force=survey.force, slug="drugs")
    assert saved.name == "Drugs and dealing" and saved.keywords.splitlines() == ["drug*", "weed"]


def test_a_survey_of_another_force_is_not_found(users: Any, login_as: Any, survey: Survey) -> None:
    other = Area.objects.create(level=Level.FORCE, code="ELSEWHERE", name="Elsewhere Police")
    stranger = user_create(
        actor=None, username="stranger", password=None, role=Role.COMMANDER, area=other, email="s@example.org"
    )
    client = Client()
    client.force_login(stranger)
    for name in ("responses", "enter", "themes"):
        assert client.get(url(name)).status_code == 404


# --- the responses ------------------------------------------------------------------------------


def test_the_list_shows_flagged_first_with_counts_per_status(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    counted = record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4)
    held = flagged(survey, wave, area_tree.lsoa_a, 1, 1, 1, 1, 1)
    client = client_for(login_as, users, "analyst")
    html = client.get(url("responses")).content.decode()
    assert html.index(url("response", pk=held.pk)) < html.index(url("response", pk=counted.pk))
    assert 'id="count-flagged">1<' in html and 'id="count-counted">1<' in html and 'id="count-excluded">0<' in html
    assert "A field people cannot see was filled in" in html
    assert "Abbeyfield" in html and "This wave" in html and "Paper" in html and "Online" in html
    only_flagged = client.get(url("responses"), {"status": "flagged"}).content.decode()
    assert url("response", pk=held.pk) in only_flagged and url("response", pk=counted.pk) not in only_flagged


def test_readers_see_only_respondents_in_their_scope(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    north = record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4)
    south = record(survey, wave, area_tree.lsoa_b, 2, 2, 2, 2, 2)
    commander = client_for(login_as, users, "commander")
    html = commander.get(url("responses")).content.decode()
    assert url("response", pk=north.pk) in html and url("response", pk=south.pk) not in html
    assert commander.get(url("response", pk=south.pk)).status_code == 404
    analyst = client_for(login_as, users, "analyst")
    assert url("response", pk=south.pk) in analyst.get(url("responses")).content.decode()


def test_the_list_filters_by_wave_and_pages_by_fifty(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    earlier = services.wave_create(
        actor=None,
        survey=survey,
        code="before",
        name="Earlier wave",
        opens_on=wave.opens_on - dt.timedelta(days=200),
        closes_on=wave.opens_on - dt.timedelta(days=170),
    )
    old = record(survey, earlier, area_tree.lsoa_a, 3, 3, 3, 3, 3)
    for _ in range(50):
        record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4)
    client = client_for(login_as, users, "analyst")
    html = client.get(url("responses"), {"wave": wave.pk}).content.decode()
    assert "50 responses" in html and url("response", pk=old.pk) not in html
    assert "Page 1 of" not in html
    everything = client.get(url("responses")).content.decode()
    assert "51 responses" in everything and "Page 1 of 2" in everything
    second = client.get(url("responses"), {"page": 2}).content.decode()
    assert len(re.findall(rf'href="{url("responses")}\d+/"', second)) == 1


def test_a_response_shows_the_words_the_respondent_was_asked(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    answered = record(survey, wave, area_tree.lsoa_a, 5, 4, 3, 2, 1, **{"main-concern": "Parked cars"})
    question = survey.questions.get(key="feel-safe")
    old_words = selectors.current_version(question).texts["en"]["text"]
    texts = {"en": {**selectors.current_version(question).texts["en"], "text": "How safe do you feel at night?"}}
    services.question_reword(actor=None, question=question, texts=texts)
    html = client_for(login_as, users, "analyst").get(url("response", pk=answered.pk)).content.decode()
    assert old_words in html and "How safe do you feel at night?" not in html
    assert "wording version 1, since changed" in html
    assert "Strongly agree" in html and "Parked cars" in html and "Not answered" in html


def test_reviewing_a_flagged_response_moves_it_into_the_scores_and_is_audited(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4)
    held = flagged(survey, wave, area_tree.lsoa_a, 1, 1, 1, 1, 1)

    def scored_responses() -> int:
        rows, inputs = selectors.survey_scores(survey)
        [force_row] = [row for row in rows if row.level == "force" and row.wave == len(inputs.waves) - 1]
        return int(force_row.responses or 0)

    before = scored_responses()
    client = client_for(login_as, users, "analyst")
    page = client.get(url("response", pk=held.pk)).content.decode()
    assert "Review this response" in page and "A field people cannot see was filled in" in page
    got = client.post(url("response", pk=held.pk), {"decision": "count", "note": "A real resident: we checked."})
    assert got.status_code == 302 and got["Location"].endswith("?status=flagged")
    held.refresh_from_db()
    assert held.status == ResponseStatus.COUNTED and held.reviewed_by == users.analyst
    assert scored_responses() == before + 1
    event = AuditEvent.objects.get(action="survey.response_review", object_id=str(held.pk))
    assert event.actor == users.analyst
    assert (event.before or {}).get("status") == "flagged" and (event.after or {}).get("status") == "counted"
    history = client.get(url("response", pk=held.pk)).content.decode()
    assert "Reviewed: Counted" in history and "A real resident: we checked." in history


def test_excluding_needs_a_note_and_changes_nothing_without_one(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    held = flagged(survey, wave, area_tree.lsoa_a, 1, 1, 1, 1, 1)
    client = client_for(login_as, users, "admin")
    got = client.post(url("response", pk=held.pk), {"decision": "exclude", "note": "  "})
    html = got.content.decode()
    assert got.status_code == 200
    assert '<a href="#note">Say why the response is excluded.</a>' in html
    assert 'id="note-error"' in html and 'value="exclude" checked' in html
    held.refresh_from_db()
    assert held.status == ResponseStatus.FLAGGED and not AuditEvent.objects.filter(action="survey.response_review")
    no_choice = client.post(url("response", pk=held.pk), {"note": "hmm"}).content.decode()
    assert '<a href="#decision">Choose whether to count or exclude the response.</a>' in no_choice
    client.post(url("response", pk=held.pk), {"decision": "exclude", "note": "Sent by a robot."})
    held.refresh_from_db()
    assert held.status == ResponseStatus.EXCLUDED and held.review_note == "Sent by a robot."


def test_a_commander_reviews_responses_from_their_own_npa_only(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    north = flagged(survey, wave, area_tree.lsoa_a, 1, 1, 1, 1, 1)
    south = flagged(survey, wave, area_tree.lsoa_b, 1, 1, 1, 1, 1)
    client = client_for(login_as, users, "commander")
    assert 'name="decision"' in client.get(url("response", pk=north.pk)).content.decode()
    client.post(url("response", pk=north.pk), {"decision": "count", "note": ""})
    north.refresh_from_db()
    assert north.status == ResponseStatus.COUNTED
    assert client.post(url("response", pk=south.pk), {"decision": "count", "note": ""}).status_code == 404
    with pytest.raises(PermissionDenied):
        services.response_review(actor=users.commander, response=south, decision="count")
    south.refresh_from_db()
    assert south.status == ResponseStatus.FLAGGED


# --- paper and phone entry ------------------------------------------------------------------------

GOOD_ANSWERS = {
    "understand-issues": "agree",
    "feel-safe": "strongly-agree",
    "kept-informed": "disagree",
    "good-job": "agree",
    "trust-police": "dont-know",
    "main-concern": "Speeding on Mill Lane",
    "age-band": "45-59",
    "sex": "female",
    "ethnic-group": "white",
    "disability": "no",
}


def entry(wave: Wave, **extra: str) -> dict[str, str]:
    """A filled-in entry form as the page sends it, with a fresh one-time token."""
    return {
        "wave": str(wave.pk),
        "channel": "paper",
        "language": "en",
        "form_token": new_entry_token(),
        **GOOD_ANSWERS,
        **extra,
    }


def test_entering_a_paper_response_saves_it_and_remembers_wave_and_channel(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave, postcodes: None
) -> None:
    client = client_for(login_as, users, "officer_a")
    got = client.post(url("enter"), entry(wave, postcode="ab11aa", channel="phone"))
    assert got.status_code == 302
    assert got["Location"] == f"{url('enter')}?wave={wave.pk}&channel=phone"
    saved = Response.objects.get()
    assert (saved.channel, saved.lsoa, saved.neighbourhood, saved.wave) == (
        "phone",
        area_tree.lsoa_a,
        area_tree.nbhd_a,
        wave,
    )
    assert (saved.q1, saved.q2, saved.q3, saved.q4, saved.q5) == (4, 5, 2, 4, 0)
    assert saved.status == ResponseStatus.COUNTED and saved.answers["main-concern"] == "Speeding on Mill Lane"
    assert AuditEvent.objects.filter(action="survey.response_record", actor=users.officer_a).count() == 1
    again = client.get(got["Location"]).content.decode()
    assert "Response saved — enter another" in again
    assert 'id="channel-2" name="channel" type="radio" value="phone" checked' in again
    assert f'<option value="{wave.pk}" selected>' in again
    assert 'value="agree" checked' not in again  # the answers start empty


def test_a_bad_answer_keeps_the_others_and_names_the_field(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave, postcodes: None
) -> None:
    client = client_for(login_as, users, "officer_a")
    got = client.post(url("enter"), entry(wave, postcode=POSTCODE_A, **{"feel-safe": "very-safe"}))
    html = got.content.decode()
    assert got.status_code == 200 and Response.objects.count() == 0
    assert '<a href="#q-feel-safe">Choose one of the answers given.</a>' in html
    assert 'id="q-feel-safe-error"' in html
    assert 'id="q-understand-issues-4" name="understand-issues" type="radio" value="agree" checked' in html
    assert ">Speeding on Mill Lane</textarea>" in html
    assert f'value="{POSTCODE_A}"' in html and 'value="paper" checked' in html


def test_a_postcode_outside_the_officers_scope_is_refused_on_the_field(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave, postcodes: None
) -> None:
    client = client_for(login_as, users, "officer_a")
    html = client.post(url("enter"), entry(wave, postcode=POSTCODE_B)).content.decode()
    assert '<a href="#postcode">This postcode is outside the area you enter responses for.</a>' in html
    assert 'id="postcode-error"' in html and Response.objects.count() == 0
    # The officer of that neighbourhood may enter it.
    other = client_for(login_as, users, "officer_b")
    assert other.post(url("enter"), entry(wave, postcode=POSTCODE_B)).status_code == 302
    assert Response.objects.get().neighbourhood == area_tree.nbhd_b


def test_a_neighbourhood_alone_places_the_response_within_scope(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    client = client_for(login_as, users, "officer_a")
    page = client.get(url("enter")).content.decode()
    assert f'<option value="{area_tree.nbhd_a.pk}">Abbeyfield</option>' in page
    assert "Brookside" not in page and "Castlegate" not in page
    refused = client.post(url("enter"), entry(wave, neighbourhood=str(area_tree.nbhd_b.pk))).content.decode()
    assert '<a href="#neighbourhood">Choose a neighbourhood from the list.</a>' in refused
    nowhere = client.post(url("enter"), entry(wave)).content.decode()
    assert "Enter the respondent&#x27;s postcode, or choose their neighbourhood." in nowhere
    assert Response.objects.count() == 0
    assert client.post(url("enter"), entry(wave, neighbourhood=str(area_tree.nbhd_a.pk))).status_code == 302
    saved = Response.objects.get()
    assert saved.neighbourhood == area_tree.nbhd_a and saved.lsoa is None and saved.channel == "paper"


def test_entry_offers_open_and_recent_waves_only(users: Any, login_as: Any, survey: Survey, wave: Wave) -> None:
    today = timezone.localdate()
    recent = services.wave_create(
        actor=None,
        survey=survey,
        code="recent",
        name="Closed last month",
        opens_on=today - dt.timedelta(days=60),
        closes_on=today - dt.timedelta(days=30),
    )
    services.wave_create(
        actor=None,
        survey=survey,
        code="long-ago",
        name="Closed long ago",
        opens_on=today - dt.timedelta(days=400),
        closes_on=today - dt.timedelta(days=370),
    )
    services.wave_create(
        actor=None,
        survey=survey,
        code="future",
        name="Not yet open",
        opens_on=today + dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=60),
    )
    client = client_for(login_as, users, "commander")
    html = client.get(url("enter")).content.decode()
    assert "This wave" in html and "Closed last month" in html
    assert "Closed long ago" not in html and "Not yet open" not in html
    assert html.index("This wave") < html.index("Closed last month")
    # A wave not offered is refused by name.
    long_ago = Wave.objects.get(code="long-ago")
    refused = client.post(url("enter"), entry(long_ago)).content.decode()
    assert '<a href="#wave">Choose the wave the response was given in.</a>' in refused
    assert recent.pk and Response.objects.count() == 0


def test_a_missing_channel_is_named_with_the_other_errors(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    client = client_for(login_as, users, "admin")
    data = entry(wave, neighbourhood=str(area_tree.nbhd_b.pk), channel="", **{"age-band": "200"})
    html = client.post(url("enter"), data).content.decode()
    assert '<a href="#channel">Choose whether the response came on paper or by phone.</a>' in html
    assert html.count('href="#channel"') == 1  # the service's own message is not repeated
    assert '<a href="#q-age-band">Choose one of the answers given.</a>' in html
    assert html.index('href="#channel"') < html.index('href="#q-age-band"')
    assert Response.objects.count() == 0


# --- concern themes -------------------------------------------------------------------------------


def test_themes_show_how_many_concerns_each_matches_and_an_edit_changes_it(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    for concern in ("Speeding cars on the high street", "Drug dealing by the park", "Potholes everywhere"):
        record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4, **{"main-concern": concern})
    client = client_for(login_as, users, "admin")

    def matches(slug: str) -> str:
        html = client.get(url("themes")).content.decode()
        row = html[html.index(f'id="theme-{slug}"') :]
        row = row[: row.index("</tr>")]
        return row.split('govuk-table__cell--numeric">')[1].split("<")[0]

    assert matches("speeding-roads") == "1" and matches("drugs") == "1"
    default = ConcernTheme.objects.get(force__isnull=True, slug="speeding-roads")
    got = client.post(
        url("theme_edit", theme="speeding-roads"),
        {"name": default.name, "keywords": "speed*\npothole*", "position": str(default.position), "active": "on"},
    )
    assert got.status_code == 302
    assert matches("speeding-roads") == "2"
    own = ConcernTheme.objects.get(force=area_tree.force, slug="speeding-roads")
    assert own.keywords == "speed*\npothole*"
    assert ConcernTheme.objects.get(force__isnull=True, slug="speeding-roads").keywords == default.keywords
    assert AuditEvent.objects.filter(action="survey.concern_theme_save", actor=users.admin).count() == 1
    # Deactivating takes the theme out of matching.
    client.post(url("theme_edit", theme="drugs"), {"name": "Drugs", "keywords": "drug*", "position": "2"})
    assert matches("drugs") == "\N{EN DASH}"
    assert not ConcernTheme.objects.get(force=area_tree.force, slug="drugs").active


def test_adding_a_theme_and_its_errors(users: Any, login_as: Any, survey: Survey) -> None:
    client = client_for(login_as, users, "admin")
    got = client.post(url("theme_add"), {"slug": "fly-tipping", "name": "Fly-tipping", "keywords": "fly tip*\nrubbish"})
    html = got.content.decode()
    assert got.status_code == 200 and '<a href="#id_position">' in html  # position left blank
    got = client.post(
        url("theme_add"),
        {"slug": "fly-tipping", "name": "Fly-tipping", "keywords": "fly tip*\nrubbish", "position": "3"},
    )
    assert got.status_code == 302
    theme = ConcernTheme.objects.get(slug="fly-tipping")
    assert theme.keywords == "fly tip*\nrubbish" and not theme.active  # "In use" was not ticked
    again = client.post(url("theme_add"), {"slug": "fly-tipping", "name": "Again", "position": "1", "active": "on"})
    assert "Your force already has a theme with this short name" in again.content.decode()
    too_long = client.post(
        url("theme_add"), {"slug": "long", "name": "Long", "keywords": "x" * 81, "position": "1", "active": "on"}
    )
    assert (
        '<a href="#id_keywords">Give one word or phrase of up to 80 characters a line.</a>' in too_long.content.decode()
    )
    assert client.get(url("theme_edit", theme="no-such-theme")).status_code == 404


def test_the_entry_service_checks_who_enters_and_how(
    area_tree: Any, users: Any, survey: Survey, wave: Wave, postcodes: None
) -> None:
    with pytest.raises(PermissionDenied):
        services.response_enter(
            actor=users.analyst, survey=survey, wave=wave, answers={}, channel="paper", neighbourhood=area_tree.nbhd_a
        )
    with pytest.raises(ValidationError) as refused:
        services.response_enter(
            actor=users.commander, survey=survey, wave=wave, answers={}, channel="online", postcode=POSTCODE_B
        )
    assert set(refused.value.message_dict) == {"channel", "postcode", "answers"}
    with pytest.raises(ValidationError) as mismatch:
        services.response_enter(
            actor=users.commander,
            survey=survey,
            wave=wave,
            answers={},
            channel="phone",
            postcode=POSTCODE_A,
            neighbourhood=area_tree.nbhd_c,
        )
    assert mismatch.value.message_dict == {
        "postcode": ["The postcode is not in the neighbourhood chosen."],
        "answers": ["Enter at least one answer."],
    }
    assert Response.objects.count() == 0


# --- review findings: empty entries, sending twice, errors in one round, the task links ----------


def test_an_entry_with_no_answers_is_refused_on_the_page(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    client = client_for(login_as, users, "officer_a")
    blank = dict.fromkeys(GOOD_ANSWERS, "")
    got = client.post(url("enter"), entry(wave, neighbourhood=str(area_tree.nbhd_a.pk), **blank))
    html = got.content.decode()
    assert got.status_code == 200 and Response.objects.count() == 0
    assert '<a href="#q-understand-issues">Enter at least one answer.</a>' in html
    with pytest.raises(ValidationError) as refused:
        services.response_enter(
            actor=users.officer_a,
            survey=survey,
            wave=wave,
            answers=blank,
            channel="paper",
            neighbourhood=area_tree.nbhd_a,
        )
    assert refused.value.message_dict == {"answers": ["Enter at least one answer."]}


def test_the_same_form_sent_twice_saves_one_response(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave
) -> None:
    client = client_for(login_as, users, "officer_a")
    page = client.get(url("enter")).content.decode()
    assert 'data-prevent-double-click="true"' in page
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token
    data = entry(wave, neighbourhood=str(area_tree.nbhd_a.pk), form_token=token.group(1))
    assert client.post(url("enter"), data).status_code == 302
    again = client.post(url("enter"), data)
    html = again.content.decode()
    assert again.status_code == 200 and Response.objects.count() == 1
    assert (
        '<a href="#submit">This form was sent twice. The response was saved the first time and has not been '
        "saved again.</a>" in html
    )
    # The page sent back offers a new token, so the next response can be entered from it.
    fresh = re.search(r'name="form_token" value="([^"]+)"', html)
    assert fresh and fresh.group(1) != token.group(1)
    # The service refuses the same token too, whoever calls it.
    nonce = token.group(1).split(":")[0]
    with pytest.raises(ValidationError) as refused:
        services.response_enter(
            actor=users.officer_a,
            survey=survey,
            wave=wave,
            answers=GOOD_ANSWERS,
            channel="paper",
            neighbourhood=area_tree.nbhd_a,
            form_token=nonce,
        )
    assert set(refused.value.message_dict) == {"form_token"}


@pytest.mark.parametrize("token", ["", "made-up", "abc:def:ghi"])
def test_a_missing_or_altered_token_is_refused(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave, token: str
) -> None:
    client = client_for(login_as, users, "officer_a")
    html = client.post(url("enter"), entry(wave, neighbourhood=str(area_tree.nbhd_a.pk), form_token=token)).content
    assert b"This form is out of date or was not sent from this page." in html
    assert Response.objects.count() == 0


def test_every_entry_error_shows_in_one_round(
    area_tree: Any, users: Any, login_as: Any, survey: Survey, wave: Wave, postcodes: None
) -> None:
    client = client_for(login_as, users, "officer_a")
    data = entry(wave, channel="pigeon", language="xx", postcode=POSTCODE_A, **{"feel-safe": "very-safe"})
    data["wave"] = "999999"
    html = client.post(url("enter"), data).content.decode()
    assert '<a href="#wave">Choose the wave the response was given in.</a>' in html
    assert '<a href="#channel">Choose whether the response came on paper or by phone.</a>' in html
    assert '<a href="#language">Choose the language the respondent answered in.</a>' in html
    # The answers are checked in the same round, not after the lists are put right.
    assert '<a href="#q-feel-safe">Choose one of the answers given.</a>' in html
    assert 'id="q-feel-safe-error"' in html
    assert Response.objects.count() == 0


@pytest.mark.parametrize(
    ("persona", "read", "enter", "manage"),
    [
        ("officer_a", False, True, False),
        ("commander", True, True, False),
        ("analyst", True, False, True),
        ("admin", True, True, True),
        ("partner", False, False, False),
    ],
)
def test_results_pages_link_to_the_tasks_each_user_may_do(
    area_tree: Any,
    users: Any,
    login_as: Any,
    survey: Survey,
    wave: Wave,
    persona: str,
    read: bool,
    enter: bool,
    manage: bool,
) -> None:
    record(survey, wave, area_tree.lsoa_a, 4, 4, 4, 4, 4)
    held = record(survey, wave, area_tree.lsoa_a, 1, 1, 1, 1, 1)
    Response.objects.filter(pk=held.pk).update(status=ResponseStatus.FLAGGED)
    other = record(survey, wave, area_tree.lsoa_b, 1, 1, 1, 1, 1)
    Response.objects.filter(pk=other.pk).update(status=ResponseStatus.FLAGGED)
    client = client_for(login_as, users, persona)
    html = client.get(reverse("surveys:dashboard", kwargs={"slug": SLUG})).content.decode()
    assert (f'href="{url("responses")}?status=flagged"' in html) is read
    assert (f'href="{url("enter")}"' in html) is enter
    assert ("Enter a paper or phone response" in html) is enter
    assert (f'href="{url("themes")}"' in html) is manage
    if read:
        # The count is of the flagged responses this reader may open: the commander's NPA
        # (North) holds one, the force two.
        expected = 1 if persona == "commander" else 2
        count = re.search(r'id="flagged-count">(\d+) waiting for review<', html)
        assert count and int(count.group(1)) == expected
