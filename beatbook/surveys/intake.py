"""The public form's hot path: what a submission reads, kept per process, and the few SQL
statements it writes with (issue 5: 500 submissions a second on two cores).

**What is cached.** Everything the form needs that staff change rarely: the survey by its
slug, its open wave (or the next one), its current questions and their versions, and the
force's "choose your area" list with each place's neighbourhood. One `SurveyForm` per slug is
kept in this process for `TTL_SECONDS`, and dropped at once when the day changes (a wave opens
and closes at midnight) and when this process saves or deletes a survey, wave, question,
question version or area (`_forget`). Another worker's cache picks up a change within
`TTL_SECONDS`: a wave closed early, a question reworded or a place renamed in the staff pages can
be served as it was for up to that long. A submission validated against wording edited in
place seconds earlier keeps the same version number, which is why this is safe.

**Why raw SQL.** Compiling an ORM query costs more CPU than PostgreSQL spends running one of
these (a profile of the submission showed the compiler as most of the time), so the hot path's
statements are written once, here, with `%s` placeholders and values adapted by the model's own
fields, which makes them portable between SQLite and PostgreSQL.
"""

# Only table and column names from the models are put into the SQL text; values are parameters.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Field
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from beatbook.areas.models import Area, Level

from . import selectors, templates
from .importers.postcodes import normalise_postcode
from .models import (
    CONFIDENCE_ROLES,
    Channel,
    Invitation,
    Postcode,
    Question,
    QuestionKind,
    QuestionVersion,
    Response,
    Survey,
    Wave,
)

TTL_SECONDS = 10.0
TEXT_ANSWER_LIMIT = 2000
NUMBER_LIMIT = 1_000_000
LANGUAGE_LIMIT = 12
# Question role → the response's scoring column.
SCORING_COLUMNS: dict[str, str] = {
    **{str(role): f"q{position}" for position, role in enumerate(CONFIDENCE_ROLES, start=1)},
    "age_band": "age_band",
    "sex": "sex",
    "ethnic_group": "ethnic_group",
}

PlaceChoices = list[tuple[str, list[tuple[int, str]]]]


@dataclass(frozen=True)
class Place:
    """An LSOA a response can be from: what the location rule and the insert need of it."""

    lsoa_id: int
    level: str
    force_id: int | None
    neighbourhood_id: int | None


@dataclass(frozen=True)
class SurveyForm:
    """What the public form of one survey needs, as read at `loaded` (monotonic seconds)."""

    survey: Survey
    wave: Wave | None
    upcoming: Wave | None
    questions: dict[str, tuple[Question, QuestionVersion]]
    places: dict[int, Place]
    choices: PlaceChoices
    thanks_url: str
    today: dt.date
    loaded: float


_forms: dict[str, SurveyForm] = {}
_lock = threading.Lock()


def _load(slug: str, today: dt.date) -> SurveyForm | None:
    survey = Survey.objects.select_related("force").filter(slug=slug).first()
    if survey is None:
        return None
    wave = selectors.open_wave(survey, today)
    upcoming = None if wave else survey.waves.filter(opens_on__gt=today).order_by("opens_on").first()
    # The same rule as `selectors.place_choices`, read once for both the list and the lookup.
    rows = (
        Area.objects.filter(level=Level.LSOA, force_id=survey.force_id, parent__level=Level.NEIGHBOURHOOD)
        .order_by("parent__name", "name")
        .values_list("pk", "name", "parent_id", "parent__name")
    )
    places: dict[int, Place] = {}
    groups: dict[str, list[tuple[int, str]]] = {}
    for pk, name, parent_id, parent_name in rows:
        places[pk] = Place(lsoa_id=pk, level=Level.LSOA, force_id=survey.force_id, neighbourhood_id=parent_id)
        groups.setdefault(parent_name, []).append((pk, name))
    return SurveyForm(
        survey=survey,
        wave=wave,
        upcoming=upcoming,
        questions=selectors.current_questions(survey) if wave else {},
        places=places,
        choices=list(groups.items()),
        thanks_url=reverse("your_views:thanks", kwargs={"slug": survey.slug}),
        today=today,
        loaded=time.monotonic(),
    )


