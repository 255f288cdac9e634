"""The public "Your Views" form: what the page shows for each question, and what was sent.

Answers are validated once, by `services.response_submit`; this module only reads the posted
fields into the shape the service takes and turns the service's errors back into messages
beside the questions, so a wrong answer keeps every other answer on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from .models import Question, QuestionKind, QuestionVersion
from .translations import wording

HONEYPOT_FIELD = "website"
INVITATION_FIELD = "t"
POSTCODE_FIELD = "postcode"
PLACE_FIELD = "lsoa"
POSTCODE_LIMIT = 16
# Fields that are not answers: the error summary links to each, and the service's
# "lsoa" error is shown on the list.
LOCATION_ERRORS = (POSTCODE_FIELD, PLACE_FIELD)

CHOICE_KINDS = (QuestionKind.AGREE5, QuestionKind.YES_NO, QuestionKind.SINGLE)


@dataclass
class OptionView:
    value: str
    label: str
    input_id: str
    checked: bool


@dataclass
class QuestionView:
    key: str
    kind: str
    text: str
    hint: str
    language: str
    required: bool
    options: list[OptionView] = field(default_factory=list)
    value: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def input_id(self) -> str:
        """Where the error summary's link for this question lands: its first input."""
        return self.options[0].input_id if self.options else f"q-{self.key}"

    @property
    def hint_id(self) -> str:
        return f"q-{self.key}-hint"

    @property
    def error_id(self) -> str:
        return f"q-{self.key}-error"

    @property
    def uses_fieldset(self) -> bool:
        return bool(self.options)

    @property
    def is_multiple(self) -> bool:
        return self.kind == QuestionKind.MULTIPLE

    @property
    def is_text(self) -> bool:
        return self.kind == QuestionKind.TEXT

    @property
    def is_number(self) -> bool:
        return self.kind == QuestionKind.NUMBER


@dataclass(frozen=True)
class ErrorLink:
    message: str
    anchor: str


def _posted_value(data: QueryDict | Mapping[str, Any], key: str, multiple: bool) -> Any:
    if multiple:
        return data.getlist(key) if isinstance(data, QueryDict) else list(data.get(key) or [])
    return str(data.get(key, "") or "").strip()


@dataclass(frozen=True)
class Posted:
    """What a submission sent, read as `PublicSurveyForm` reads it, without building the
    page's question views: a submission that succeeds never shows them."""

    answers: dict[str, Any]
    postcode: str
    place: str
    honeypot: str
    token: str


def read_posted(questions: Mapping[str, tuple[Question, QuestionVersion]], data: QueryDict) -> Posted:
    answers: dict[str, Any] = {}
    for key, (question, _version) in questions.items():
        value = _posted_value(data, key, question.kind == QuestionKind.MULTIPLE)
        if value not in ("", []):
            answers[key] = value
    return Posted(
        answers=answers,
        postcode=str(data.get(POSTCODE_FIELD, "") or "").strip()[:POSTCODE_LIMIT],
        place=str(data.get(PLACE_FIELD, "") or "").strip(),
        honeypot=str(data.get(HONEYPOT_FIELD, "") or ""),
        token=str(data.get(INVITATION_FIELD, "") or "").strip(),
    )


class PublicSurveyForm:
    """One page of questions in the visitor's language, bound to what they sent (if anything)."""

    def __init__(
        self,
        *,
        questions: Mapping[str, tuple[Question, QuestionVersion]],
        language: str,
        places: list[tuple[str, list[tuple[int, str]]]],
        data: QueryDict | Mapping[str, Any] | None = None,
        token: str = "",
    ) -> None:
        self.language = language
        self.places = places
        self.place_ids = {pk for _group, items in places for pk, _name in items}
        self.data = data
        self.errors: dict[str, list[str]] = {}
        self.questions: list[QuestionView] = []
        self.answers: dict[str, Any] = {}
        posted = data or {}
        for key, (question, version) in questions.items():
            multiple = question.kind == QuestionKind.MULTIPLE
            value = _posted_value(posted, key, multiple) if data is not None else ([] if multiple else "")
            if data is not None and value not in ("", []):
                self.answers[key] = value
            self.questions.append(self._question_view(question, version, value))
        self.postcode = str(posted.get(POSTCODE_FIELD, "") or "").strip()[:POSTCODE_LIMIT]
        self.place = str(posted.get(PLACE_FIELD, "") or "").strip()
        self.honeypot = str(posted.get(HONEYPOT_FIELD, "") or "")
        self.token = str(posted.get(INVITATION_FIELD, "") or "").strip() if data is not None else token

    def _question_view(self, question: Question, version: QuestionVersion, value: Any) -> QuestionView:
        words = wording(version.texts, self.language)
        chosen = set(value) if isinstance(value, list) else {value}
        options: list[OptionView] = []
        if question.kind in (*CHOICE_KINDS, QuestionKind.MULTIPLE):
            keys = list(version.options) or list(words["options"])
            options = [
                OptionView(
                    value=option,
                    label=str(words["options"].get(option, option)),
                    input_id=f"q-{question.key}" if position == 0 else f"q-{question.key}-{position + 1}",
                    checked=option in chosen,
                )
                for position, option in enumerate(keys)
            ]
        return QuestionView(
            key=question.key,
            kind=question.kind,
            text=words["text"],
            hint=words["hint"],
            language=words["language"],
            required=question.required,
            options=options,
            value="" if isinstance(value, list) else str(value),
        )

    def place_area_id(self) -> int | None:
        """The LSOA chosen from the list; an id that is not on the list is an error."""
        if not self.place:
            return None
        try:
            pk = int(self.place)
        except ValueError:
            pk = -1
        if pk not in self.place_ids:
            self.errors[PLACE_FIELD] = [_("Choose where you live from the list.")]
            return None
        return pk

    def add_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for key, found in messages.items():
            self.errors.setdefault(key, []).extend(str(message) for message in found)
        for view in self.questions:
            view.errors = self.errors.get(view.key, [])

    @property
    def is_bound(self) -> bool:
        return self.data is not None

    def error_links(self) -> list[ErrorLink]:
        """The error summary, in page order: questions, then where you live, then the rest."""
        links = [ErrorLink(message, view.input_id) for view in self.questions for message in view.errors]
        links += [ErrorLink(message, "postcode") for message in self.errors.get(POSTCODE_FIELD, [])]
        links += [ErrorLink(message, "lsoa") for message in self.errors.get(PLACE_FIELD, [])]
        shown = {view.key for view in self.questions} | set(LOCATION_ERRORS)
        links += [
            ErrorLink(message, "submit") for key, found in self.errors.items() if key not in shown for message in found
        ]
        return links
