"""The CAF list's search and filters (issue 14): a GET form, kept in the address, whose choices are
the council's own (its levels of need, localities and agencies)."""

from typing import Any, cast

from crispy_forms_gds.layout import Field
from django import forms
from django.db.models import Subquery

from accounts.models import Agency, Locality, User
from caf.models import Caf
from caf.selectors import CafListFilters
from core.forms import Select, gds_helper
from thresholds.models import Level, ThresholdModel

LEAD_CHOICES = [("", "Anyone, or no one yet"), ("me", "Me"), ("none", "No lead professional yet")]


class CafListFilterForm(forms.Form):
    words = forms.CharField(label="Child's name or CAF reference", max_length=100, required=False)
    status = forms.ChoiceField(
        widget=Select,
        label="Status",
        choices=[("", "Any status"), *Caf.Status.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a status from the list"},
    )
    level = forms.TypedChoiceField(
        widget=Select,
        label="Level of need (any child of the CAF)",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a level of need from the list"},
    )
    locality = forms.TypedChoiceField(
        widget=Select,
        label="Locality of the lead professional's agency",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a locality from the list"},
    )
    lead = forms.ChoiceField(
        widget=Select,
        label="Lead professional",
        choices=LEAD_CHOICES,
        required=False,
        error_messages={"invalid_choice": "Choose who leads the CAF from the list"},
    )
    agency = forms.TypedChoiceField(
        widget=Select,
        label="Agency that started it or is on the team",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose an agency from the list"},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        council = user.council_id
        current_model = ThresholdModel.objects.published().filter(council_id=council).values("pk")[:1]
        levels = Level.objects.filter(threshold_model=Subquery(current_model)).order_by("order")
        cast(forms.ChoiceField, self.fields["level"]).choices = [
            ("", "Any level"),
            *((level.order, f"{level.code}: {level.name}") for level in levels),
        ]
        cast(forms.ChoiceField, self.fields["locality"]).choices = [
            ("", "Any locality"),
            *Locality.objects.filter(council_id=council).order_by("name").values_list("pk", "name"),
        ]
        cast(forms.ChoiceField, self.fields["agency"]).choices = [
            ("", "Any agency"),
            *Agency.objects.filter(council_id=council).order_by("name").values_list("pk", "name"),
        ]
        self.helper = gds_helper(
            Field.text("words", field_width=20),
            Field.select("status"),
            Field.select("level"),
            Field.select("locality"),
            Field.select("lead"),
            Field.select("agency"),
            button="Show CAFs",
        )

    def filters(self) -> CafListFilters:
        """The filters to apply: those that are valid (a bad one is shown as an error and ignored)."""
        if not self.is_bound:
            return CafListFilters()
        self.is_valid()
        data = self.cleaned_data
        return CafListFilters(
            words=data.get("words") or "",
            status=data.get("status") or "",
            level=data.get("level"),
            locality=data.get("locality"),
            lead=data.get("lead") or "",
            agency=data.get("agency"),
        )
