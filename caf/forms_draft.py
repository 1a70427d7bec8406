"""Forms of the draft CAF's pages: start, assessment, levels (consent's are in caf/forms_consent.py).

They parse and check what a person typed; the rules of the CAF itself are in caf/services/, and
its refusals come back to these forms through core.forms.refusal_show.
"""

from collections.abc import Iterable
from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Field, Fieldset, Layout, Size
from django import forms
from django.db.models import QuerySet
from django.utils.html import escape, format_html

from caf.models import Caf, Child
from core.forms import child_label, gds_helper
from thresholds.classifier import LevelSpec
from thresholds.models import Domain

# Starting a CAF -----------------------------------------------------------------------------------


class CafStartForm(forms.Form):
    siblings = forms.ModelMultipleChoiceField(
        label="Add brothers or sisters to make a Family CAF (optional)",
        help_text="Children already recorded that you may see. Each child has their own level of need.",
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose only children listed here"},
    )

    def __init__(self, *args: Any, candidates: QuerySet[Child], has_open_caf: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["siblings"].queryset = candidates
        self.fields["siblings"].label_from_instance = child_label
        fields: list[Any] = [Field.checkboxes("siblings", legend_size=Size.MEDIUM, legend_tag="h2", small=True)]
        if not candidates.exists():
            fields = []
        if has_open_caf:
            # The child already has an open CAF: a second one is started only on purpose (issue 14).
            self.fields["despite_open_caf"] = forms.BooleanField(
                label="I have spoken to the lead professional: this child needs a CAF of its own as well",
                required=True,
                error_messages={
                    "required": "The child already has an open CAF: join its team, or tick to say why another is needed"
                },
            )
            fields.append(Field.checkbox("despite_open_caf"))
        self.helper = gds_helper(*fields, button="Start the CAF")


class CafChildrenAddForm(forms.Form):
    children = forms.ModelMultipleChoiceField(
        label="Which brothers or sisters join this CAF?",
        help_text="Children already recorded that you may see.",
        queryset=Child.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose the brothers or sisters to add",
            "invalid_choice": "Choose only children listed here",
        },
    )

    def __init__(self, *args: Any, candidates: QuerySet[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelMultipleChoiceField, self.fields["children"])
        field.queryset = candidates
        field.label_from_instance = child_label  # type: ignore[method-assign,assignment]
        self.helper = gds_helper(
            Field.checkboxes("children", legend_size=Size.MEDIUM, legend_tag="h2", small=True),
            button="Add to the CAF",
        )


# Assessment ---------------------------------------------------------------------------------------


class AssessmentForm(forms.Form):
    """A strengths and a needs textarea for each sub-domain, grouped by domain, then the views."""

    views_of_child = forms.CharField(
        label="The child's views",
        help_text="In their own words where you can.",
        required=False,
        widget=forms.Textarea,
    )
    views_of_family = forms.CharField(
        label="The views of the parents and carers", required=False, widget=forms.Textarea
    )
    # The assessment's version this form showed (Caf.assessment_version): a save from an older one is
    # a conflict, not an overwrite.
    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, domains: Iterable[Domain], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        layout: list[Any] = []
        self.sub_domain_ids: list[int] = []
        for domain in domains:
            layout.append(HTML(format_html('<h2 class="govuk-heading-l">{}</h2>', domain.name)))
            for sub_domain in domain.sub_domains.all():
                self.sub_domain_ids.append(sub_domain.pk)
                for part in ("strengths", "needs"):
                    self.fields[f"{part}_{sub_domain.pk}"] = forms.CharField(
                        label=part.capitalize(), required=False, widget=forms.Textarea
                    )
                layout.append(
                    Fieldset(
                        Field.textarea(f"strengths_{sub_domain.pk}", rows=3),
                        Field.textarea(f"needs_{sub_domain.pk}", rows=3),
                        legend=escape(sub_domain.name),  # legends are rendered unescaped
                        legend_size=Size.MEDIUM,
                        legend_tag="h3",
                    )
                )
        layout.append(HTML('<h2 class="govuk-heading-l">Views of the child and family</h2>'))
        layout += [Field.textarea("views_of_child", rows=4), Field.textarea("views_of_family", rows=4), "version"]
        self.helper = gds_helper(*layout, button="Save the assessment")
        self.sub_domain_names = {
            sub_domain.pk: sub_domain.name for domain in domains for sub_domain in domain.sub_domains.all()
        }

    def differences_from(self, caf: Caf, saved: dict[int, tuple[str, str]]) -> list[tuple[str, str, str]]:
        """Where what was typed differs from what is saved now (`saved`: strengths and needs by
        sub-domain): (what, saved, typed), in the form's order, for a conflict's side-by-side."""
        data = self.cleaned_data
        rows = []
        for pk in self.sub_domain_ids:
            for index, part in enumerate(("strengths", "needs")):
                typed, kept = data[f"{part}_{pk}"].strip(), saved.get(pk, ("", ""))[index]
                if typed != kept:
                    rows.append((f"{self.sub_domain_names[pk]}: {part}", kept, typed))
        for name, kept in (("views_of_child", caf.views_of_child), ("views_of_family", caf.views_of_family)):
            if data[name].strip() != kept:
                rows.append((str(self.fields[name].label), kept, data[name].strip()))
        return rows

    def entries(self, existing: Iterable[int]) -> dict[int, tuple[str, str]]:
        """What to save: every sub-domain written in, and those written before (they may be cleared)."""
        existing = set(existing)
        data = self.cleaned_data
        return {
            pk: (data[f"strengths_{pk}"], data[f"needs_{pk}"])
            for pk in self.sub_domain_ids
            if pk in existing or data[f"strengths_{pk}"].strip() or data[f"needs_{pk}"].strip()
        }


# Levels of need -----------------------------------------------------------------------------------


class IndicatorsForm(forms.Form):
    """The indicator checkboxes are drawn by the page's template, grouped by level, domain and
    sub-domain like the threshold guide; this form checks they belong to the CAF's model."""

    indicator = forms.TypedMultipleChoiceField(
        required=False,
        coerce=int,
        error_messages={"invalid_choice": "Choose only indicators from this council's thresholds"},
    )
    extra_unmet_needs = forms.IntegerField(
        label="How many other unmet needs does the child have?",
        help_text="Needs that are not in the lists above. Enter 0 if there are none.",
        required=False,
        min_value=0,
        max_value=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
        error_messages={
            "invalid": "Enter the number of other unmet needs as a whole number, like 2",
            "min_value": "The number of other unmet needs must be 0 or more",
            "max_value": "The number of other unmet needs must be 20 or fewer",
        },
    )

    def __init__(self, *args: Any, indicator_ids: Iterable[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [(pk, str(pk)) for pk in indicator_ids]
        # The page draws its own "Check the level" button, after the indicators.
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(Field.text("extra_unmet_needs", field_width=2))


class LevelChoiceForm(forms.Form):
    level = forms.TypedChoiceField(
        label="Which level of need do you choose?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a level of need", "invalid_choice": "Select a level from the list"},
    )
    reason = forms.CharField(
        label="Why did you choose this level? (needed when it differs from the suggestion)",
        required=False,
        widget=forms.Textarea,
    )

    def __init__(self, *args: Any, levels: Iterable[LevelSpec], suggested_id: int | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.suggested_id = suggested_id
        self.fields["level"].choices = [
            (level.id, f"{level.label} (suggested)" if level.id == suggested_id else level.label) for level in levels
        ]
        self.helper = gds_helper(
            Field.radios("level", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.textarea("reason", rows=3),
            button="Save the level",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        level = cleaned.get("level")
        if self.suggested_id and level and level != self.suggested_id and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why you chose a different level from the one suggested")
        return cleaned