def survey_form(slug: str) -> SurveyForm | None:
    """The survey's form as this process last read it, read again when older than
    `TTL_SECONDS` or from another day; None for no such survey (not cached: a made-up
    address costs a query, which is all it would cost anyway)."""
    today = timezone.localdate()
    cached = _forms.get(slug)
    if cached is not None and cached.today == today and time.monotonic() - cached.loaded < TTL_SECONDS:
        return cached
    loaded = _load(slug, today)
    with _lock:
        if loaded is None:
            _forms.pop(slug, None)
        else:
            _forms[slug] = loaded
    return loaded


def forget() -> None:
    """Drop every cached form in this process."""
    with _lock:
        _forms.clear()


def _forget(**_kwargs: Any) -> None:
    forget()


# A change made by this process is seen by its next request; other processes wait out the TTL.
for _model in (Survey, Wave, Question, QuestionVersion, Area):
    post_save.connect(_forget, sender=_model, dispatch_uid=f"surveys.intake.{_model.__name__}.save")
    post_delete.connect(_forget, sender=_model, dispatch_uid=f"surveys.intake.{_model.__name__}.delete")


def place_of_area(area: Area) -> Place:
    """The `Place` of an area given as a model (its parent is read if not loaded)."""
    parent = area.parent if area.parent_id else None
    neighbourhood = parent.pk if parent is not None and parent.level == Level.NEIGHBOURHOOD else None
    return Place(lsoa_id=area.pk, level=area.level, force_id=area.force_id, neighbourhood_id=neighbourhood)


def place_of_id(pk: int, places: Mapping[int, Place]) -> Place | None:
    """The place with id `pk`: from the form's list when it is there, else read (an
    invitation to an area that is not on the list is rare)."""
    if pk in places:
        return places[pk]
    area = Area.objects.select_related("parent").filter(pk=pk).first()
    return place_of_area(area) if area is not None else None


# --- validation -------------------------------------------------------------------------------


def clean_answer(question: Question, version: QuestionVersion, value: Any) -> tuple[Any, str | None]:
    """The stored form of one answer, or an error message. Blank answers are None."""
    if value is None or (isinstance(value, str) and not value.strip()) or value == []:
        return None, (_("Answer this question.") if question.required else None)
    kind = question.kind
    if kind in (QuestionKind.AGREE5, QuestionKind.SINGLE, QuestionKind.YES_NO):
        allowed: Collection[str] = version.options
        if kind == QuestionKind.AGREE5:
            allowed = templates.AGREE5
        elif kind == QuestionKind.YES_NO:
            allowed = version.options or templates.YES_NO_LABELS
        text = str(value).strip()
        return (text, None) if text in allowed else (None, _("Choose one of the answers given."))
    if kind == QuestionKind.MULTIPLE:
        chosen = [part.strip() for part in value.split(";")] if isinstance(value, str) else list(value)
        unknown = [str(item) for item in chosen if item not in version.options]
        if unknown:
            return None, _("Choose only from the answers given.")
        return [key for key in version.options if key in chosen], None
    if kind == QuestionKind.NUMBER:
        try:
            number = int(str(value).strip())
        except ValueError:
            return None, _("Enter a whole number.")
        if abs(number) > NUMBER_LIMIT:
            return None, _("Enter a smaller number.")
        return number, None
    if kind == QuestionKind.WHERE:
        try:
            return normalise_postcode(str(value)), None
        except ValueError:
            return None, _("Enter a full UK postcode, such as LE1 1AA.")
    text = str(value).strip()
    if len(text) > TEXT_ANSWER_LIMIT:
        return None, _("Answers must be %(limit)s characters or fewer.") % {"limit": TEXT_ANSWER_LIMIT}
    return text, None


