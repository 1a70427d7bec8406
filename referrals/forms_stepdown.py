"""Forms of the step-down pages: sending a family to early help, picking it up, recording a decline.

They only parse input. Who may step a family down or pick it up, and what the transfer must carry,
are checked by referrals.services; its refusals come back to these forms through
core.forms.refusal_show.
"""

from collections.abc import Iterable
from typing import Any

from crispy_forms_gds.layout import HTML, Field, Size
from django import forms
from django.db.models import QuerySet
from django.utils.html import format_html

from accounts.models import Agency, AgencyType, User
from caf.forms_consent import FamilyExclusionFields
from caf.models import Child, Consent
from core.date_bounds import CONSENT
from core.forms import (
    GovukDateField,
    Select,
    agencies_field,
    children_choice,
    children_field,
    gds_helper,
    people_field,
    person_with_agency,
)
from referrals.models import StepDown
from thresholds.models import Level

# Point 1, the front door's decision, is made on the referral's decision page.
POINTS_AFTER_SOCIAL_CARE_WORK = [
    (StepDown.Point.AFTER_ASSESSMENT.value, StepDown.Point.AFTER_ASSESSMENT.label),
    (StepDown.Point.CHILD_IN_NEED_CLOSURE.value, StepDown.Point.CHILD_IN_NEED_CLOSURE.label),
]


