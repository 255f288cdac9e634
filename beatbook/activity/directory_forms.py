"""The forms for adding or correcting a partner organisation or a place.

They collect and tidy what was typed into `directory_services.PartnerData` / `PlaceData`;
whether it fits the force (a name already in the list, a point outside the force, a
neighbourhood out of the user's scope) is decided by the services, whose field errors the
views put back on these forms.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from beatbook.accounts.forms import GovukFormMixin
from beatbook.areas.models import Area

from .directory_services import ADDRESS_LIMIT, NAME_LIMIT, PartnerData, PlaceData
from .models import Partner, Place


class PartnerForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=NAME_LIMIT,
        help_text=_("As the organisation calls itself, for example: Northtown Housing Association."),
    )
    kind = forms.ChoiceField(label=_("Kind of organisation"), choices=Partner.Kind.choices)
    active = forms.BooleanField(
        label=_("Offered on the activity forms"),
        required=False,
        initial=True,
        help_text=_("Clear this when the team no longer works with them. Past activities keep the name."),
    )
    widths = {"name": "govuk-!-width-full"}

    def __init__(self, *args: Any, partner: Partner | None = None, **kwargs: Any) -> None:
        if partner is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": partner.name, "kind": partner.kind, "active": partner.active}
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages.update(
            {"required": _("Enter the organisation's name"), "max_length": _("Names can be at most 200 characters")}
        )
        self.fields["kind"].error_messages.update(
            {"required": _("Choose what kind of organisation it is"), "invalid_choice": _("Choose from the list")}
        )
        self.fields["name"].widget.attrs["autocomplete"] = "organization"

    def to_data(self) -> PartnerData:
        data = self.cleaned_data
        return PartnerData(name=data["name"], kind=data["kind"], active=data.get("active", False))


class PlaceForm(GovukFormMixin, forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=NAME_LIMIT, help_text=_("For example: St Mark's Community Centre.")
    )
    neighbourhood = forms.ModelChoiceField(
        label=_("Neighbourhood"),
        queryset=Area.objects.none(),
        required=False,
        empty_label=None,
    )
    address = forms.CharField(
        label=_("Address (optional)"),
        required=False,
        max_length=ADDRESS_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    latitude = forms.FloatField(
        label=_("Latitude (optional)"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("In decimal degrees, for example 52.6369. Puts the place on the maps."),
    )
    longitude = forms.FloatField(
        label=_("Longitude (optional)"),
        required=False,
        min_value=-180,
        max_value=180,
        help_text=_("In decimal degrees, for example -1.1398."),
    )
    active = forms.BooleanField(
        label=_("Offered on the activity forms"),
        required=False,
        initial=True,
        help_text=_("Clear this when the team no longer goes there. Past activities keep the place."),
    )
    widths = {"name": "govuk-!-width-full", "latitude": "govuk-input--width-10", "longitude": "govuk-input--width-10"}

    def __init__(
        self, *args: Any, neighbourhoods: QuerySet[Area], force_wide: bool, place: Place | None = None, **kwargs: Any
    ) -> None:
        if place is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": place.name,
                "neighbourhood": place.neighbourhood_id,
                "address": place.address,
                "latitude": place.latitude,
                "longitude": place.longitude,
                "active": place.active,
            }
        super().__init__(*args, **kwargs)
        field = self.fields["neighbourhood"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = neighbourhoods.order_by("name")
        if force_wide:
            # Administrators may keep a place for the whole force (a headquarters, a stadium).
            field.empty_label = _("The whole force")
            field.help_text = _("Choose “The whole force” for a place every team uses.")
            field.widget.attrs["aria-describedby"] = "id_neighbourhood-hint"
        else:
            field.required = True
        messages = {
            "name": {"required": _("Enter the place's name"), "max_length": _("Names can be at most 200 characters")},
            "neighbourhood": {
                "required": _("Choose the neighbourhood the place is in"),
                "invalid_choice": _("Choose a neighbourhood from the list"),
            },
            "address": {"max_length": _("Addresses can be at most 300 characters")},
            "latitude": {
                "invalid": _("Enter the latitude as a number, like 52.6369"),
                "min_value": _("Latitude must be between -90 and 90"),
                "max_value": _("Latitude must be between -90 and 90"),
            },
            "longitude": {
                "invalid": _("Enter the longitude as a number, like -1.1398"),
                "min_value": _("Longitude must be between -180 and 180"),
                "max_value": _("Longitude must be between -180 and 180"),
            },
        }
        for name, errors in messages.items():
            self.fields[name].error_messages.update(errors)
        for name in ("latitude", "longitude"):
            self.fields[name].widget = forms.TextInput(attrs={**self.fields[name].widget.attrs, "inputmode": "decimal"})
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"

    def to_data(self) -> PlaceData:
        data = self.cleaned_data
        return PlaceData(
            name=data["name"],
            neighbourhood=data.get("neighbourhood"),
            address=data.get("address", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            active=data.get("active", False),
        )
