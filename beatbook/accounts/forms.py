"""Forms for sign-in, two-factor, accounts, tokens and the audit search, in GOV.UK markup.

`GovukFormMixin` puts GOV.UK classes, autocomplete and aria-describedby on each widget;
`accounts/_field.html` draws the label, hint and error message around it and
`accounts/_error_summary.html` links each error to its field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from beatbook.areas.models import Area

from .models import Role, User
from .two_factor import normalise_token

_WIDGET_CLASS = {
    "select": "govuk-select",
    "checkbox": "govuk-checkboxes__input",
    "textarea": "govuk-textarea",
}
_ERROR_CLASS = {
    "select": "govuk-select--error",
    "textarea": "govuk-textarea--error",
    "checkbox": "",
}


class GovukFormMixin:
    """Adds GOV.UK classes to widgets, and error classes and descriptions once validated."""

    fields: dict[str, forms.Field]
    errors: Any

    # Field name → extra class (a width, such as "govuk-input--width-10").
    widths: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            kind = _widget_type(field.widget)
            css = _WIDGET_CLASS.get(kind, "govuk-input")
            width = self.widths.get(name)
            field.widget.attrs["class"] = " ".join(c for c in (css, width) if c)
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}-hint"

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            kind = _widget_type(widget)
            error_class = _ERROR_CLASS.get(kind, "govuk-input--error")
            if error_class:
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} {error_class}".strip()
            described = [d for d in [widget.attrs.get("aria-describedby", "")] if d]
            widget.attrs["aria-describedby"] = " ".join([*described, f"id_{name}-error"])

    def first_field_id(self) -> str:
        name = next(iter(self.fields), "")
        return f"id_{name}"


def _widget_type(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


class LoginForm(GovukFormMixin, AuthenticationForm):
    widths = {"username": "govuk-!-width-one-half", "password": "govuk-!-width-one-half"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class TokenForm(GovukFormMixin, forms.Form):
    """A six-digit code from the authenticator app."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("The 6-digit code your app shows now, for example 123456."),
        max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
        error_messages={"required": _("Enter the 6-digit code from your authenticator app")},
    )
    widths = {"token": "govuk-input--width-5"}

    def clean_token(self) -> str:
        token = normalise_token(self.cleaned_data["token"])
        if not token.isdigit() or len(token) != 6:
            raise forms.ValidationError(_("The code must be 6 digits, like 123456"))
        return token


class BeatbookPasswordChangeForm(GovukFormMixin, PasswordChangeForm):
    widths = {
        "old_password": "govuk-!-width-one-half",
        "new_password1": "govuk-!-width-one-half",
        "new_password2": "govuk-!-width-one-half",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        # The validators' HTML list would not fit a GOV.UK hint; say the same thing in words.
        self.fields["new_password1"].help_text = _(
            "At least 12 characters. Not a common password, not all numbers and not like your name."
        )
        self.fields["new_password1"].widget.attrs["aria-describedby"] = "id_new_password1-hint"

    def save(self, commit: bool = True) -> Any:  # pragma: no cover - the view uses user_set_password
        raise NotImplementedError("Use services.user_set_password so that the change is audited.")


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_level_display()})"


class UserForm(GovukFormMixin, forms.Form):
    """Details an administrator sets for a person (create and edit share it)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    area = AreaChoiceField(
        label=_("Area"),
        queryset=Area.objects.none(),
        help_text=_("They will see this area and everything inside it."),
        empty_label=_("Choose an area"),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        required=False,
        max_length=200,
        help_text=_("For partners: who they work for."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    widths = {"first_name": "govuk-!-width-one-half", "last_name": "govuk-!-width-one-half"}

    def __init__(self, *args: Any, areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = areas
        # An administrator types other people's details: the browser should not offer their own.
        self.fields["first_name"].widget.attrs["autocomplete"] = "off"
        self.fields["last_name"].widget.attrs["autocomplete"] = "off"
        self.fields["area"].error_messages["required"] = _("Choose the area they work in")
        self.fields["area"].error_messages["invalid_choice"] = _("Choose an area in your force")
        self.fields["role"].error_messages["required"] = _("Choose a role")
        self.fields["first_name"].error_messages["required"] = _("Enter their first name")
        self.fields["last_name"].error_messages["required"] = _("Enter their last name")
        self.fields["email"].error_messages["invalid"] = _(
            "Enter an email address in the correct format, like name@example.org"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("role") == Role.PARTNER and not data.get("organisation"):
            self.add_error("organisation", _("Enter the organisation the partner works for"))
        return data


class UserCreateForm(UserForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only. They sign in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    password1 = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        help_text=_("At least 12 characters. Give it to them in person; they can change it after signing in."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Confirm temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    field_order = ["username", "first_name", "last_name", "email", "role", "area", "organisation"]
    widths = {**UserForm.widths, "username": "govuk-!-width-one-half", "password1": "govuk-!-width-one-half"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password2"].widget.attrs["class"] += " govuk-!-width-one-half"
        self.fields["username"].error_messages["required"] = _("Enter a username")
        self.fields["password1"].error_messages["required"] = _("Enter a temporary password")
        self.fields["password2"].error_messages["required"] = _("Enter the temporary password again")

    def clean_username(self) -> str:
        username = User.normalize_username(self.cleaned_data["username"])
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("That username is taken; choose another"))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match"))
        elif p1:
            candidate = User(
                username=data.get("username", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                email=data.get("email", ""),
            )
            try:
                password_validation.validate_password(p1, candidate)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data


class UserEditForm(UserForm):
    is_active = forms.BooleanField(
        label=_("Account is active"),
        required=False,
        help_text=_("Untick to stop them signing in. Their API tokens are revoked."),
    )
    reset_two_factor = forms.BooleanField(
        label=_("Reset two-factor authentication"),
        required=False,
        help_text=_("For a lost phone: they set up their authenticator app again when they next sign in."),
    )


class ApiTokenForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("What the token is for, such as 'Power BI dashboard'."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Enter a name for the token")},
    )
    widths = {"name": "govuk-!-width-two-thirds"}


class UserFilterForm(GovukFormMixin, forms.Form):
    q = forms.CharField(label=_("Name, username or email"), required=False, max_length=100)
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices])
    area = AreaChoiceField(
        label=_("Area"), required=False, queryset=Area.objects.none(), empty_label=_("Anywhere in the force")
    )

    def __init__(self, *args: Any, areas: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = areas
        self.fields["q"].widget.attrs["autocomplete"] = "off"


class AuditFilterForm(GovukFormMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200, help_text=_("Object, user or address."))
    actor = forms.CharField(label=_("Who"), required=False, max_length=150, help_text=_("A username."))
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Type of record"), required=False)
    date_from = forms.DateField(
        label=_("From"),
        required=False,
        help_text=_("For example, 2026-03-27."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the from date like 2026-03-27")},
    )
    date_to = forms.DateField(
        label=_("To"),
        required=False,
        help_text=_("Inclusive. For example, 2026-03-31."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the to date like 2026-03-31")},
    )
    widths = {"date_from": "govuk-input--width-10", "date_to": "govuk-input--width-10"}

    def __init__(self, *args: Any, actions: list[str], object_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        action_field = self.fields["action"]
        type_field = self.fields["object_type"]
        assert isinstance(action_field, forms.ChoiceField) and isinstance(type_field, forms.ChoiceField)
        action_field.choices = [("", _("Any action")), *((a, a) for a in actions)]
        type_field.choices = [("", _("Any type")), *((t, t) for t in object_types)]
        for name in ("q", "actor"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The to date must be the same as or after the from date"))
        return data
