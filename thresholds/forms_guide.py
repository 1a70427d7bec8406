"""Forms of the "Check the threshold" guide: GET forms, as they record nothing."""

from collections.abc import Iterable
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Fieldset, Layout, Size
from django import forms

from thresholds.classifier import Answers


class ThresholdCheckForm(forms.Form):
    """The answers to classify. The indicator checkboxes are drawn by the page's template, grouped by
    level, domain and sub-domain; this form only checks that each one is an indicator of the model."""

    indicator = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        error_messages={"invalid_choice": "Choose only indicators from this council's thresholds"},
    )
    extra_unmet_needs = forms.IntegerField(
        label="How many other unmet needs does the child have?",
        help_text="Needs that are not in the list above. Enter 0 if there are none.",
        required=False,
        min_value=0,
        max_value=20,
        error_messages={
            "invalid": "Enter the number of other unmet needs as a whole number, like 2",
            "min_value": "The number of other unmet needs must be 0 or more",
            "max_value": "The number of other unmet needs must be 20 or fewer",
        },
    )
    age = forms.IntegerField(
        label="How old is the child, in years? (optional)",
        help_text="Leave this empty if you do not know. Enter 0 for a baby under 1.",
        required=False,
        min_value=0,
        max_value=25,
        error_messages={
            "invalid": "Enter the child's age in years as a whole number, like 7",
            "min_value": "The child's age must be 0 or more",
            "max_value": "The child's age must be 25 or under: a CAF is for children and young people up to 25",
        },
    )
    unborn = forms.BooleanField(label="The child is not born yet", required=False)
    send = forms.BooleanField(label="The child has special educational needs or a disability", required=False)

    def __init__(self, *args: Any, indicator_ids: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the ids matter for validation: the labels come from the grouped guide in the template.
        self.fields["indicator"].choices = [(indicator_id, str(indicator_id)) for indicator_id in indicator_ids]
        # GOV.UK asks for text inputs with a numeric keyboard rather than type="number".
        for name in ("extra_unmet_needs", "age"):
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # a GET form: a token would only leak into the shareable address
        self.helper.layout = Layout(
            Fieldset(
                Field.text("extra_unmet_needs", field_width=2),
                Field.text("age", field_width=2),
                Field.checkbox("unborn", small=True),
                Field.checkbox("send", small=True),
                legend="About the child",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("age") is not None and cleaned.get("unborn"):
            self.add_error("age", "Enter an age or tick unborn, not both")
        return cleaned

    @property
    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(
            indicator_ids=frozenset(data["indicator"]),
            extra_unmet_needs=data["extra_unmet_needs"] or 0,
            age=data["age"],
            unborn=data["unborn"],
            send=data["send"],
        )
