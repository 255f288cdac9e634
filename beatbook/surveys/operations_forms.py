"""Forms of the staff survey pages: reviewing a response, entering a paper or phone response,
and the concern theme taxonomy.

The entry form reuses the public form (`forms.PublicSurveyForm`) for the questions, so staff
see the same controls and the answers go through the same validation (`services`); this
module adds the fields only staff fill in (wave, channel, language, neighbourhood) and puts
the services' errors back beside each field, keeping everything else that was typed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from beatbook.accounts.forms import GovukFormMixin
from beatbook.areas.models import Area

from .forms import POSTCODE_LIMIT, PublicSurveyForm, QuestionView
from .models import Channel, ConcernTheme, Question, QuestionVersion, Wave
from .services import REVIEW_NOTE_LIMIT

# What staff type answers in: English wording, whatever the respondent's language.
STAFF_WORDING = "en"
ENTRY_LANGUAGES: tuple[tuple[str, Any], ...] = (
    ("en", _("English")),
    ("cy", _("Welsh")),
    ("ur", _("Urdu")),
    ("pa", _("Punjabi")),
    ("gu", _("Gujarati")),
    ("pl", _("Polish")),
)
ENTRY_CHANNELS: tuple[tuple[str, Any], ...] = ((Channel.PAPER, _("Paper form")), (Channel.PHONE, _("Phone call")))
# Page order of the staff-only fields, so the error summary follows the page.
ENTRY_FIELDS = ("wave", "channel", "language", "postcode", "neighbourhood")
# The entry form's one-time token: a random nonce, signed so that only a form this site
# rendered is accepted, and good for a week (a paper pile can take a while to type in).
NONCE_FIELD = "form_token"
NONCE_SALT = "beatbook.surveys.entry-form"
NONCE_MAX_AGE = 7 * 24 * 3600


def new_entry_token() -> str:
    return signing.TimestampSigner(salt=NONCE_SALT).sign(secrets.token_urlsafe(18))


@dataclass(frozen=True)
class ErrorLink:
    anchor: str
    message: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    input_id: str
    checked: bool


# --- review ---------------------------------------------------------------------------------

REVIEW_DECISIONS: tuple[tuple[str, Any], ...] = (
    ("count", _("Count it: it is a genuine response")),
    ("exclude", _("Exclude it: leave it out of every score")),
)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=REVIEW_DECISIONS,
        error_messages={
            "required": _("Choose whether to count or exclude the response."),
            "invalid_choice": _("Choose whether to count or exclude the response."),
        },
    )
    note = forms.CharField(
        required=False,
        max_length=REVIEW_NOTE_LIMIT,
        error_messages={"max_length": _("The note must be %(limit_value)s characters or fewer.")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "exclude" and not str(cleaned.get("note", "")).strip():
            self.add_error("note", _("Say why the response is excluded."))
        return cleaned

    def decision_choices(self) -> list[Choice]:
        chosen = str(self["decision"].value() or "")
        return [
            Choice(
                value=value,
                label=str(label),
                input_id="decision" if i == 0 else f"decision-{i + 1}",
                checked=value == chosen,
            )
            for i, (value, label) in enumerate(REVIEW_DECISIONS)
        ]

    def note_value(self) -> str:
        return str(self["note"].value() or "")

    def error_links(self) -> list[ErrorLink]:
        anchors = {"decision": "decision", "note": "note"}
        return [
            ErrorLink(anchors.get(name, "decision"), str(message))
            for name in ("decision", "note", "__all__")
            for message in self.errors.get(name, [])
        ]


# --- paper and phone entry ------------------------------------------------------------------


def _text(data: QueryDict | Mapping[str, Any] | None, name: str, limit: int = 40) -> str:
    return str((data or {}).get(name, "") or "").strip()[:limit]


class EntryForm:
    """The staff entry page: wave, channel, language and where the respondent lives, then
    every question of the survey as the public form shows it."""

    def __init__(
        self,
        *,
        questions: Mapping[str, tuple[Question, QuestionVersion]],
        waves: list[Wave],
        neighbourhoods: list[Area],
        data: QueryDict | Mapping[str, Any] | None = None,
        initial: Mapping[str, str] | None = None,
    ) -> None:
        self.answers_form = PublicSurveyForm(questions=questions, language=STAFF_WORDING, places=[], data=data)
        self.waves = waves
        self.neighbourhoods = neighbourhoods
        source: Mapping[str, Any] = data if data is not None else (initial or {})
        self.wave = _text(source, "wave")
        self.channel = _text(source, "channel")
        self.language = _text(source, "language") or "en"
        self.postcode = _text(data, "postcode", POSTCODE_LIMIT)
        self.neighbourhood = _text(data, "neighbourhood")
        self.posted_token = _text(data, NONCE_FIELD, 200)
        # Each page shows a new token: one refused as sent twice is not offered again.
        self.token = new_entry_token()
        if data is None and not any(str(wave.pk) == self.wave for wave in waves):
            self.wave = str(waves[0].pk) if waves else ""

    @property
    def errors(self) -> dict[str, list[str]]:
        return self.answers_form.errors

    @property
    def questions(self) -> list[QuestionView]:
        return self.answers_form.questions

    @property
    def answers(self) -> dict[str, Any]:
        return self.answers_form.answers

    def _error(self, name: str, message: Any) -> None:
        self.errors.setdefault(name, []).append(str(message))

    def chosen_wave(self) -> Wave | None:
        wave = next((wave for wave in self.waves if str(wave.pk) == self.wave), None)
        if wave is None:
            self._error("wave", _("Choose the wave the response was given in."))
        return wave

    def chosen_channel(self) -> str:
        if self.channel not in dict(ENTRY_CHANNELS):
            self._error("channel", _("Choose whether the response came on paper or by phone."))
        return self.channel

    def chosen_language(self) -> str:
        if self.language not in dict(ENTRY_LANGUAGES):
            self._error("language", _("Choose the language the respondent answered in."))
        return self.language

    def chosen_token(self) -> str:
        """The nonce of the token the form was sent with; "" (and an error) when it is
        missing, altered or more than a week old."""
        try:
            return str(signing.TimestampSigner(salt=NONCE_SALT).unsign(self.posted_token, max_age=NONCE_MAX_AGE))
        except signing.BadSignature:
            self._error(
                NONCE_FIELD,
                _("This form is out of date or was not sent from this page. Check the answers and save again."),
            )
            return ""

    def chosen_neighbourhood(self) -> Area | None:
        if not self.neighbourhood:
            return None
        found = next((area for area in self.neighbourhoods if str(area.pk) == self.neighbourhood), None)
        if found is None:
            self._error("neighbourhood", _("Choose a neighbourhood from the list."))
        return found

    def add_errors(self, error: ValidationError) -> None:
        """The service's errors, beside those this form found: a field this form already
        named keeps its own message rather than gaining a second saying the same."""
        found = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        fresh = {key: messages for key, messages in found.items() if key not in self.errors}
        self.answers_form.add_errors(ValidationError(fresh))

    def refresh_question_errors(self) -> None:
        """Put errors found by this form (not the service) on the questions too."""
        for view in self.questions:
            view.errors = self.errors.get(view.key, [])

    def channel_choices(self) -> list[Choice]:
        return [
            Choice(
                value=value,
                label=str(label),
                input_id="channel" if i == 0 else f"channel-{i + 1}",
                checked=value == self.channel,
            )
            for i, (value, label) in enumerate(ENTRY_CHANNELS)
        ]

    def language_choices(self) -> list[Choice]:
        return [
            Choice(value=value, label=str(label), input_id="language", checked=value == self.language)
            for value, label in ENTRY_LANGUAGES
        ]

    def error_links(self) -> list[ErrorLink]:
        """The error summary in page order: staff fields, the questions, then anything else."""
        links = [ErrorLink(name, message) for name in ENTRY_FIELDS for message in self.errors.get(name, [])]
        first_answer = self.questions[0].input_id if self.questions else "submit"
        links += [ErrorLink(first_answer, message) for message in self.errors.get("answers", [])]
        links += [ErrorLink(view.input_id, message) for view in self.questions for message in view.errors]
        shown = {view.key for view in self.questions} | {*ENTRY_FIELDS, "answers"}
        links += [
            ErrorLink("submit", message) for key, found in self.errors.items() if key not in shown for message in found
        ]
        return links


# --- concern themes ---------------------------------------------------------------------------


class ThemeForm(GovukFormMixin, forms.Form):
    slug = forms.SlugField(
        label=_("Short name"),
        max_length=ConcernTheme._meta.get_field("slug").max_length,
        help_text=_(
            "Lower-case letters, numbers and hyphens. Using a default theme's short name replaces that "
            "default for your force."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=ConcernTheme._meta.get_field("name").max_length)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=_(
            "One word or phrase a line. Case is ignored, plurals match, and a * at the end matches any "
            "ending (speed* matches speeding). A theme with no keywords takes the concerns no other theme matched."
        ),
    )
    position = forms.IntegerField(
        label=_("Position"),
        min_value=0,
        max_value=1000,
        initial=0,
        help_text=_("Themes are listed, and tried, lowest first."),
    )
    active = forms.BooleanField(
        label=_("In use"),
        required=False,
        initial=True,
        help_text=_("Clear this to stop grouping concerns under the theme, without deleting it."),
    )
    widths = {"slug": "govuk-input--width-20", "name": "govuk-!-width-two-thirds", "position": "govuk-input--width-4"}

    def __init__(self, *args: Any, theme: ConcernTheme | None = None, **kwargs: Any) -> None:
        if theme is not None:
            kwargs.setdefault(
                "initial",
                {"name": theme.name, "keywords": theme.keywords, "position": theme.position, "active": theme.active},
            )
        super().__init__(*args, **kwargs)
        if theme is not None:
            # A theme's short name is what a force's copy replaces a default by: it does not change.
            del self.fields["slug"]

    def keyword_lines(self) -> list[str]:
        return [line.strip() for line in str(self.cleaned_data.get("keywords", "")).splitlines() if line.strip()]

    def error_links(self) -> list[ErrorLink]:
        links = [ErrorLink(self.first_field_id(), str(message)) for message in self.non_field_errors()]
        links += [
            ErrorLink(f"id_{name}", str(message)) for name in self.fields for message in self.errors.get(name, [])
        ]
        return links