def clean_answers(
    questions: Mapping[str, tuple[Question, QuestionVersion]],
    answers: Mapping[str, Any],
    errors: dict[str, list[str]],
) -> tuple[dict[str, Any], dict[str, int]]:
    """Each answer checked against its question's current version: the cleaned answers and the
    version each was given to. Problems go into `errors` under the question's key."""
    cleaned: dict[str, Any] = {}
    versions: dict[str, int] = {}
    for key in answers:
        if key not in questions:
            errors[key] = [_("This survey has no question %(key)s.") % {"key": key}]
    for key, (question, version) in questions.items():
        value, message = clean_answer(question, version, answers.get(key))
        if message:
            errors[key] = [message]
        elif value is not None:
            cleaned[key] = value
            versions[key] = version.number
    return cleaned, versions


def submission_values(
    *,
    survey: Survey,
    wave: Wave,
    answers: Mapping[str, Any],
    language: str,
    place: Place | None,
    postcode: str | None,
    questions: Mapping[str, tuple[Question, QuestionVersion]],
) -> dict[str, Any]:
    """`services._response_values` for the public form, by column name: the same checks,
    messages and order, but where the person lives is found with one statement
    (`postcode_place`) or from the place the form's list gave, not through the ORM."""
    errors: dict[str, list[str]] = {}
    if wave.survey_id != survey.pk:
        errors["wave"] = [_("This wave belongs to another survey.")]
    language = (language or "").strip()
    if not language or len(language) > LANGUAGE_LIMIT:
        errors["language"] = [_("Give the language the answers were given in, such as en.")]
    cleaned, versions = clean_answers(questions, answers, errors)
    found = place
    if postcode:
        try:
            found = postcode_place(normalise_postcode(postcode))
        except ValueError:
            errors["postcode"] = [_("Enter a full UK postcode, such as LE1 1AA.")]
        else:
            if found is None:
                errors["postcode"] = [_("We do not know this postcode. Check it, or choose your area from the list.")]
            elif place is not None and place.lsoa_id != found.lsoa_id:
                errors["postcode"] = [_("The postcode is not in the area chosen.")]
    if (
        "postcode" not in errors
        and found is not None
        and (found.level != Level.LSOA or found.force_id != survey.force_id)
    ):
        errors["postcode" if postcode else "lsoa"] = [_("This place is outside the area the survey covers.")]
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {
        "survey_id": survey.pk,
        "wave_id": wave.pk,
        "lsoa_id": found.lsoa_id if found else None,
        "neighbourhood_id": found.neighbourhood_id if found else None,
        "channel": Channel.ONLINE,
        "language": language,
        "answers": cleaned,
        "versions": versions,
    }
    values.update(dict.fromkeys(SCORING_COLUMNS.values()))
    for key, (question, _version) in questions.items():
        if question.role in SCORING_COLUMNS:
            values[SCORING_COLUMNS[question.role]] = templates.scoring_code(question.role, cleaned.get(key))
    return values


