"""The forms of sharing without consent (caf.views.sharing): a share under the duty to share
(s.16LA), and a decision not to share. The agency is one of the council's; the service checks it."""

from typing import Any

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.db.models import QuerySet

from accounts.models import Agency
from caf.models import SharingDecision
from core.forms import Select, gds_helper

TEXT_MAX = 5000


def _agency_field(label: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=None,  # the view sets the council's agencies
        widget=Select,
        empty_label="Choose an agency",
        error_messages={"required": "Choose the agency", "invalid_choice": "Choose an agency from the list"},
    )


def _text(label: str, required: str, too_long: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        widget=forms.Textarea,
        max_length=TEXT_MAX,
        error_messages={"required": required, "max_length": too_long},
    )


class DutyToShareForm(forms.Form):
    agency = _agency_field("Which agency did you share the information with?")
    what = _text(
        "What did you share?",
        "Enter what you shared",
        "What you shared must be 5,000 characters or fewer",
        help_text="For example, the assessment and the plan, or the summary of a concern.",
    )
    reason = _text(
        "Why is sharing needed for the child's safeguarding or welfare?",
        "Enter why sharing is needed for the child's welfare",
        "Why sharing is needed must be 5,000 characters or fewer",
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.helper = gds_helper(
            Field.select("agency"),
            Field.textarea("what", rows=3),
            Field.textarea("reason", rows=4),
            button="Record the share",
        )


class DecisionNotToShareForm(forms.Form):
    agency = _agency_field("Which agency was the information not shared with?")
    asked_by = forms.CharField(
        label="Who asked for it? (optional)",
        help_text="Their name and role, if someone asked.",
        max_length=200,
        required=False,
        error_messages={"max_length": "Who asked must be 200 characters or fewer"},
    )
    what = _text(
        "What was not shared?",
        "Enter what was not shared",
        "What was not shared must be 5,000 characters or fewer",
    )
    why_not = forms.ChoiceField(
        label="Why was it not shared?",
        choices=SharingDecision.WhyNot.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why the information was not shared",
            "invalid_choice": "Choose why the information was not shared",
        },
    )
    reason = _text(
        "Explain the decision",
        "Enter why it was not shared",
        "The explanation must be 5,000 characters or fewer",
        help_text="What you weighed: a manager reads this.",
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]
        self.helper = gds_helper(
            Field.select("agency"),
            Field.text("asked_by", field_width=20),
            Field.textarea("what", rows=3),
            Field.radios("why_not", legend_size=Size.SMALL),
            Field.textarea("reason", rows=4),
            button="Record the decision",
        )


class SharingDecisionFilterForm(forms.Form):
    decision = forms.ChoiceField(
        widget=Select,
        label="Decision",
        choices=[("", "Shared and not shared"), *SharingDecision.Decision.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a decision from the list"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.select("decision"), button="Show decisions")
