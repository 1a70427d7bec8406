"""Forms of the council administrators' threshold model screens (GOV.UK components via crispy-forms-gds).

They only parse input: every rule about versions (only a draft changes, one draft at a time, levels
of the same version...) is checked by thresholds.services, whose refusals the views add to the form.
"""

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from django import forms
from django.utils.html import format_html

from core.forms import gds_helper
from thresholds.models import Indicator, Level, PolicyCase, Rule, SubDomain, ThresholdModel


def _level_choices(threshold_model: ThresholdModel) -> list[tuple[str, str]]:
    return [(str(level.pk), level.label) for level in threshold_model.levels.order_by("order")]


def _level_of(threshold_model: ThresholdModel, level_id: str) -> Level:
    return threshold_model.levels.get(pk=level_id)


class DraftStartForm(forms.Form):
    """Start a new draft version as a copy of the council's latest: the only input is the button."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(button="Start a new draft version")


class DraftFromOtherCouncilForm(forms.Form):
    copy_from = forms.ModelChoiceField(
        label="Start a draft from another council's published model",
        queryset=ThresholdModel.objects.none(),
        error_messages={"required": "Choose a council's model to copy", "invalid_choice": "Choose a model in the list"},
    )

    def __init__(self, *args: Any, models: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["copy_from"]
        field.queryset = models
        field.empty_label = "Choose a council's model"
        field.label_from_instance = lambda model: f"{model.council.name}: {model.name}, version {model.version}"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's form carries the token
        self.helper.layout = Layout(
            Field.select("copy_from"), Button.secondary("copy", "Start a draft from this model")
        )


class LevelForm(forms.Form):
    name = forms.CharField(max_length=120, error_messages={"required": "Enter the level's name"})
    description = forms.CharField(required=False, widget=forms.Textarea)
    features = forms.CharField(label="Features of children and families at this level", required=False)
    assessment_process = forms.CharField(label="Assessment process", required=False)
    key_services = forms.CharField(label="Key services", help_text="One service per line.", required=False)
    caf_use = forms.ChoiceField(
        label="CAF use",
        choices=Level.CafUse.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how a CAF is used at this level"},
    )
    social_care_referral = forms.ChoiceField(
        label="Referral to children's social care",
        choices=Level.SocialCareReferral.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether this level means a referral to children's social care"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("features", "assessment_process", "key_services"):
            self.fields[name].widget = forms.Textarea()
        self.helper = gds_helper(
            Field.text("name", field_width="two-thirds"),
            Field.textarea("description", rows=5),
            Field.textarea("features", rows=5),
            Field.textarea("assessment_process", rows=5),
            Field.textarea("key_services", rows=6),
            Field.radios("caf_use", legend_size=Size.SMALL),
            Field.radios("social_care_referral", legend_size=Size.SMALL),
            button="Save level",
        )

    @classmethod
    def initial_for(cls, level: Level) -> dict[str, Any]:
        return {name: getattr(level, name) for name in cls.base_fields}


class IndicatorForm(forms.Form):
    text = forms.CharField(label="Indicator", widget=forms.Textarea, error_messages={"required": "Enter the indicator"})
    level = forms.ChoiceField(label="Level", error_messages={"required": "Choose a level"})
    sub_domain = forms.ModelChoiceField(
        label="Sub-domain",
        queryset=SubDomain.objects.select_related("domain"),
        error_messages={"required": "Choose a sub-domain"},
    )
    kind = forms.ChoiceField(
        label="Need or strength",
        choices=Indicator.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether it is a need or a strength"},
    )
    immediate_harm = forms.BooleanField(
        label="Immediate harm: choosing it means referring to children's social care today", required=False
    )
    child_protection = forms.BooleanField(label="Describes abuse or significant harm", required=False)
    min_age = forms.IntegerField(label="Youngest age it applies to (years)", required=False, min_value=0, max_value=25)
    max_age = forms.IntegerField(label="Oldest age it applies to (years)", required=False, min_value=0, max_value=25)

    def __init__(self, *args: Any, threshold_model: ThresholdModel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threshold_model = threshold_model
        self.fields["level"].choices = [("", "Choose a level"), *_level_choices(threshold_model)]
        self.fields["sub_domain"].label_from_instance = lambda sub: f"{sub.domain.name}: {sub.name}"
        self.helper = gds_helper(
            Field.textarea("text", rows=3),
            Field.select("level"),
            Field.select("sub_domain"),
            Field.radios("kind", legend_size=Size.SMALL, inline=True),
            Field.checkbox("immediate_harm"),
            Field.checkbox("child_protection"),
            Field.text("min_age", field_width=3),
            Field.text("max_age", field_width=3),
            button="Save indicator",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        min_age, max_age = data.get("min_age"), data.get("max_age")
        if min_age is not None and max_age is not None and min_age > max_age:
            self.add_error("max_age", "The oldest age must be the same as or after the youngest")
        return data

    @staticmethod
    def initial_for(indicator: Indicator) -> dict[str, Any]:
        return {
            "text": indicator.text,
            "level": str(indicator.level_id),
            "sub_domain": indicator.sub_domain_id,
            "kind": indicator.kind,
            "immediate_harm": indicator.immediate_harm,
            "child_protection": indicator.child_protection,
            "min_age": indicator.min_age,
            "max_age": indicator.max_age,
        }

    def apply_to(self, indicator: Indicator) -> Indicator:
        data = self.cleaned_data
        indicator.level = _level_of(self.threshold_model, data["level"])
        for name in ("text", "sub_domain", "kind", "immediate_harm", "child_protection", "min_age", "max_age"):
            setattr(indicator, name, data[name])
        return indicator


class CountRuleForm(forms.Form):
    count = forms.IntegerField(
        label="Number of unmet needs",
        min_value=1,
        max_value=50,
        error_messages={"required": "Enter how many unmet needs", "min_value": "Enter 1 or more"},
    )
    at_level = forms.ChoiceField(label="Unmet needs at level", error_messages={"required": "Choose a level"})
    suggests_level = forms.ChoiceField(label="Suggest level", error_messages={"required": "Choose a level"})
    text = forms.CharField(
        label="The document's words for this rule", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, threshold_model: ThresholdModel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.threshold_model = threshold_model
        choices = [("", "Choose a level"), *_level_choices(threshold_model)]
        self.fields["at_level"].choices = choices
        self.fields["suggests_level"].choices = choices
        self.helper = gds_helper(
            Field.text("count", field_width=3),
            Field.select("at_level"),
            Field.select("suggests_level"),
            Field.textarea("text", rows=3),
            button="Add rule",
        )

    def levels(self) -> tuple[Level, Level]:
        return (
            _level_of(self.threshold_model, self.cleaned_data["at_level"]),
            _level_of(self.threshold_model, self.cleaned_data["suggests_level"]),
        )

    def rule(self) -> Rule:
        """The count rule as entered, not yet saved (thresholds.services.rule_save saves it)."""
        at_level, suggests_level = self.levels()
        return Rule(
            threshold_model=self.threshold_model,
            kind=Rule.Kind.COUNT,
            count=self.cleaned_data["count"],
            at_level=at_level,
            suggests_level=suggests_level,
            text=self.cleaned_data["text"],
        )


class PolicyCaseForm(forms.Form):
    """A policy case. The version's indicators are checkboxes, one group per level (a field each)."""

    name = forms.CharField(max_length=200, error_messages={"required": "Enter a name for the case"})
    extra_unmet_needs = forms.IntegerField(
        label="Other unmet needs (not in the list)", min_value=0, max_value=50, initial=0, required=False
    )
    age = forms.IntegerField(label="Age of the child (years)", required=False, min_value=0, max_value=25)
    unborn = forms.BooleanField(label="The child is unborn", required=False)
    send = forms.BooleanField(label="The child has special educational needs or a disability", required=False)
    expected_level = forms.ChoiceField(label="Expected level", error_messages={"required": "Choose the expected level"})

    def __init__(
        self, *args: Any, threshold_model: ThresholdModel, case: PolicyCase | None = None, **kwargs: Any
    ) -> None:
        if case is not None and "initial" not in kwargs:
            kwargs["initial"] = self._initial_for(case)
        super().__init__(*args, **kwargs)
        self.threshold_model = threshold_model
        levels = list(threshold_model.levels.order_by("order"))
        indicators = list(threshold_model.indicators.select_related("sub_domain"))
        self.fields["expected_level"].choices = [("", "Choose a level"), *((str(lv.pk), lv.label) for lv in levels)]
        self.indicator_fields = []
        for level in levels:
            choices = [(str(i.pk), f"{i.text} ({i.sub_domain.name})") for i in indicators if i.level_id == level.pk]
            if choices:
                name = f"indicators_{level.pk}"
                self.fields[name] = forms.MultipleChoiceField(
                    label=format_html("Indicators at {}", level.label),  # labels are rendered unescaped
                    choices=choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
                self.indicator_fields.append(name)
        self._indicators = {str(i.pk): i for i in indicators}
        self.helper = gds_helper(
            Field.text("name", field_width="two-thirds"),
            Fieldset(
                *(Field.checkboxes(name, legend_size=Size.SMALL, small=True) for name in self.indicator_fields),
                legend="Indicators chosen",
                legend_size=Size.MEDIUM,
            ),
            Field.text("extra_unmet_needs", field_width=3),
            Field.text("age", field_width=3),
            Field.checkbox("unborn"),
            Field.checkbox("send"),
            Field.select("expected_level"),
            button="Save policy case",
        )

    @staticmethod
    def _initial_for(case: PolicyCase) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": case.name,
            "extra_unmet_needs": case.extra_unmet_needs,
            "age": case.age,
            "unborn": case.unborn,
            "send": case.send,
            "expected_level": str(case.expected_level_id),
        }
        for indicator in case.indicators.all():
            initial.setdefault(f"indicators_{indicator.level_id}", []).append(str(indicator.pk))
        return initial

    def chosen_indicators(self) -> list[Indicator]:
        return [self._indicators[pk] for name in self.indicator_fields for pk in self.cleaned_data.get(name, [])]

    def apply_to(self, case: PolicyCase) -> PolicyCase:
        data = self.cleaned_data
        case.name = data["name"]
        case.extra_unmet_needs = data["extra_unmet_needs"] or 0
        case.age = data["age"]
        case.unborn = data["unborn"]
        case.send = data["send"]
        case.expected_level = _level_of(self.threshold_model, data["expected_level"])
        return case
