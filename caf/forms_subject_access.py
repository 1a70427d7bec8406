"""Forms of the subject access screens (issue 15): recording a request, finding an adult among the
consenting people, and the release decision. They only parse input: who may, and what a request
must record (a young person's competence and view), are caf.services.subject_access's rules, whose
refusals the views add to the form (core.forms.refusal_show)."""

from typing import Any

from crispy_forms_gds.layout import Field, Size
from django import forms

from caf.models import SubjectAccessRequest
from core.date_bounds import TODAY, TWO_YEARS
from core.forms import GovukDateField, gds_helper

YES_NO = [("yes", "Yes"), ("no", "No")]


class SubjectAccessStartForm(forms.Form):
    requested_by = forms.CharField(
        label="Who made the request",
        help_text="The person themselves, or who asked for them (for example, their mother, or a solicitor).",
        max_length=200,
        error_messages={"required": "Enter who made the request"},
    )
    requested_on = GovukDateField(
        label="When the request was made",
        help_text="The day the council received it, for example 27 3 2026.",
        what="the date of the request",
        bounds=(TWO_YEARS, TODAY),
    )
    competent = forms.TypedChoiceField(
        label="Was the young person judged competent to make the request?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        coerce=lambda answer: answer == "yes",
        required=False,
        empty_value=None,
    )
    competence_note = forms.CharField(
        label="How their competence was judged",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
    )
    young_person_view = forms.CharField(
        label="The young person's view of the request",
        help_text="What they want to happen, in their words where possible.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )

    def __init__(self, *args: Any, young_person: bool, **kwargs: Any) -> None:
        """`young_person`: the subject is (or, on a date the request may carry, was) 12 to 17, so the
        form asks for their competence and view; the service decides from the request's date."""
        super().__init__(*args, **kwargs)
        fields: list[Any] = [Field.text("requested_by", field_width="two-thirds"), Field("requested_on")]
        if young_person:
            fields += [
                Field.radios("competent", legend_size=Size.SMALL, inline=True),
                Field.textarea("competence_note"),
                Field.textarea("young_person_view"),
            ]
        else:
            for name in ("competent", "competence_note", "young_person_view"):
                del self.fields[name]
        self.helper = gds_helper(*fields, button="Record the request")

    @property
    def answers(self) -> dict[str, Any]:
        return {
            "requested_by": self.cleaned_data["requested_by"],
            "requested_on": self.cleaned_data["requested_on"],
            "competent": self.cleaned_data.get("competent"),
            "competence_note": self.cleaned_data.get("competence_note", ""),
            "young_person_view": self.cleaned_data.get("young_person_view", ""),
        }


class SubjectAccessDecisionForm(forms.Form):
    status = forms.ChoiceField(
        label="What is the decision?",
        choices=[
            (SubjectAccessRequest.Status.RELEASED, "Released"),
            (SubjectAccessRequest.Status.WITHHELD, "Withheld"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the export is released or withheld"},
    )
    reason = forms.CharField(
        label="Why",
        help_text="What was released or redacted, and on what grounds; or why it is withheld.",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        error_messages={"required": "Enter why: what was released or withheld, and on what grounds"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            Field.radios("status", legend_size=Size.MEDIUM), Field.textarea("reason"), button="Record the decision"
        )


class AdultSearchForm(forms.Form):
    name = forms.CharField(
        label="Name of the adult",
        help_text="As the consent records name them: part of a name finds it.",
        max_length=200,
        error_messages={"required": "Enter a name to search for"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.text("name", field_width="two-thirds"), button="Search")
