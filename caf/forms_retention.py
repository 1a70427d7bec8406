"""The legal hold's form (caf.views.retention): why it is placed, or why it is lifted."""

from typing import Any

from crispy_forms_gds.layout import Field
from django import forms

from core.forms import gds_helper


class LegalHoldForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, max_length=2000)

    def __init__(self, *args: Any, lifting: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields["reason"]
        if lifting:
            reason.label = "Why is the hold lifted?"
            reason.help_text = (
                "For example, the claim has been settled. The records are anonymised at the next monthly run "
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
