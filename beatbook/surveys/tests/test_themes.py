"""What people said: theme rules, redaction, the default taxonomy and top themes per area."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from beatbook.accounts.models import AuditEvent
from beatbook.surveys import services, themes
from beatbook.surveys.models import ConcernTheme, Survey, Wave

from .survey_fixtures import confidence, make_survey, make_wave


@dataclass
class Rule:
    slug: str
    keywords: str


RULES = [
    Rule("roads", "speed*\nboy racer*\nroad safety"),
    Rule("noise", "loud music\nparty"),
    Rule("knives", "knife\nknives"),
    Rule("other", ""),
]


# --- assign (pure) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Speeding cars on the main road", ["roads"]),
        ("SPEEDERS", ["roads"]),
        ("Boy racers every Friday", ["roads"]),
        ("road safety near the school", ["roads"]),
        ("Parties next door and LOUD MUSIC", ["noise"]),
        ("party", ["noise"]),
        ("someone carrying knives", ["knives"]),
        ("boy racers and loud music", ["roads", "noise"]),
        ("the bins are never emptied", ["other"]),
        ("", []),
        ("   ", []),
        # Whole words only: "speed" is a prefix rule, but "party" is not a prefix of "partyline".
        ("partyline", ["other"]),
        # A phrase needs its words together.
        ("safety on the road", ["other"]),
    ],
)
def test_assign(text: str, expected: list[str]) -> None:
    assert themes.assign(text, RULES) == expected


def test_assign_without_a_catch_all_gives_nothing_for_unmatched_text() -> None:
    assert themes.assign("the bins", RULES[:3]) == []


def test_light_stemming_matches_plurals_both_ways() -> None:
    rules = [Rule("burglary", "burglaries\nbroken window"), Rule("dogs", "dog fouling")]
    assert themes.assign("a burglary last week", rules) == ["burglary"]
    assert themes.assign("two broken windows", rules) == ["burglary"]
    assert themes.assign("Dogs fouling the park", rules) == ["dogs"]


# --- redact (pure) -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Email me at jo.bloggs+police@example.co.uk please", "Email me at [removed] please"),
        ("ring 07700 900123 anytime", "ring [removed] anytime"),
        ("call (0116) 222 3333", "call [removed]"),
        ("or +44 7700 900 123", "or [removed]"),
        ("I live in LE1 1AA and le21ab", "I live in [removed] and [removed]"),
        ("Drugs dealt from 12 Acacia Avenue", "Drugs dealt from [removed]"),
        ("outside 3a, mill lane most nights", "outside [removed] most nights"),
        ("Mrs Patel at number 4 was burgled", "[removed] at [removed] was burgled"),
        ("My name is John Smith and I live here", "My name is [removed] and I live here"),
        ("my name is sam and i'm worried", "my name is [removed] and i'm worried"),
        ("a man called Dave Jones sells weed", "a man called [removed] sells weed"),
        ("silver car AB12 CDE parks on the pavement", "silver car [removed] parks on the pavement"),
        ("see www.example.com/page", "see [removed]"),
        # Names and places as residents write them (review findings).
        ("my neighbour Gary Jones is dealing", "my neighbour [removed] is dealing"),
        ("Mohammed on Elm St sells weed", "[removed] on [removed] sells weed"),
        ("the lad at 22 the Crescent", "the lad at [removed]"),
        ("Gary Jones is dealing again", "[removed] is dealing again"),
        ("PC Smith never rings back", "[removed] never rings back"),
        ("Ask PCSO Ali Khan or Sgt. Brown", "Ask [removed] or [removed]"),
        ("The Smiths next door deal drugs", "The [removed] next door deal drugs"),
        ("Speeding on Station Road after 11pm", "Speeding on [removed] after 11pm"),
        ("Noise from Oak Road pubs", "Noise from [removed] pubs"),
        ("youths outside Tesco every Friday in May", "youths outside [removed] every Friday in May"),
        ("kids on St Mary's Close. Call 0116 222 3333", "kids on [removed]. Call [removed]"),
        ("white van YX21 ABC, email a@b.com", "white van [removed], email [removed]"),
    ],
)
def test_redact_removes_personal_details(text: str, expected: str) -> None:
    assert themes.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "5 kids on the road every night",
        "Police never come on Saturday nights",
        "Cars racing, speed cameras please. Nobody from the Council helps",
        "Drugs at the park and speeding on the main road",
        "I'm scared to go out after dark in December",
        "3 cars racing down the high street",
        "This is a problem, we never see police",
        "Waited 40 minutes for a response",
    ],
)
def test_redact_keeps_what_identifies_no_one(text: str) -> None:
    assert themes.redact(text) == text


# --- the default taxonomy and top themes (database) ---------------------------------------------

DEFAULT_SLUGS = [
    "speeding-roads",
    "drugs",
    "asb-youth",
    "burglary",
    "parking",
    "litter-fly-tipping",
    "violence-knives",
    "noise",
    "scams",
    "visible-policing",
    "other",
]


@pytest.mark.django_db
def test_defaults_are_installed_by_migration() -> None:
    defaults = list(ConcernTheme.objects.filter(force__isnull=True).order_by("position"))
    assert [theme.slug for theme in defaults] == DEFAULT_SLUGS
    assert defaults[-1].keywords == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("People speeding down Hinckley Road", ["speeding-roads"]),
        ("Drug dealing in the park", ["drugs"]),
        ("Teenagers hanging around the shops intimidating people", ["asb-youth"]),
        ("My shed was broken into twice", ["burglary"]),
        ("Cars parked on the pavement at school run", ["parking"]),
        ("Fly-tipping in the alley", ["litter-fly-tipping"]),
        ("Young men carrying knives", ["violence-knives"]),
        ("Loud music until 3am", ["noise"]),
        ("Elderly neighbour lost money to a phone scam", ["scams"]),
        ("We never see police on foot any more", ["visible-policing"]),
        ("Potholes", ["other"]),
    ],
)
def test_default_taxonomy_on_typical_concerns(text: str, expected: list[str]) -> None:
    assert themes.assign(text, ConcernTheme.objects.filter(force__isnull=True).order_by("position")) == expected


@pytest.fixture
def survey(area_tree: Any) -> Survey:
    return make_survey(area_tree)


@pytest.fixture
def wave(survey: Survey) -> Wave:
    return make_wave(survey)


NOON = dt.datetime(2026, 5, 10, 12, 0, tzinfo=dt.UTC)


def record(survey: Survey, wave: Wave, lsoa: Any, concern: str, minute: int) -> Any:
    answers = {**confidence(4, 4, 4, 4, 4), "main-concern": concern}
    return services.response_record(
        survey=survey,
        wave=wave,
        answers=answers,
        channel="paper",
        language="en",
        lsoa=lsoa,
        submitted_at=NOON + dt.timedelta(minutes=minute),
    )


@pytest.mark.django_db
def test_top_themes_per_area_with_redacted_quotes(survey: Survey, wave: Wave, area_tree: Any) -> None:
    a, b = area_tree.lsoa_a, area_tree.lsoa_b
    record(survey, wave, a, "Speeding on Mill Lane, ring me on 07700 900123", 1)
    record(survey, wave, a, "boy racers and drug dealing", 2)
    record(survey, wave, a, "speeders outside 12 Acacia Avenue", 3)
    record(survey, wave, a, "Cars racing, speed cameras please", 4)
    record(survey, wave, a, "drugs", 5)
    record(survey, wave, b, "Loud music", 6)
    flagged = record(survey, wave, a, "speeding speeding speeding", 7)
    flagged.status = "flagged"
    flagged.save(update_fields=["status"])

    rows = themes.top_themes(survey=survey, wave=wave, area=area_tree.nbhd_a, quotes=3)
    assert [(row.theme.slug, row.count) for row in rows] == [("speeding-roads", 4), ("drugs", 2)]
    assert rows[0].quotes == [
        "Speeding on [removed], ring me on [removed]",
        "boy racers and drug dealing",
        "speeders outside [removed]",
    ]
    as_written = themes.top_themes(survey=survey, wave=wave, area=area_tree.nbhd_a, redacted=False)
    assert as_written[0].quotes[0] == "Speeding on Mill Lane, ring me on 07700 900123"

    force_rows = themes.top_themes(survey=survey, wave=wave, area=area_tree.force)
    assert [(row.theme.slug, row.count) for row in force_rows] == [("speeding-roads", 4), ("drugs", 2), ("noise", 1)]
    south = themes.top_themes(survey=survey, wave=wave, area=area_tree.npa_south)
    assert [(row.theme.slug, row.count) for row in south] == [("noise", 1)]
    assert themes.top_themes(survey=survey, wave=wave, area=area_tree.nbhd_c) == []


@pytest.mark.django_db
def test_a_force_theme_replaces_the_default(survey: Survey, wave: Wave, area_tree: Any, users: Any) -> None:
    record(survey, wave, area_tree.lsoa_a, "Quad bikes on the field", 1)
    record(survey, wave, area_tree.lsoa_a, "speeding", 2)
    services.concern_theme_save(
        actor=users.admin,
        force=area_tree.force,
        slug="speeding-roads",
        name="Off-road bikes",
        keywords=["quad bike*", "off-road"],
        position=1,
    )
    rows = themes.top_themes(survey=survey, wave=wave, area=area_tree.force)
    assert [(row.theme.name, row.count) for row in rows] == [("Off-road bikes", 1), ("Other", 1)]
    assert ConcernTheme.objects.filter(force__isnull=True, slug="speeding-roads").exists()
    assert AuditEvent.objects.filter(action="survey.concern_theme_save").count() == 1


@pytest.mark.django_db
def test_a_force_can_switch_a_default_off(survey: Survey, wave: Wave, area_tree: Any) -> None:
    services.concern_theme_save(
        actor=None, force=area_tree.force, slug="noise", name="Noise", keywords=["noise"], active=False
    )
    slugs = [theme.slug for theme in themes.themes_for_force(area_tree.force)]
    assert "noise" not in slugs and len(slugs) == len(DEFAULT_SLUGS) - 1


@pytest.mark.django_db
def test_theme_save_validates(area_tree: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.concern_theme_save(actor=None, force=area_tree.nbhd_a, slug="", name=" ", keywords=["x" * 81])
    assert set(caught.value.message_dict) == {"force", "slug", "name", "keywords"}
