"""The form a force administrator fills in to add or change an engagement standard.

It only collects and tidies what was typed into a `services.StandardData`; whether the
standard is valid for the force (a key used twice, no types) is decided by
`services.standard_create` / `standard_update`, whose field errors the view puts back on
this form, so the page names the field whichever check failed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from beatbook.accounts.forms import GovukFormMixin

from .models import ActivityType, AppliesTo, Period, Standard
from .services import StandardData


class TypeCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose field links (error summary) to the first box rather than to nothing."""

    def id_for_label(self, id_: str, index: str | None = "0") -> str:
        return f"{id_}_{index or 0}" if id_ else ""


class StandardForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=Standard._meta.get_field("name").max_length,
        help_text=_("What the standard asks, for example: At least two patch walks a year with partners."),
    )
    key = forms.SlugField(
        label=_("Key (optional)"),
        required=False,
        max_length=Standard._meta.get_field("key").max_length,
        help_text=_(
            "A short stable name used by imports, the API and the compliance command: lower-case letters, "
            "numbers and hyphens. Left empty, it is made from the name."
        ),
    )
    description = forms.CharField(
        label=_("Description (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the standard matters, or how teams meet it."),
    )
    types = forms.ModelMultipleChoiceField(
        label=_("Activity types that count"),
        queryset=ActivityType.objects.none(),
        widget=TypeCheckboxes,
        help_text=_("Select all that apply."),
    )
    minimum = forms.IntegerField(
        label=_("Minimum number of activities"),
        min_value=1,
        max_value=10_000,
        help_text=_("At least this many in each period."),
    )
    period = forms.ChoiceField(label=_("Period"), choices=Period.choices, help_text=_("How often the minimum applies."))
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=AppliesTo.choices)
    requires_partner = forms.BooleanField(label=_("Only activities with at least one partner count"), required=False)
    requires_priorities = forms.BooleanField(
        label=_("Only activities where priorities were set from community information count"), required=False
    )
    active = forms.BooleanField(
        label=_("In use"),
        required=False,
        initial=True,
        help_text=_("Clear this to stop checking the standard without deleting it."),
    )
    widths = {
        "name": "govuk-!-width-full",
        "key": "govuk-input--width-20",
        "minimum": "govuk-input--width-4",
    }

    def __init__(self, *args: Any, standard: Standard | None = None, **kwargs: Any) -> None:
        if standard is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(standard)
        super().__init__(*args, **kwargs)
        types_field = self.fields["types"]
        assert isinstance(types_field, forms.ModelMultipleChoiceField)
        types_field.queryset = offered_types(standard)
        # CheckboxSelectMultiple draws its own inputs: the template gives them GOV.UK classes.
        types_field.widget.attrs.pop("class", None)
        types_field.widget.attrs.pop("aria-describedby", None)
        messages = {
            "name": {"required": _("Enter a name")},
            "key": {"invalid": _("Use only lower-case letters, numbers and hyphens in the key")},
            "types": {
                "required": _("Choose at least one activity type"),
                "invalid_choice": _("Choose activity types from the list"),
                "invalid_pk_value": _("Choose activity types from the list"),
            },
            "minimum": {
                "required": _("Enter the minimum number of activities"),
                "invalid": _("Enter the minimum as a whole number, like 2"),
                "min_value": _("The minimum must be 1 or more"),
                "max_value": _("The minimum must be 10,000 or less"),
            },
            "period": {"required": _("Choose a period"), "invalid_choice": _("Choose a period")},
            "applies_to": {
                "required": _("Choose who the standard applies to"),
                "invalid_choice": _("Choose who the standard applies to"),
            },
        }
        for name, errors in messages.items():
            self.fields[name].error_messages.update(errors)
        self.fields["minimum"].widget.attrs["inputmode"] = "numeric"
        self.fields["key"].widget.attrs["spellcheck"] = "false"

    def clean_key(self) -> str:
        key: str = self.cleaned_data.get("key") or ""
        return key.strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("key") and data.get("name"):
            data["key"] = slugify(data["name"])[: Standard._meta.get_field("key").max_length].strip("-")
            if not data["key"]:
                self.add_error("key", _("Enter a key: it cannot be made from this name"))
        return data

    def to_data(self) -> StandardData:
        data = self.cleaned_data
        return StandardData(
            key=data["key"],
            name=data["name"].strip(),
            types=list(data["types"]),
            minimum=data["minimum"],
            period=data["period"],
            applies_to=data["applies_to"],
            description=data.get("description", "").strip(),
            requires_partner=data.get("requires_partner", False),
            requires_priorities=data.get("requires_priorities", False),
            active=data.get("active", False),
        )

    def type_choices(self) -> list[dict[str, Any]]:
        """The activity-type checkboxes, for the template to draw in GOV.UK markup."""
        chosen = {str(v) for v in (self["types"].value() or [])}
        return [
            {
                "id": f"id_types_{index}",
                "value": str(activity_type.pk),
                "label": activity_type.name,
                "checked": str(activity_type.pk) in chosen,
                "retired": not activity_type.active,
            }
            for index, activity_type in enumerate(self.fields["types"].queryset)  # type: ignore[attr-defined]
        ]

    def first_field_id(self) -> str:
        return "id_name"


def offered_types(standard: Standard | None) -> QuerySet[ActivityType]:
    """Active types, plus the retired ones this standard already counts (so saving keeps them)."""
    keep = Q(active=True)
    if standard is not None and standard.pk is not None:
        keep |= Q(pk__in=standard.types.values("pk"))
    return ActivityType.objects.filter(keep).order_by("position", "name")


def initial_for(standard: Standard) -> dict[str, Any]:
    return {
        "name": standard.name,
        "key": standard.key,
        "description": standard.description,
        "types": [t.pk for t in standard.types.all()],
        "minimum": standard.minimum,
        "period": standard.period,
        "applies_to": standard.applies_to,
        "requires_partner": standard.requires_partner,
        "requires_priorities": standard.requires_priorities,
        "active": standard.active,
    }
