"""Writes to surveys: the standard template, waves, question wording, responses, postcodes.

Every write validates the whole record and raises django's ValidationError with a dict of
field → messages (an answer's field is its question key), runs in a transaction, and staff
writes are audited. `actor=None` is the command line or the public.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from beatbook.accounts.models import User
from beatbook.accounts.services import audit_record
from beatbook.areas.models import Area, Level

from . import access, intake, protection, selectors, templates, translations
from .importers.postcodes import normalise_postcode

# The answer rules live beside the public form's fast path, which uses them too.
from .intake import LANGUAGE_LIMIT, SCORING_COLUMNS, clean_answers
from .models import (
    Channel,
    ConcernTheme,
    Invitation,
    Postcode,
    Question,
    QuestionKind,
    QuestionVersion,
    Response,
    ResponseStatus,
    Survey,
    Wave,
)

# --- surveys, waves, questions ------------------------------------------------------------


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "survey"
    slug, counter = base, 2
    while Survey.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


@transaction.atomic
def survey_create_from_template(
    *,
    actor: User | None,
    force: Area,
    name: str,
    slug: str = "",
    description: str = "",
    min_responses: int = 30,
    concern: bool = True,
    equality: bool = True,
) -> Survey:
    """A survey with the standard "Your Views" questions (confidence always; concern and
    equality questions when asked for), each with its first version in English."""
    errors: dict[str, list[str]] = {}
    if force.level != Level.FORCE:
        errors["force"] = [_("Choose a force.")]
    if not name.strip():
        errors["name"] = [_("Enter a name for the survey.")]
    if slug and Survey.objects.filter(slug=slug).exists():
        errors["slug"] = [_("Another survey already has this short name.")]
    if min_responses < 1:
        errors["min_responses"] = [_("The minimum number of responses must be at least 1.")]
    if errors:
        raise ValidationError(errors)
    survey = Survey.objects.create(
        force=force,
        name=name.strip(),
        slug=slug or _unique_slug(name),
        description=description,
        min_responses=min_responses,
    )
    for position, item in enumerate(templates.standard_questions(concern=concern, equality=equality), start=1):
        question = Question.objects.create(
            survey=survey, key=item.key, kind=item.kind, role=item.role, required=item.required, position=position
        )
        QuestionVersion.objects.create(
            question=question, number=1, texts=translations.texts_for(item), options=list(item.options)
        )
    audit_record(actor=actor, action="survey.create", obj=survey, force=force, after={"slug": survey.slug})
    return survey


@transaction.atomic
def wave_create(
    *, actor: User | None, survey: Survey, code: str, name: str, opens_on: dt.date, closes_on: dt.date
) -> Wave:
    errors: dict[str, list[str]] = {}
    if not code.strip():
        errors["code"] = [_("Enter a code for the wave, such as 2026-05.")]
    elif Wave.objects.filter(survey=survey, code=code.strip()).exists():
        errors["code"] = [_("This survey already has a wave with this code.")]
    if closes_on < opens_on:
        errors["closes_on"] = [_("The closing date must be on or after the opening date.")]
    if errors:
        raise ValidationError(errors)
    wave = Wave.objects.create(
        survey=survey, code=code.strip(), name=name.strip() or code.strip(), opens_on=opens_on, closes_on=closes_on
    )
    audit_record(actor=actor, action="survey.wave_create", obj=wave, force=survey.force, after={"code": wave.code})
    return wave


def _validate_texts(texts: Mapping[str, Any], options: Sequence[str]) -> None:
    if not texts or "en" not in texts:
        raise ValidationError({"texts": [_("Give the wording in English at least.")]})
    for language, wording in texts.items():
        if not isinstance(wording, Mapping) or not str(wording.get("text", "")).strip():
            raise ValidationError(
                {"texts": [_("Give the question's wording in %(language)s.") % {"language": language}]}
            )
        labels = wording.get("options") or {}
        missing = [key for key in options if key not in labels]
        if missing and language == "en":
            raise ValidationError(
                {"texts": [_("Give a label for every option: %(keys)s.") % {"keys": ", ".join(missing)}]}
            )


@transaction.atomic
def question_reword(
    *,
    actor: User | None,
    question: Question,
    texts: Mapping[str, Any],
    options: Sequence[str] | None = None,
) -> QuestionVersion:
    """Change a question's wording (and option keys). Once any response answers the question,
    the change is a new version, so answers keep the words they were given to; before that the
    current version is edited in place."""
    current = selectors.current_version(question)
    keys = list(options) if options is not None else list(current.options)
    _validate_texts(texts, keys)
    if question.kind == QuestionKind.AGREE5 and set(keys) != set(templates.AGREE5):
        raise ValidationError({"options": [_("An agreement question keeps the standard five-point scale.")]})
    answered = Response.objects.filter(survey_id=question.survey_id, answers__has_key=question.key).exists()
    before = {"number": current.number, "texts": current.texts, "options": current.options}
    if answered:
        version = QuestionVersion.objects.create(
            question=question, number=current.number + 1, texts=dict(texts), options=keys
        )
    else:
        current.texts, current.options = dict(texts), keys
        current.save(update_fields=["texts", "options"])
        version = current
    audit_record(
        actor=actor,
        action="survey.question_reword",
        obj=question,
        force=question.survey.force,
        before=before,
        after={"number": version.number, "texts": version.texts, "options": version.options},
    )
    return version


# --- responses ------------------------------------------------------------------------------


def _location(
    survey: Survey, lsoa: Area | None, postcode: str | None, errors: dict[str, list[str]]
) -> tuple[Area | None, Area | None]:
    """The LSOA and neighbourhood a response is from, given directly or by postcode."""
    found: Area | None = lsoa
    if postcode:
        try:
            normalised = normalise_postcode(postcode)
        except ValueError:
            errors["postcode"] = [_("Enter a full UK postcode, such as LE1 1AA.")]
            return None, None
        entry = Postcode.objects.select_related("lsoa__parent").filter(postcode=normalised).first()
        if entry is None or entry.lsoa is None:
            errors["postcode"] = [_("We do not know this postcode. Check it, or choose your area from the list.")]
            return None, None
        if lsoa is not None and lsoa.pk != entry.lsoa_id:
            errors["postcode"] = [_("The postcode is not in the area chosen.")]
            return None, None
        found = entry.lsoa
    if found is None:
        return None, None
    if found.level != Level.LSOA or found.force_id != survey.force_id:
        errors["postcode" if postcode else "lsoa"] = [_("This place is outside the area the survey covers.")]
        return None, None
    neighbourhood = found.parent if found.parent and found.parent.level == Level.NEIGHBOURHOOD else None
    return found, neighbourhood


def _response_values(
    *,
    survey: Survey,
    wave: Wave,
    answers: Mapping[str, Any],
    channel: str,
    language: str,
    lsoa: Area | None,
    postcode: str | None,
    submitted_at: dt.datetime | None,
    questions: Mapping[str, tuple[Question, QuestionVersion]] | None = None,
) -> dict[str, Any]:
    """Every column of a response, validated; ValidationError names each bad field.

    `questions` (the survey's current questions) may be passed by a caller recording many
    responses at once: looking them up for every row was half the time of an import."""
    errors: dict[str, list[str]] = {}
    if wave.survey_id != survey.pk:
        errors["wave"] = [_("This wave belongs to another survey.")]
    if channel not in Channel.values:
        errors["channel"] = [_("Choose online, paper, phone or import.")]
    language = (language or "").strip()
    if not language or len(language) > LANGUAGE_LIMIT:
        errors["language"] = [_("Give the language the answers were given in, such as en.")]
    if questions is None:
        questions = selectors.current_questions(survey)
    cleaned, versions = clean_answers(questions, answers, errors)
    found_lsoa, neighbourhood = _location(survey, lsoa, postcode, errors)
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {
        "survey": survey,
        "wave": wave,
        "lsoa": found_lsoa,
        "neighbourhood": neighbourhood,
        "channel": channel,
        "language": language,
        "submitted_at": submitted_at or timezone.now(),
        "answers": cleaned,
        "versions": versions,
    }
    values.update(dict.fromkeys(SCORING_COLUMNS.values()))
    for key, (question, _version) in questions.items():
        if question.role in SCORING_COLUMNS:
            values[SCORING_COLUMNS[question.role]] = templates.scoring_code(question.role, cleaned.get(key))
    return values


@transaction.atomic
def response_record(
    *,
    survey: Survey,
    wave: Wave,
    answers: Mapping[str, Any],
    channel: str,
    language: str,
    lsoa: Area | None = None,
    postcode: str | None = None,
    submitted_at: dt.datetime | None = None,
    import_key: str = "",
    actor: User | None = None,
) -> Response:
    """Record one response after validating every answer against the current question
    versions. Where the person lives comes from `lsoa` or `postcode` (or neither: the response
    is kept, but no area's score can count it). Staff entries (`actor`) are audited."""
    values = _response_values(
        survey=survey,
        wave=wave,
        answers=answers,
        channel=channel,
        language=language,
        lsoa=lsoa,
        postcode=postcode,
        submitted_at=submitted_at,
    )
    if import_key and Response.objects.filter(survey=survey, import_key=import_key).exists():
        raise ValidationError({"import_key": [_("A response with this import key is already recorded.")]})
    response = Response.objects.create(import_key=import_key, **values)
    if actor is not None:
        audit_record(
            actor=actor,
            action="survey.response_record",
            obj=response,
            force=survey.force,
            after={"channel": channel, "wave": wave.code},
        )
    return response


COMPARED_FIELDS = ("wave", "lsoa", "neighbourhood", "channel", "language", "submitted_at", "answers")


@transaction.atomic
def response_import(
    *,
    survey: Survey,
    wave: Wave,
    answers: Mapping[str, Any],
    language: str,
    import_key: str,
    lsoa: Area | None = None,
    postcode: str | None = None,
    submitted_at: dt.datetime | None = None,
    channel: str = Channel.IMPORT,
    questions: Mapping[str, tuple[Question, QuestionVersion]] | None = None,
) -> str:
    """Record or refresh an imported response identified by `import_key`: returns "created",
    "updated" or "unchanged". A refreshed response keeps its review status."""
    values = _response_values(
        survey=survey,
        wave=wave,
        answers=answers,
        channel=channel,
        language=language,
        lsoa=lsoa,
        postcode=postcode,
        submitted_at=submitted_at,
        questions=questions,
    )
    existing = Response.objects.filter(survey=survey, import_key=import_key).first()
    if existing is None:
        Response.objects.create(import_key=import_key, **values)
        return "created"
    if all(getattr(existing, name) == values[name] for name in COMPARED_FIELDS):
        return "unchanged"
    for name, value in values.items():
        setattr(existing, name, value)
    existing.save()
    return "updated"


# --- postcodes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostcodeRow:
    postcode: str
    lsoa_code: str
    lsoa_id: int | None
    terminated: bool
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    unchanged: int


POSTCODE_FIELDS = ("lsoa_code", "lsoa_id", "terminated", "latitude", "longitude")
BATCH = 2000


@transaction.atomic
def postcodes_upsert(*, rows: Sequence[PostcodeRow]) -> UpsertCounts:
    """Create or update postcodes in batches; rows equal to what is stored are left alone."""
    created = updated = unchanged = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        stored = {p.postcode: p for p in Postcode.objects.filter(postcode__in=[row.postcode for row in batch])}
        new: list[Postcode] = []
        changed: list[Postcode] = []
        for row in batch:
            entry = stored.get(row.postcode)
            if entry is None:
                new.append(Postcode(postcode=row.postcode, **{name: getattr(row, name) for name in POSTCODE_FIELDS}))
            elif all(getattr(entry, name) == getattr(row, name) for name in POSTCODE_FIELDS):
                unchanged += 1
            else:
                for name in POSTCODE_FIELDS:
                    setattr(entry, name, getattr(row, name))
                changed.append(entry)
        Postcode.objects.bulk_create(new)
        Postcode.objects.bulk_update(changed, list(POSTCODE_FIELDS))
        created += len(new)
        updated += len(changed)
    return UpsertCounts(created=created, updated=updated, unchanged=unchanged)


# --- invitations, public submissions and review ------------------------------------------------

INVITATION_LIMIT = 10_000


@transaction.atomic
def invitations_create(
    *, actor: User | None, survey: Survey, wave: Wave, count: int, area: Area | None = None
) -> list[str]:
    """Make `count` one-use invitations to `wave` and return their raw tokens. The tokens are
    not stored (only their hashes), so this is the one time they can be shown or sent."""
    errors: dict[str, list[str]] = {}
    if wave.survey_id != survey.pk:
        errors["wave"] = [_("This wave belongs to another survey.")]
    if not 1 <= count <= INVITATION_LIMIT:
        errors["count"] = [_("Make between 1 and %(limit)s invitations at a time.") % {"limit": INVITATION_LIMIT}]
    if area is not None and area.owning_force != survey.force:
        errors["area"] = [_("Choose an area the survey covers.")]
    if errors:
        raise ValidationError(errors)
    tokens = [protection.new_token() for _ in range(count)]
    Invitation.objects.bulk_create(
        [Invitation(survey=survey, wave=wave, area=area, token_hash=protection.token_hash(token)) for token in tokens]
    )
    audit_record(
        actor=actor,
        action="survey.invitations_create",
        obj=wave,
        force=survey.force,
        after={"count": count, "area": area.code if area else ""},
    )
    return tokens


@transaction.atomic
def response_submit(
    *,
    survey: Survey,
    wave: Wave,
    answers: Mapping[str, Any],
    language: str,
    client_address: str,
    lsoa: Area | intake.Place | None = None,
    postcode: str | None = None,
    token: str | None = None,
    honeypot: str = "",
    now: dt.datetime | None = None,
    questions: Mapping[str, tuple[Question, QuestionVersion]] | None = None,
    places: Mapping[int, intake.Place] | None = None,
) -> Response:
    """Record a response from the public form. Refuses (ValidationError) invalid answers and
    an unknown, used or other wave's invitation token; anything else is stored, counted or
    flagged for review ("honeypot", "rate", "duplicate"): see `protection`.

    The form's view passes what `intake.survey_form` keeps per process: the current
    `questions`, the chosen place as an `intake.Place` and the list's `places` (where an
    invitation's area is looked up); anyone else may pass models and let them be read. At
    most four statements: the postcode, the sender's lock and counts, the insert; or, with an
    invitation, its claim, the postcode, the insert and the invitation's link (see `intake`
    for why they are raw SQL)."""
    now = now or timezone.now()
    place = intake.place_of_area(lsoa) if isinstance(lsoa, Area) else lsoa
    claim: intake.Claim | None = None
    if token is not None and token.strip():
        claim = intake.claim_invitation(
            survey_id=survey.pk, wave_id=wave.pk, token_hash=protection.token_hash(token), now=now
        )
        if place is None and not postcode and claim.area_id is not None:
            invited_to = intake.place_of_id(claim.area_id, places or {})
            if invited_to is not None and invited_to.level == Level.LSOA:
                place = invited_to
    values = intake.submission_values(
        survey=survey,
        wave=wave,
        answers=answers,
        language=language,
        place=place,
        postcode=postcode,
        questions=selectors.current_questions(survey) if questions is None else questions,
    )
    sender = protection.address_hash(client_address)
    values["fingerprint"] = protection.fingerprint(
        answers=values["answers"], lsoa_id=values["lsoa_id"], neighbourhood_id=values["neighbourhood_id"]
    )
    if claim is None:
        # Only a submission that is counted against its sender needs the sender's lock. An
        # invited one is neither rate-limited nor compared; an anonymous one that misses it
        # because it commits in the meantime is counted as if it came first, which is an order
        # the sender could have sent them in.
        intake.sender_lock(sender)
    flags = protection.submission_flags(
        survey=survey,
        wave=wave,
        sender=sender,
        answers_fingerprint=values["fingerprint"],
        honeypot=honeypot,
        now=now,
        invited=claim is not None,
    )
    values.update(
        address_hash=sender,
        submitted_at=now,
        created_at=timezone.now(),
        status=ResponseStatus.FLAGGED if flags else ResponseStatus.COUNTED,
        flag_reason=",".join(flags),
    )
    response_id = intake.insert_response(values)
    if claim is not None:
        intake.link_invitation(invitation_id=claim.invitation_id, response_id=response_id)
    response = Response(id=response_id, **values)
    response._state.adding = False
    response._state.db = connection.alias
    return response


REVIEW_DECISIONS = {"count": ResponseStatus.COUNTED, "exclude": ResponseStatus.EXCLUDED}
REVIEW_NOTE_LIMIT = 1000


@transaction.atomic
def response_review(*, actor: User, response: Response, decision: str, note: str = "") -> Response:
    """A person's decision on a response: "count" puts it in the scores, "exclude" leaves it
    out for good. The flag reason is kept, so the record shows why it was held."""
    # The reader's area as well as their role: a commander decides on responses from their NPA only.
    if not access.responses_for_user(actor, response.survey).filter(pk=response.pk).exists():
        raise PermissionDenied
    errors: dict[str, list[str]] = {}
    if decision not in REVIEW_DECISIONS:
        errors["decision"] = [_("Choose whether to count or exclude the response.")]
    if len(note) > REVIEW_NOTE_LIMIT:
        errors["note"] = [_("The note must be %(limit)s characters or fewer.") % {"limit": REVIEW_NOTE_LIMIT}]
    if errors:
        raise ValidationError(errors)
    before = {"status": response.status, "flag_reason": response.flag_reason}
    response.status = REVIEW_DECISIONS[decision]
    response.reviewed_by = actor
    response.reviewed_at = timezone.now()
    response.review_note = note.strip()
    response.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit_record(
        actor=actor,
        action="survey.response_review",
        obj=response,
        force=response.survey.force,
        before=before,
        after={"status": response.status, "note": response.review_note},
    )
    return response


# --- concern themes ---------------------------------------------------------------------------


@transaction.atomic
def concern_theme_save(
    *,
    actor: User | None,
    force: Area,
    slug: str,
    name: str,
    keywords: Sequence[str],
    position: int = 0,
    active: bool = True,
) -> ConcernTheme:
    """Create or change a force's own theme; a slug of a default theme replaces that default
    for the force (and `active=False` switches the default off)."""
    errors: dict[str, list[str]] = {}
    slug = slugify(slug)[:40]
    if force.level != Level.FORCE:
        errors["force"] = [_("Choose a force.")]
    if not slug:
        errors["slug"] = [_("Enter a short name for the theme.")]
    if not name.strip():
        errors["name"] = [_("Enter a name for the theme.")]
    lines = [keyword.strip() for keyword in keywords if keyword.strip()]
    if any("\n" in line or len(line) > 80 for line in lines):
        errors["keywords"] = [_("Give one word or phrase of up to 80 characters a line.")]
    if errors:
        raise ValidationError(errors)
    existing = ConcernTheme.objects.filter(force=force, slug=slug).first()
    before = {"name": existing.name, "keywords": existing.keywords, "active": existing.active} if existing else None
    theme, _created = ConcernTheme.objects.update_or_create(
        force=force,
        slug=slug,
        defaults={"name": name.strip(), "keywords": "\n".join(lines), "position": position, "active": active},
    )
    audit_record(
        actor=actor,
        action="survey.concern_theme_save",
        obj=theme,
        force=force,
        before=before,
        after={"name": theme.name, "keywords": theme.keywords, "active": theme.active},
    )
    return theme


# --- translations ---------------------------------------------------------------------------


@transaction.atomic
def survey_translations_add(*, actor: User | None, survey: Survey) -> int:
    """Add the standard translations (`translations.TRANSLATIONS`) to a survey's current
    question versions, for surveys made before a language was offered. Only languages a
    version lacks are added, and only to questions still worded as the template words them in
    English, so no one's answers change meaning and no force's own wording is overwritten.
    Returns how many versions gained a language."""
    template = {item.key: item for item in templates.standard_questions()}
    changed = 0
    for key, (_question, version) in selectors.current_questions(survey).items():
        item = template.get(key)
        english = version.texts.get(translations.ENGLISH) or {}
        if item is None or english.get("text") != item.text or list(version.options) != list(item.options):
            continue
        added = {
            language: wording
            for language, wording in translations.texts_for(item).items()
            if language not in version.texts
        }
        if added:
            version.texts = {**version.texts, **added}
            version.save(update_fields=["texts"])
            changed += 1
    if changed:
        audit_record(
            actor=actor,
            action="survey.translations_add",
            obj=survey,
            force=survey.force,
            after={"versions": changed, "languages": list(translations.LANGUAGES)},
        )
    return changed


# --- staff entry of paper and phone responses --------------------------------------------------

ENTRY_CHANNELS = (Channel.PAPER, Channel.PHONE)


ENTRY_KEY_PREFIX = "entry:"


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _entry_values(
    *,
    actor: User,
    survey: Survey,
    wave: Wave | None,
    answers: Mapping[str, Any],
    channel: str,
    language: str,
    postcode: str | None,
    neighbourhood: Area | None,
    form_token: str,
) -> dict[str, Any]:
    """The columns of an entered response, or ValidationError naming every bad field at once."""
    if not access.can_enter_responses(actor):
        raise PermissionDenied
    allowed = access.entry_neighbourhoods(actor, survey)
    errors: dict[str, list[str]] = {}
    if wave is None:
        errors["wave"] = [_("Choose the wave the response was given in.")]
    if channel not in ENTRY_CHANNELS:
        errors["channel"] = [_("Choose paper or phone.")]
    if all(_blank(value) for value in answers.values()):
        errors["answers"] = [_("Enter at least one answer.")]
    if form_token and Response.objects.filter(survey=survey, import_key=ENTRY_KEY_PREFIX + form_token).exists():
        errors["form_token"] = [
            _("This form was sent twice. The response was saved the first time and has not been saved again.")
        ]
    if neighbourhood is not None and not allowed.filter(pk=neighbourhood.pk).exists():
        errors["neighbourhood"] = [_("Choose a neighbourhood you enter responses for.")]
    postcode = (postcode or "").strip() or None
    if postcode is None and neighbourhood is None:
        errors["postcode"] = [_("Enter the respondent's postcode, or choose their neighbourhood.")]
    elif postcode is not None:
        try:
            entry = Postcode.objects.select_related("lsoa").filter(postcode=normalise_postcode(postcode)).first()
        except ValueError:
            entry = None  # `_response_values` names the bad postcode
        place = entry.lsoa if entry is not None else None
        if place is not None and not allowed.filter(pk=place.parent_id or 0).exists():
            errors["postcode"] = [_("This postcode is outside the area you enter responses for.")]
        elif place is not None and neighbourhood is not None and place.parent_id != neighbourhood.pk:
            errors["postcode"] = [_("The postcode is not in the neighbourhood chosen.")]
    # Without a wave the answers are still checked (against the survey's current questions,
    # as for any wave), so every mistake on the page is named in one go.
    checked_wave = wave or survey.waves.order_by("-opens_on").first()
    if checked_wave is None:
        raise ValidationError(errors)
    try:
        values = _response_values(
            survey=survey,
            wave=checked_wave,
            answers=answers,
            channel=channel if channel in ENTRY_CHANNELS else Channel.PAPER,
            language=language,
            lsoa=None,
            postcode=postcode,
            submitted_at=None,
        )
    except ValidationError as error:
        # The scope messages say more than "outside the survey's area", so they win.
        raise ValidationError({**error.message_dict, **errors}) from None
    if errors:
        raise ValidationError(errors)
    if values["neighbourhood"] is None:
        values["neighbourhood"] = neighbourhood
    return values


def response_enter_check(
    *,
    actor: User,
    survey: Survey,
    wave: Wave | None,
    answers: Mapping[str, Any],
    channel: str,
    language: str = "en",
    postcode: str | None = None,
    neighbourhood: Area | None = None,
    form_token: str = "",
) -> None:
    """Check an entry as `response_enter` would, writing nothing: a page whose own fields are
    wrong still names every wrong answer in the same round."""
    _entry_values(
        actor=actor,
        survey=survey,
        wave=wave,
        answers=answers,
        channel=channel,
        language=language,
        postcode=postcode,
        neighbourhood=neighbourhood,
        form_token=form_token,
    )


@transaction.atomic
def response_enter(
    *,
    actor: User,
    survey: Survey,
    wave: Wave,
    answers: Mapping[str, Any],
    channel: str,
    language: str = "en",
    postcode: str | None = None,
    neighbourhood: Area | None = None,
    form_token: str = "",
) -> Response:
    """A paper or phone response typed in by staff, validated like `response_record`, for a
    respondent living where the actor may enter responses (`access.entry_neighbourhoods`).
    A response with no answer at all is refused.

    Where they live is a postcode or, when the form gave none, a neighbourhood alone: a paper
    form handed in at a beat surgery often says only that. A neighbourhood is enough for
    scoring, which reads neighbourhoods; `response_record` takes only an LSOA or a postcode.

    `form_token` is the entry form's one-time token: kept as the response's import key, so
    the same form sent again (a double click, a resend) is refused, not saved twice; the
    unique (survey, import key) constraint settles two sent at the same moment.
    """
    values = _entry_values(
        actor=actor,
        survey=survey,
        wave=wave,
        answers=answers,
        channel=channel,
        language=language,
        postcode=postcode,
        neighbourhood=neighbourhood,
        form_token=form_token,
    )
    import_key = ENTRY_KEY_PREFIX + form_token if form_token else ""
    try:
        with transaction.atomic():
            response = Response.objects.create(import_key=import_key, **values)
    except IntegrityError:
        raise ValidationError(
            {
                "form_token": [
                    _("This form was sent twice. The response was saved the first time and has not been saved again.")
                ]
            }
        ) from None
    audit_record(
        actor=actor,
        action="survey.response_record",
        obj=response,
        force=survey.force,
        after={
            "channel": channel,
            "wave": wave.code,
            "neighbourhood": response.neighbourhood.code if response.neighbourhood else "",
        },
    )
    return response