# --- the statements ---------------------------------------------------------------------------


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: Any, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def postcode_place(postcode: str) -> Place | None:
    """The place a normalised postcode lies in; None for a postcode we do not know or one
    with no LSOA (`Postcode.lsoa` is set null when its area goes)."""
    area, postcodes = _table(Area), _table(Postcode)
    sql = (
        f"SELECT a.id, a.level, a.force_id, n.id, n.level FROM {postcodes} p "
        f"JOIN {area} a ON a.id = p.lsoa_id LEFT JOIN {area} n ON n.id = a.parent_id WHERE p.postcode = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [postcode])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, level, force_id, parent_id, parent_level = row
    neighbourhood = parent_id if parent_level == Level.NEIGHBOURHOOD else None
    return Place(lsoa_id=pk, level=level, force_id=force_id, neighbourhood_id=neighbourhood)


def sender_lock(sender: str) -> None:
    """On PostgreSQL, serialise submissions from one address until the transaction ends, so a
    burst sent in parallel is counted and compared as if sent one after another. (SQLite runs
    one writer at a time already.)"""
    if sender and connection.vendor == "postgresql":
        key = int.from_bytes(bytes.fromhex(sender[:16]), "big", signed=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def sender_counts(
    *,
    survey_id: int,
    wave_id: int,
    sender: str,
    fingerprint: str,
    now: dt.datetime,
    rate_since: dt.datetime,
    duplicate_since: dt.datetime,
) -> tuple[int, int]:
    """How many of the survey's responses from `sender` came after `rate_since`, and how many
    of the wave's after `duplicate_since` had these answers: one pass over the sender's rows
    (the address index) for both."""
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"SELECT COUNT(CASE WHEN submitted_at > %s THEN 1 END), "
        f"COUNT(CASE WHEN wave_id = %s AND fingerprint = %s AND submitted_at > %s THEN 1 END) "
        f"FROM {_table(Response)} WHERE survey_id = %s AND address_hash = %s "
        f"AND submitted_at > %s AND submitted_at <= %s"
    )
    oldest = min(rate_since, duplicate_since)
    params = [
        adapt(rate_since),
        wave_id,
        fingerprint,
        adapt(duplicate_since),
        survey_id,
        sender,
        adapt(oldest),
        adapt(now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        recent, repeated = cursor.fetchone()
    return int(recent or 0), int(repeated or 0)


@dataclass(frozen=True)
class Claim:
    invitation_id: int
    area_id: int | None


def claim_invitation(*, survey_id: int, wave_id: int, token_hash: str, now: dt.datetime) -> Claim:
    """Mark the unused invitation with this token hash used, in one UPDATE; ValidationError
    when the token is unknown, for another survey or wave, or used. A second submission racing
    with the same token waits for the first's row lock (PostgreSQL; SQLite's writer lock), then
    matches no row, and is refused as used. A refusal costs a second lookup, to say why."""
    table = _table(Invitation)
    returning = connection.features.can_return_columns_from_insert
    sql = (
        f"UPDATE {table} SET used_at = %s WHERE token_hash = %s AND survey_id = %s AND wave_id = %s AND used_at IS NULL"
    )
    params = [connection.ops.adapt_datetimefield_value(now), token_hash, survey_id, wave_id]
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(f"{sql} RETURNING id, area_id", params)
            row = cursor.fetchone()
        else:
            cursor.execute(sql, params)
            row = None
            if cursor.rowcount == 1:
                cursor.execute(f"SELECT id, area_id FROM {table} WHERE token_hash = %s", [token_hash])
                row = cursor.fetchone()
    if row is not None:
        return Claim(invitation_id=row[0], area_id=row[1])
    if Invitation.objects.filter(token_hash=token_hash, survey_id=survey_id, wave_id=wave_id).exists():
        raise ValidationError({"token": [_("This invitation code has already been used.")]})
    raise ValidationError({"token": [_("This invitation code is not one we sent for this survey.")]})


def link_invitation(*, invitation_id: int, response_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Invitation)} SET {_column(Invitation, 'response')} = %s WHERE id = %s",
            [response_id, invitation_id],
        )


# The value types the database driver takes as they are: other fields' values (JSON, dates)
# go through the field's own adaptation.
_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)
_INSERTS: dict[str, tuple[str, list[tuple[Field[Any, Any], bool]]]] = {}


def _insert_statement() -> tuple[str, list[tuple[Field[Any, Any], bool]]]:
    """The INSERT of every concrete column of a response but its id, and those fields, each
    with whether its value needs adapting."""
    vendor = connection.vendor
    if vendor not in _INSERTS:
        fields = [field for field in Response._meta.concrete_fields if not field.primary_key]
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {_table(Response)} ({columns}) VALUES ({marks})"
        if connection.features.can_return_columns_from_insert:
            sql += " RETURNING id"
        _INSERTS[vendor] = (sql, [(field, not isinstance(field, _PLAIN_FIELDS)) for field in fields])
    return _INSERTS[vendor]


def insert_response(values: Mapping[str, Any]) -> int:
    """Insert one response from {field attname: value} (fields not given take their
    defaults) and return its id. JSON and dates are adapted by their own model fields, as the
    ORM would, so they are stored exactly as `Response.objects.create` stores them."""
    sql, fields = _insert_statement()
    params = []
    for field, adapt in fields:
        value = values[field.attname] if field.attname in values else field.get_default()
        params.append(field.get_db_prep_save(value, connection) if adapt else value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            return int(cursor.fetchone()[0])
        return int(cursor.lastrowid)
