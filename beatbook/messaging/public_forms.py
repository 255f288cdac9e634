"""The public sign-up, preference and change-of-address forms: what was sent, read into the services' data, and
the services' errors put back beside their fields and in the error summary.

Validation happens once, in `subscriber_services`; these classes only read text into values
(an id that is not a number is simply not chosen, and the service then says what is missing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from .models import EmailFormat, Frequency, Subscriber
from .subscriber_address import AddressData
from .subscriber_services import PreferencesData, SignupData

# Fields in page order, each with the id of the control its error summary link goes to.
SIGNUP_FIELDS = (
    ("email", "email"),
    ("phone", "phone"),
    ("postcode", "postcode"),
    ("neighbourhoods", "neighbourhoods"),
    ("interests", "interests"),
    ("language", "language"),
    ("email_format", "email_format"),
    ("frequency", "frequency"),
    ("consent", "consent"),
)
PREFERENCE_FIELDS = (
    ("channels", "channels"),
    ("neighbourhoods", "neighbourhoods"),
    ("interests", "interests"),
    ("language", "language"),
    ("email_format", "email_format"),
    ("frequency", "frequency"),
)
ADDRESS_FIELDS = (
    ("email", "email"),
    ("phone", "phone"),
)
# The preference page holds two forms posting to the same address; this hidden field's value
# tells the change of address from the preferences.
ADDRESS_FORM = "contact"
TEXT_LIMIT = 300
# A field people never see or reach (the template hides it from sight, keyboard and screen
# readers); a robot that fills in every field fills it in too. Named as the survey form's.
HONEYPOT_FIELD = "website"


@dataclass(frozen=True)
class ErrorLink:
    message: str
    anchor: str


def _ids(values: Sequence[str]) -> list[int]:
    found = []
    for value in values:
        try:
            found.append(int(value))
        except (TypeError, ValueError):
            continue
    return found


def _text(data: QueryDict, name: str) -> str:
    return str(data.get(name, "") or "").strip()[:TEXT_LIMIT]


class PublicForm:
    fields: tuple[tuple[str, str], ...] = ()
    # Where an error that belongs to no field links to: the form's button.
    button_id = "submit"

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add_errors(self, error: ValidationError) -> None:
        messages = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, found in messages.items():
            self.errors.setdefault(key, []).extend(str(message) for message in found)

    def error_links(self) -> list[ErrorLink]:
        links = [ErrorLink(message, anchor) for name, anchor in self.fields for message in self.errors.get(name, [])]
        known = {name for name, _anchor in self.fields}
        links += [
            ErrorLink(message, self.button_id)
            for key, found in self.errors.items()
            if key not in known
            for message in found
        ]
        return links


class SignupForm(PublicForm):
    fields = SIGNUP_FIELDS

    def __init__(self, *, data: QueryDict | None, language: str, wording_id: int | None) -> None:
        super().__init__()
        self.is_bound = data is not None
        posted = data if data is not None else QueryDict()
        self.email = _text(posted, "email")
        self.phone = _text(posted, "phone")
        self.postcode = _text(posted, "postcode")
        self.neighbourhood_ids = _ids(posted.getlist("neighbourhoods"))
        self.interest_ids = _ids(posted.getlist("interests"))
        self.language = _text(posted, "language") or language
        self.email_format = _text(posted, "email_format") or EmailFormat.HTML
        self.frequency = _text(posted, "frequency") or Frequency.IMMEDIATE
        self.consent = posted.get("consent") == "yes"
        posted_wording = _ids([posted.get("wording", "")])
        self.wording_id = posted_wording[0] if posted_wording else wording_id
        self.honeypot = str(posted.get(HONEYPOT_FIELD, "") or "")

    @property
    def is_robot(self) -> bool:
        return self.is_bound and bool(self.honeypot.strip())

    def data(self) -> SignupData:
        return SignupData(
            email=self.email,
            phone=self.phone,
            postcode=self.postcode,
            neighbourhood_ids=self.neighbourhood_ids,
            interest_ids=self.interest_ids,
            language=self.language,
            email_format=self.email_format,
            frequency=self.frequency,
            wording_id=self.wording_id,
            consent=self.consent,
        )


class PreferencesForm(PublicForm):
    fields = PREFERENCE_FIELDS

    def __init__(self, *, subscriber: Subscriber, data: QueryDict | None) -> None:
        super().__init__()
        self.is_bound = data is not None
        if data is None:
            self.wants_email = subscriber.wants_email
            self.wants_sms = subscriber.wants_sms
            self.neighbourhood_ids = list(subscriber.area_links.values_list("area_id", flat=True))
            self.interest_ids = list(subscriber.interest_links.values_list("interest_id", flat=True))
            self.language = subscriber.language
            self.email_format = subscriber.email_format
            self.frequency = subscriber.frequency
            return
        channels = data.getlist("channels")
        self.wants_email = "email" in channels
        self.wants_sms = "sms" in channels
        self.neighbourhood_ids = _ids(data.getlist("neighbourhoods"))
        self.interest_ids = _ids(data.getlist("interests"))
        self.language = _text(data, "language")
        self.email_format = _text(data, "email_format")
        self.frequency = _text(data, "frequency")

    def data(self) -> PreferencesData:
        return PreferencesData(
            neighbourhood_ids=self.neighbourhood_ids,
            interest_ids=self.interest_ids,
            wants_email=self.wants_email,
            wants_sms=self.wants_sms,
            language=self.language,
            email_format=self.email_format,
            frequency=self.frequency,
        )


class AddressForm(PublicForm):
    fields = ADDRESS_FIELDS
    button_id = "address-submit"

    def __init__(self, *, subscriber: Subscriber, data: QueryDict | None) -> None:
        super().__init__()
        self.is_bound = data is not None
        if data is None:
            self.email = subscriber.email
            self.phone = subscriber.phone
            return
        self.email = _text(data, "email")
        self.phone = _text(data, "phone")

    def data(self) -> AddressData:
        return AddressData(email=self.email, phone=self.phone)


def choice_labels() -> dict[str, Any]:
    """The translated labels of the format and frequency choices (the model's are English)."""
    return {
        "formats": [
            (EmailFormat.HTML, _("Formatted, with pictures and links")),
            (EmailFormat.TEXT, _("Plain text")),
        ],
        "frequencies": [
            (Frequency.IMMEDIATE, _("As soon as each message is sent")),
            (Frequency.WEEKLY, _("A weekly digest of the week’s messages")),  # noqa: RUF001 - typographic apostrophe
        ],
    }