class FamilyWishesFields(FamilyExclusionFields):
    """What the family said at the step-down about sharing, recorded as given (Settled question 11):
    who must not see their assessment, and what was explained to them. Never ticked by default.
    Shared by the step-down form and the front door's decision (step-down point 1)."""

    EXPLAINED = [
        ("storage", "How early help stores the information and keeps it safe"),
        ("sharing", "Who will see the assessment, and why"),
    ]

    excluded_agencies = agencies_field(
        "Agencies the family does not want to see their assessment (optional)",
        "Early help's own team keeps the record: name its people instead.",
    )
    excluded_people = people_field("People the family does not want to see their assessment (optional)")
    explained = forms.MultipleChoiceField(
        label="What did you explain to the family? (optional)",
        help_text="Tick only what you explained: early help will not assume it.",
        choices=EXPLAINED,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def family_wishes_setup(self, agencies: QuerySet[Agency], people: QuerySet[User]) -> list[Any]:
        self.exclusion_fields_setup(agencies.exclude(agency_type=AgencyType.EARLY_HELP), people)
        return [
            Field.checkboxes("excluded_agencies", legend_size=Size.SMALL, small=True),
            Field("excluded_people"),
            Field.checkboxes("explained", legend_size=Size.SMALL, small=True),
        ]


class StepDownForm(FamilyWishesFields):
    point = forms.ChoiceField(
        label="When is the family stepping down?",
        choices=POINTS_AFTER_SOCIAL_CARE_WORK,
        widget=forms.RadioSelect,
        error_messages={"required": "Select when the family is stepping down"},
    )
    children = children_field(
        "Which children is early help to pick up?",
        "Select all that apply.",
        required="Select the children early help is to pick up",
        invalid="Select only children listed here",
    )
    reason = forms.CharField(
        label="Why is social care stepping down?",
        help_text="What the assessment or the Child in Need work found, and why early help can now meet the needs.",
        widget=forms.Textarea,
        error_messages={"required": "Enter why social care is stepping down"},
    )
    open_needs = forms.CharField(
        label="Needs still open",
        help_text="What early help needs to work on with the family.",
        widget=forms.Textarea,
        error_messages={"required": "Enter the needs still open"},
    )
    social_worker_summary = forms.CharField(
        label="The social worker's summary",
        help_text="The family's story so far, so that nobody has to ask them again.",
        widget=forms.Textarea,
        error_messages={"required": "Enter the social worker's summary"},
    )
    consent_given_by = forms.CharField(
        label="Who agreed to early help?",
        help_text="Their full name.",
        max_length=200,
        error_messages={"required": "Enter the name of who agreed to early help"},
    )
    consent_relationship = forms.CharField(
        label="Their relationship to the child",
        help_text='For example, "mother", "foster carer" or "the young person".',
        max_length=100,
        error_messages={"required": "Enter their relationship to the child"},
    )
    consent_given_on = GovukDateField(
        label="When did they agree?",
        help_text="For example, 27 3 2026",
        what="the date consent was given",
        bounds=CONSENT,
    )
    consent_method = forms.ChoiceField(
        label="How did they agree?",
        choices=Consent.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how consent was given"},
    )
    consent_agencies = forms.ModelMultipleChoiceField(
        label="Which agencies did the family agree early help may share with?",
        help_text="Early help's own team is always covered. Select all that apply.",
        queryset=Agency.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select only agencies listed here"},
    )

    def __init__(
        self, *args: Any, children: list[Child], agencies: QuerySet[Agency], people: QuerySet[User], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("children", [child.pk for child in children])
        super().__init__(*args, **kwargs)
        self.family = children
        self.fields["consent_agencies"].queryset = agencies
        layout: list[Any] = [Field.radios("point", legend_size=Size.MEDIUM, legend_tag="h2")]
        family = Child.objects.filter(pk__in=[child.pk for child in children]).order_by("date_of_birth", "pk")
        layout += children_choice(self, family if len(children) > 1 else children)
        layout += [
            Field.textarea("reason", label_size=Size.SMALL, rows=4),
            Field.textarea("open_needs", label_size=Size.SMALL, rows=4),
            Field.textarea("social_worker_summary", label_size=Size.SMALL, rows=6),
            HTML('<h2 class="govuk-heading-m">The family\'s consent to early help</h2>'),
            Field.text("consent_given_by", field_width=20),
            Field.text("consent_relationship", field_width=20),
            Field("consent_given_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.radios("consent_method", legend_size=Size.SMALL),
            Field.checkboxes("consent_agencies", legend_size=Size.SMALL, small=True),
            *self.family_wishes_setup(agencies, people),
        ]
        self.helper = gds_helper(*layout, button="Send to early help")

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "point": data["point"],
            "children": list(data["children"]) if "children" in self.fields else list(self.family),
            "reason": data["reason"],
            "consent_agencies": list(data["consent_agencies"]),
            "open_needs": data["open_needs"],
            "social_worker_summary": data["social_worker_summary"],
            "consent_given_by": data["consent_given_by"],
            "consent_relationship": data["consent_relationship"],
            "consent_given_on": data["consent_given_on"],
            "consent_method": data["consent_method"],
            **self.exclusion_arguments(),
        }


class PickUpForm(forms.Form):
    """A level of need per child when a CAF starts or reopens, and the lead professional if the
    team has agreed one."""

    lead = forms.ModelChoiceField(
        label="Lead professional (optional)",
        widget=Select,
        help_text="Leave empty if the team has not agreed one yet: the step-down stays open until one is logged.",
        queryset=User.objects.none(),
        required=False,
        empty_label="Not agreed yet",
        error_messages={"invalid_choice": "Choose a person from the list"},
    )

    def __init__(
        self,
        *args: Any,
        children: Iterable[Child],
        levels: QuerySet[Level] | None,
        initial_levels: dict[int, int],
        people: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.level_fields: dict[int, str] = {}
        layout: list[Any] = []
        if levels is not None:
            layout.append(HTML('<h2 class="govuk-heading-m">Levels of need</h2>'))
            for child in children:
                name = f"level_{child.pk}"
                self.level_fields[child.pk] = name
                self.fields[name] = forms.ModelChoiceField(
                    label=format_html("{}'s level of need", f"{child.first_name} {child.last_name}"),
                    queryset=levels,
                    initial=initial_levels.get(child.pk),
                    empty_label="Choose a level",
                    error_messages={
                        "required": f"Choose {child.first_name} {child.last_name}'s level of need",
                        "invalid_choice": "Choose a level from the list",
                    },
                )
                layout.append(Field.select(name))
        field = self.fields["lead"]
        field.queryset = people
        field.label_from_instance = person_with_agency
        layout.append(Field.select("lead"))
        self.helper = gds_helper(*layout, button="Pick up")

    def levels(self) -> dict[int, Level]:
        return {child_id: self.cleaned_data[name] for child_id, name in self.level_fields.items()}


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why did the family decline early help?",
        help_text="In their words if you can.",
        widget=forms.Textarea,
        error_messages={"required": "Enter why the family declined early help"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            Field.textarea("reason", label_size=Size.MEDIUM, label_tag="h2", rows=5),
            button="Record that the family declined",
        )


class StepDownSearchForm(forms.Form):
    """The pick-up queue's search box: a GET form, kept in the address, that searches both lists."""

    words = forms.CharField(label="Child's name or CAF reference", max_length=100, required=False)
    point = forms.ChoiceField(
        label="When social care stepped the family down",
        widget=Select,
        choices=[("", "At any point"), *StepDown.Point.choices],
        required=False,
        error_messages={"invalid_choice": "Choose when social care stepped the family down from the list"},
    )
    queue = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.text("words", field_width=20), Field.select("point"), "queue", button="Search")

    def searched(self) -> tuple[str, str]:
        """The words and the transfer point asked for (a bad value is shown as an error and ignored)."""
        if not self.is_bound:
            return "", ""
        self.is_valid()
        return self.cleaned_data.get("words", ""), self.cleaned_data.get("point", "")
