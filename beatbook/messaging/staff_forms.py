"""Forms for the staff messaging pages.

The forms check what a form can (a choice is one of the choices offered, a date is a date) and
build the services' data; every rule about messages lives in `message_services`, whose
ValidationError names `MessageData` fields, shown here against the form's own fields
(`add_service_errors`). The areas offered are `access.targetable_areas(user)`, so an area
outside the user's scope posted by hand is refused on the field ("Choose from the list").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from beatbook.accounts.forms import GovukFormMixin
from beatbook.accounts.models import Role, User
from beatbook.areas.models import Area, Level

from . import access
from .message_services import SMS_LIMIT, MessageData
from .metrics import language_names
from .models import DeliveryChannel, Interest, Message, MessageKind, MessageTemplate
from .staff_services import ROLE_VALUES, SettingsData, TemplateData

PHOTO_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_MAX_PIXELS = 4000


class ServiceErrorsMixin(GovukFormMixin):
    """Shows a service's {field: messages} on the form's fields and links the error summary."""

    service_field_names: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)  # type: ignore[attr-defined]
            return
        for name, messages in error.message_dict.items():
            target = self.service_field_names.get(name, name)
            shown = target in self.fields
            for message in messages:
                self.add_error(target if shown else None, message)  # type: ignore[attr-defined]

    def _input_id(self, name: str) -> str:
        if isinstance(self.fields[name].widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            return f"id_{name}_0"
        return f"id_{name}"

    def first_field_id(self) -> str:
        name = next(iter(self.fields), "")
        return self._input_id(name) if name else ""

    def error_links(self) -> list[tuple[str, str]]:
        links = [(self.first_field_id(), str(m)) for m in self.non_field_errors()]  # type: ignore[attr-defined]
        for name in self.fields:
            for message in self.errors.get(name, []):
                links.append((self._input_id(name), str(message)))
        return links


def _checkboxes(label: Any, queryset: Any, *, help_text: Any = "", required: bool = False) -> Any:
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text,
        queryset=queryset,
        required=required,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose from the list"),
            "invalid_pk_value": _("Choose from the list"),
            "required": _("Choose at least one area to send to"),
        },
    )


def language_choices() -> list[tuple[str, str]]:
    return list(language_names().items())


CHANNEL_CHOICES = [(DeliveryChannel.EMAIL.value, _("Email")), (DeliveryChannel.SMS.value, _("Text message"))]


class MessageForm(ServiceErrorsMixin, forms.Form):
    """What the author writes and whom it is for."""

    kind = forms.ChoiceField(
        label=_("Type of message"),
        choices=MessageKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the type of message"), "invalid_choice": _("Choose from the list")},
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=150,
        error_messages={"required": _("Enter a subject"), "max_length": _("Use 150 characters or fewer")},
    )
    body = forms.CharField(
        label=_("Message"),
        help_text=_("Plain text. Leave a blank line between paragraphs and write links out in full."),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Enter the message")},
    )
    sms_body = forms.CharField(
        label=_("Text message"),
        help_text=_("Needed when sending by text. Up to 459 characters (three texts)."),
        required=False,
        max_length=SMS_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Use 459 characters or fewer (three texts)")},
    )
    areas = _checkboxes(
        _("Areas"),
        Area.objects.none(),
        help_text=_("Choosing a policing area or the force reaches every neighbourhood inside it."),
        required=True,
    )
    interests = _checkboxes(
        _("Interests"), Interest.objects.none(), help_text=_("Leave all unticked to reach everyone in the areas.")
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        help_text=_("Leave all unticked to reach subscribers in every language."),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    channels = forms.MultipleChoiceField(
        label=_("Send by"),
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one way to send it: email or text message"),
            "invalid_choice": _("Choose from the list"),
        },
    )
    survey = forms.ModelChoiceField(
        label=_("Survey (for survey invitations)"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=_("None"),
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    template = forms.IntegerField(required=False, widget=forms.HiddenInput)

    service_field_names = {
        "area_ids": "areas",
        "interest_ids": "interests",
        "survey_id": "survey",
        "template_id": "template",
    }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from beatbook.surveys.models import Survey

        self.user = user
        force_id = access.user_force_id(user)
        self.fields["areas"].queryset = access.targetable_areas(user).select_related("parent")  # type: ignore[attr-defined]
        self.fields["interests"].queryset = Interest.objects.filter(  # type: ignore[attr-defined]
            Q(force__isnull=True) | Q(force_id=force_id), active=True
        )
        self.fields["languages"].choices = language_choices()  # type: ignore[attr-defined]
        self.fields["survey"].queryset = Survey.objects.filter(force_id=force_id)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The service checks this too; checked here as well so that the page names every
        # mistake at once, not this one only after the others are put right.
        if DeliveryChannel.SMS.value in (cleaned.get("channels") or []) and not (cleaned.get("sms_body") or "").strip():
            self.add_error("sms_body", _("Enter the text message, or do not send by text"))
        return cleaned

    def area_groups(self) -> list[tuple[str, list[Any]]]:
        """The area checkboxes grouped for the page: the force, then each NPA with its neighbourhoods."""
        boxes = {str(box.data["value"]): box for box in self["areas"]}
        areas = list(self.fields["areas"].queryset)  # type: ignore[attr-defined]
        groups: dict[str, list[Any]] = {}
        order = {Level.FORCE: 0, Level.NPA: 1, Level.NEIGHBOURHOOD: 2}
        for area in sorted(areas, key=lambda a: (order.get(a.level, 3), a.name)):
            if area.level == Level.FORCE:
                key = str(_("Whole force"))
            elif area.level == Level.NPA:
                key = area.name
            else:
                key = area.parent.name if area.parent else str(_("Other neighbourhoods"))
            groups.setdefault(key, []).append((area, boxes.get(str(area.pk))))
        return [(name, [(a, box) for a, box in members if box is not None]) for name, members in groups.items()]

    def to_data(self) -> MessageData:
        data = self.cleaned_data
        survey = data.get("survey")
        return MessageData(
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            sms_body=data.get("sms_body") or "",
            area_ids=sorted(a.pk for a in data["areas"]),
            interest_ids=sorted(i.pk for i in data.get("interests") or []),
            languages=list(data.get("languages") or []),
            channels=list(data["channels"]),
            template_id=data.get("template") or None,
            survey_id=survey.pk if survey is not None else None,
        )

    @staticmethod
    def initial_from_template(template: MessageTemplate) -> dict[str, Any]:
        return {
            "kind": template.kind,
            "subject": template.subject,
            "body": template.body,
            "sms_body": template.sms_body,
            "template": template.pk,
            "channels": [DeliveryChannel.EMAIL.value, *([DeliveryChannel.SMS.value] if template.sms_body else [])],
        }

    @staticmethod
    def initial_from_message(message: Message) -> dict[str, Any]:
        return {
            "kind": message.kind,
            "subject": message.subject,
            "body": message.body,
            "sms_body": message.sms_body,
            "areas": list(message.areas.all()),
            "interests": list(message.interests.all()),
            "languages": list(message.languages),
            "channels": list(message.channels),
            "survey": message.survey_id,
            "template": message.template_id,
        }


class TargetsForm(forms.Form):
    """The targets alone, read leniently for the audience panel: anything not offered is left out."""

    areas = forms.MultipleChoiceField(required=False)
    interests = forms.MultipleChoiceField(required=False)
    languages = forms.MultipleChoiceField(required=False)
    channels = forms.MultipleChoiceField(required=False, choices=CHANNEL_CHOICES)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        force_id = access.user_force_id(user)
        areas = access.targetable_areas(user).values_list("pk", flat=True)
        self.fields["areas"].choices = [(str(pk), "") for pk in areas]  # type: ignore[attr-defined]
        interests = Interest.objects.filter(Q(force__isnull=True) | Q(force_id=force_id), active=True)
        self.fields["interests"].choices = [(str(pk), "") for pk in interests.values_list("pk", flat=True)]  # type: ignore[attr-defined]
        self.fields["languages"].choices = language_choices()  # type: ignore[attr-defined]

    def targets(self) -> dict[str, list[Any]]:
        """The valid part of each target list (an invalid list counts as nothing chosen)."""
        self.is_valid()
        chosen: dict[str, list[Any]] = {}
        for name in ("areas", "interests", "languages", "channels"):
            allowed = {str(value) for value, _label in self.fields[name].choices}  # type: ignore[attr-defined]
            values = [v for v in self.data.getlist(name) if v in allowed] if hasattr(self.data, "getlist") else []
            chosen[name] = values
        return {
            "area_ids": [int(v) for v in chosen["areas"]],
            "interest_ids": [int(v) for v in chosen["interests"]],
            "languages": chosen["languages"],
            "channels": chosen["channels"] or [c for c, _label in CHANNEL_CHOICES],
        }


class SendForm(ServiceErrorsMixin, forms.Form):
    """Send now, or at a London date and time."""

    when = forms.ChoiceField(
        label=_("When should it be sent?"),
        choices=[("now", _("Now")), ("later", _("At a date and time"))],
        widget=forms.RadioSelect,
        initial="now",
        error_messages={"required": _("Choose when to send it")},
    )
    send_date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date like 2026-03-27")},
    )
    send_time = forms.TimeField(
        label=_("Time (UK time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter the time like 14:30")},
    )
    service_field_names = {"send_at": "send_date"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("when") == "later":
            if not cleaned.get("send_date") and "send_date" not in self.errors:
                self.add_error("send_date", _("Enter the date to send it"))
            if not cleaned.get("send_time") and "send_time" not in self.errors:
                self.add_error("send_time", _("Enter the time to send it"))
        return cleaned

    def send_at(self) -> dt.datetime | None:
        if self.cleaned_data.get("when") != "later":
            return None
        return timezone.make_aware(
            dt.datetime.combine(self.cleaned_data["send_date"], self.cleaned_data["send_time"]),
            timezone.get_default_timezone(),
        )


class ReturnForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("What needs changing?"),
        help_text=_("The author sees this note with the draft."),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": _("Say what needs changing")},
    )


class TemplateForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, error_messages={"required": _("Enter a name")})
    kind = forms.ChoiceField(
        label=_("Type of message"),
        choices=MessageKind.choices,
        error_messages={"required": _("Choose the type of message")},
    )
    subject = forms.CharField(label=_("Subject"), max_length=150, error_messages={"required": _("Enter a subject")})
    body = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 10}),
        error_messages={"required": _("Enter the message")},
    )
    sms_body = forms.CharField(
        label=_("Text message"),
        required=False,
        max_length=SMS_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Use 459 characters or fewer (three texts)")},
    )
    active = forms.BooleanField(label=_("Offer this template when writing a message"), required=False, initial=True)

    def to_data(self) -> TemplateData:
        d = self.cleaned_data
        return TemplateData(
            name=d["name"],
            kind=d["kind"],
            subject=d["subject"],
            body=d["body"],
            sms_body=d["sms_body"],
            active=d["active"],
        )


class ProfileForm(ServiceErrorsMixin, forms.Form):
    display_name = forms.CharField(
        label=_("Name shown to subscribers"),
        max_length=120,
        error_messages={"required": _("Enter the name subscribers will see")},
    )
    role_title = forms.CharField(
        label=_("Role"),
        help_text=_("For example: PCSO, Abbeyfield."),
        max_length=120,
        error_messages={"required": _("Enter your role, for example PCSO, Abbeyfield")},
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        help_text=_("A JPEG, PNG or WebP image of up to 2 MB."),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my photo"), required=False)

    def clean_photo(self) -> Any:
        photo = self.cleaned_data.get("photo")
        if not photo:
            return None
        if photo.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("The photo must be 2 MB or smaller"))
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(photo) as image:
                kind = image.format
                width, height = image.size
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise forms.ValidationError(_("The photo must be a JPEG, PNG or WebP image")) from None
        if kind not in PHOTO_TYPES:
            raise forms.ValidationError(_("The photo must be a JPEG, PNG or WebP image"))
        if width > PHOTO_MAX_PIXELS or height > PHOTO_MAX_PIXELS:
            raise forms.ValidationError(_("The photo must be at most 4000 pixels wide and high"))
        photo.seek(0)
        extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[kind]
        photo.name = f"sender.{extension}"
        return photo


ROLE_CHOICES = [(r.value, r.label) for r in Role if r.value in ROLE_VALUES]


class SettingsForm(ServiceErrorsMixin, forms.Form):
    approval_required_for = forms.MultipleChoiceField(
        label=_("Messages that need approval before sending"),
        help_text=_("Messages written by people in these roles wait for an approver."),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    approver_roles = forms.MultipleChoiceField(
        label=_("Who may approve"),
        help_text=_("Approvers approve messages to areas in their scope, never their own."),
        choices=ROLE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose from the list")},
    )
    open_tracking = forms.BooleanField(
        label=_("Count opened emails"),
        help_text=_(
            "Off by default. It adds a tracking image to emails, which many people would not expect; "
            "clicks, ratings and unsubscribes are counted either way."
        ),
        required=False,
    )
    sender_name = forms.CharField(
        label=_("Sender name"), help_text=_("Shown as who the email is from."), max_length=120, required=False
    )
    reply_to = forms.EmailField(
        label=_("Reply-to address (optional)"),
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.org")},
    )

    def to_data(self) -> SettingsData:
        d = self.cleaned_data
        return SettingsData(
            approval_required_for=list(d["approval_required_for"]),
            approver_roles=list(d["approver_roles"]),
            open_tracking=d["open_tracking"],
            sender_name=d["sender_name"],
            reply_to=d["reply_to"],
        )


class SubscriberSearchForm(forms.Form):
    q = forms.CharField(label=_("Email, phone number or postcode"), required=False, max_length=254)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"class": "govuk-input govuk-!-width-one-half", "spellcheck": "false"})
