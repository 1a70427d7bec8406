"""The forms of caf.views.retention: the legal hold's (why it is placed, or why it is lifted), and a
social care stage a child reached."""

from collections.abc import Iterable
from typing import Any

from crispy_forms_gds.layout import Field, Size
from django import forms

from caf.models import SocialCareStage
from core.date_bounds import SOCIAL_CARE_STAGE
from core.forms import GovukDateField, gds_helper


class LegalHoldForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, max_length=2000)

    def __init__(self, *args: Any, lifting: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        if lifting:
            reason.label = "Why is the hold lifted?"
            reason.help_text = (
                "For example, the claim has been settled. The records are anonymised by the next nightly run "
                "if they are past their date."
            )
            reason.error_messages["required"] = "Enter why the hold is lifted"
            button = "Lift the legal hold"
        else:
            reason.label = "Why must the records be kept?"
            reason.help_text = "For example, a claim, an inquiry or a police investigation, with its reference."
            reason.error_messages["required"] = "Enter why the records must be kept"
            button = "Place a legal hold"
        reason.error_messages["max_length"] = "Reason must be 2,000 characters or fewer"
        self.helper = gds_helper(Field.textarea("reason", rows=4), button=button)


class SocialCareStageForm(forms.Form):
    """A social care stage the child reached (caf.services.retention.social_care_stage_record checks
    who may, and that the day is not before the child's birth)."""

    stage = forms.ChoiceField(
        label="Which stage did the child reach?",
        choices=SocialCareStage.Stage.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the stage the child reached"},
    )
    reached_on = GovukDateField(
        label="When did the child reach it?",
        help_text="For example, 27 3 2024.",
        what="the date the child reached the stage",
        bounds=SOCIAL_CARE_STAGE,
    )
    note = forms.CharField(
        label="Where is the social care record? (optional)",
        help_text="For example, the case reference in the social care system.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        error_messages={"max_length": "Where the record is must be 2,000 characters or fewer"},
    )

    def __init__(self, *args: Any, recorded: Iterable[str] = (), **kwargs: Any) -> None:
        """`recorded`: the stages already recorded for the child, not offered again."""
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [(value, label) for value, label in SocialCareStage.Stage.choices if value not in recorded]
        self.helper = gds_helper(
            Field.radios("stage", legend_size=Size.SMALL),
            Field("reached_on"),
            Field.textarea("note"),
            button="Record the stage",
        )
