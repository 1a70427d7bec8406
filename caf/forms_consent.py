"""Forms of the family's consent: the consent itself (on a draft or an active CAF), the family's
exclusions and lifting them, withdrawal, and the safeguarding override; and the consent fields the
referral and step-down forms share with them (FamilyExclusionFields).

They parse and check what a person typed; the rules are in caf/services/consent.py and
caf/services/exclusions.py, and their refusals come back to these forms through core.forms.refusal_show.
"""

from datetime import date
from typing import Any

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.html import format_html

from accounts.models import Agency, User
from caf.models import Child, Consent
from core.date_bounds import CONSENT
from core.forms import (
    GovukDateField,
    agencies_field,
    children_choice,
    children_field,
    gds_helper,
    people_field,
    person_with_agency,
)


class FamilyExclusionFields(forms.Form):
    """The consent fields every consent form shares: the CAF's consent, the step-down and the front
    door's decision that sends a family to early help (referrals' forms). They record who the family
    does not want to see their assessment (agencies, and people by name) and what was explained to
    them. Each form words the three fields for its page by declaring them again; this sets their
    choices and gives the services' arguments, so the words differ and the meaning cannot."""

    EXPLAINED = [
        ("storage", "How the information is stored and kept safe"),
        ("sharing", "Who will see the assessment, and why"),
    ]

    excluded_agencies = agencies_field("Which agencies must not see the assessment? (optional)")
    excluded_people = people_field("Named people who must not see the assessment (optional)")
    explained = forms.MultipleChoiceField(
        label="What did you explain to them?", choices=EXPLAINED, widget=forms.CheckboxSelectMultiple
    )

    def exclusion_fields_setup(self, agencies: QuerySet[Agency], people: QuerySet[User]) -> None:
        self.fields["excluded_agencies"].queryset = agencies
        self.fields["excluded_people"].queryset = people
        self.fields["excluded_people"].label_from_instance = person_with_agency

    def exclusion_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        explained = data.get("explained") or []
        return {
            "excluded_agencies": list(data.get("excluded_agencies") or []),
            "excluded_people": list(data.get("excluded_people") or []),
            "explained_storage": "storage" in explained,
            "explained_sharing": "sharing" in explained,
        }


class ConsentForm(FamilyExclusionFields):
    PARENT_OR_CARER = "parent_or_carer"
    YOUNG_PERSON = "young_person"
    # The order of the page, so the error summary lists the problems from the top of the page.
    field_order = [
        "given_by_kind",
        "given_by",
        "relationship",
        "competence_note",
        "given_on",
        "method",
        "agencies",
        "excluded_agencies",
        "excluded_people",
        "children",
        "copy_to",
        "explained",
    ]

    given_by_kind = forms.ChoiceField(
        label="Who gave consent?",
        choices=[(PARENT_OR_CARER, "A parent or carer"), (YOUNG_PERSON, "The young person, for themselves")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select who gave consent"},
    )
    given_by = forms.CharField(
        label="Their full name", max_length=200, error_messages={"required": "Enter the name of who gave consent"}
    )
    relationship = forms.CharField(
        label="Their relationship to the child",
        help_text='For example, "mother", "foster carer" or "the young person".',
        max_length=100,
        error_messages={"required": "Enter their relationship to the child"},
    )
    competence_note = forms.CharField(
        label="If the young person consented for themselves, why are they able to?",
        help_text="Their understanding of what they agree to, as you assessed it.",
        required=False,
        widget=forms.Textarea,
    )
    given_on = GovukDateField(
        label="When was consent given?",
        help_text="For example, 27 3 2026",
        what="the date consent was given",
        bounds=CONSENT,
    )
    method = forms.ChoiceField(
        label="How was consent given?",
        choices=Consent.Method.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select how consent was given"},
    )
    agencies = agencies_field("Which agencies may see the assessment?")
    excluded_agencies = agencies_field(
        "Which agencies must not see the assessment? (optional)", "Agencies the family asked to leave out."
    )
    excluded_people = people_field(
        "Named people who must not see the assessment (optional)",
        "Choose everyone the family named. To choose more than one, hold Ctrl (or Cmd on a Mac).",
    )
    children = children_field(
        "Which children is this consent for?",
        "A parent or carer consents for the children they have parental responsibility for.",
        required="Select the children this consent is for",
        invalid="Select only children of this CAF",
    )
    copy_to = forms.CharField(
        label="Who gets a copy of the assessment? (optional)",
        help_text="For example, the mother and the young person.",
        required=False,
        widget=forms.Textarea,
    )
    explained = forms.MultipleChoiceField(
        label="What did you explain to them?",
        choices=FamilyExclusionFields.EXPLAINED,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Confirm that you explained how the information is stored and who sees it"},
    )

    # Where the CAF's consents stood when the form was drawn (caf.selectors.consents_version): a
    # consent recorded or withdrawn since makes the save a conflict, not a silent overwrite.
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def __init__(
        self,
        *args: Any,
        agencies: QuerySet[Agency],
        excludable_agencies: QuerySet[Agency],
        people: QuerySet[User],
        own_agency: Agency,
        children: QuerySet[Child],
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = agencies
        # crispy-forms-gds renders help texts unescaped: an agency's name is escaped here.
        self.fields["agencies"].help_text = format_html(
            "{} (the agency that started the CAF) is always covered. Select all that apply.", own_agency
        )
        self.exclusion_fields_setup(excludable_agencies, people)
        self.fields["excluded_agencies"].help_text = (
            "Agencies the family asked to leave out. Those they excluded before stay excluded until they lift it. "
            "The council's early help team keeps the record: name its people instead."
        )
        self.family = list(children)
        layout_children = children_choice(self, children)
        self.helper = gds_helper(
            *layout_children,
            Field.radios("given_by_kind", legend_size=Size.MEDIUM, legend_tag="h2"),
            Field.text("given_by", field_width=20),
            Field.text("relationship", field_width=20),
            Field.textarea("competence_note", rows=3),
            Field("given_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.radios("method", legend_size=Size.SMALL),
            Field.checkboxes("agencies", legend_size=Size.MEDIUM, legend_tag="h2", small=True),
            Field.checkboxes("excluded_agencies", legend_size=Size.MEDIUM, legend_tag="h2", small=True),
            Field("excluded_people"),
            Field.textarea("copy_to", rows=2),
            Field.checkboxes("explained", legend_size=Size.SMALL),
            "version",
            button="Save consent",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        young_person = cleaned.get("given_by_kind") == self.YOUNG_PERSON
        if young_person and not cleaned.get("competence_note", "").strip():
            self.add_error("competence_note", "Say why the young person can give consent for themselves")
        both = set(cleaned.get("agencies") or []) & set(cleaned.get("excluded_agencies") or [])
        if both:
            names = ", ".join(sorted(agency.name for agency in both))
            self.add_error("excluded_agencies", f"An agency cannot be both covered and excluded: {names}")
        if "explained" in cleaned and set(cleaned["explained"]) != {key for key, _ in self.EXPLAINED}:
            self.add_error("explained", "Confirm that you explained how the information is stored and who sees it")
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "agencies": list(data["agencies"]),
            "children": list(data["children"]) if "children" in self.fields else self.family,
            "given_by": data["given_by"].strip(),
            "relationship": data["relationship"].strip(),
            "is_young_person": data["given_by_kind"] == self.YOUNG_PERSON,
            "competence_note": data["competence_note"].strip(),
            "given_on": data["given_on"],
            "method": data["method"],
            "copy_to": data["copy_to"].strip(),
            **self.exclusion_arguments(),
        }


class ExclusionRecordForm(forms.Form):
    """The family asks that someone does not see their assessment, apart from a new consent (also
    after closure, Settled question 11)."""

    made_by = forms.CharField(
        label="Who in the family asked for this?",
        help_text="Their full name. Only they can lift it later.",
        max_length=200,
        error_messages={"required": "Enter who in the family asked for this"},
    )
    agencies = agencies_field("Which agencies must not see the assessment?")
    people = people_field("Which people must not see the assessment?")

    def __init__(self, *args: Any, agencies: QuerySet[Agency], people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = agencies
        self.fields["people"].queryset = people
        self.fields["people"].label_from_instance = person_with_agency
        self.helper = gds_helper(
            Field.text("made_by", field_width=20),
            Field.checkboxes("agencies", legend_size=Size.SMALL, small=True),
            Field("people"),
            button="Record what the family asked",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not (cleaned.get("agencies") or cleaned.get("people")) and not self.errors:
            self.add_error("agencies", "Choose the agencies or people the family does not want to see the assessment")
        return cleaned


class ExclusionLiftForm(forms.Form):
    asked_by = forms.CharField(
        label="Who in the family is lifting it?",
        max_length=200,
        error_messages={"required": "Enter who in the family is lifting it"},
    )
    reason = forms.CharField(
        label="Why are they lifting it?",
        widget=forms.Textarea,
        error_messages={"required": "Enter why the family is lifting it"},
    )

    def __init__(self, *args: Any, made_by: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # crispy-forms-gds renders help texts unescaped: the family member's name is escaped here.
        self.fields["asked_by"].help_text = format_html("Only {}, who asked for it, can lift it.", made_by)
        self.helper = gds_helper(
            Field.text("asked_by", field_width=20), Field.textarea("reason", rows=3), button="Lift the exclusion"
        )


class ConsentWithdrawForm(forms.Form):
    withdrawn_on = GovukDateField(
        label="When was consent withdrawn?",
        help_text="For example, 27 3 2026",
        what="the date consent was withdrawn",
        bounds=CONSENT,
    )
    reason = forms.CharField(
        label="Why was consent withdrawn?",
        widget=forms.Textarea,
        error_messages={"required": "Enter the reason the consent was withdrawn"},
    )
    safeguarding_referral_follows = forms.BooleanField(
        label="A safeguarding referral to children's social care follows",
        help_text="The CAF then stays open as evidence for the referral instead of closing.",
        required=False,
    )

    def __init__(self, *args: Any, consent: Consent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.consent = consent
        self.helper = gds_helper(
            Field("withdrawn_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
            Field.textarea("reason", rows=3),
            Field.checkbox("safeguarding_referral_follows"),
            button="Record the withdrawal",
        )

    def clean_withdrawn_on(self) -> date:
        value = self.cleaned_data["withdrawn_on"]  # its bounds are the field's (core.date_bounds)
        if value and value < self.consent.given_on:
            raise ValidationError("The date consent was withdrawn must be on or after the date it was given")
        return value


class SafeguardingOverrideForm(forms.Form):
    reason = forms.CharField(
        label="Why would seeking consent increase the risk of significant harm?",
        help_text="This starts a referral to children's social care. Say what you know and how you know it.",
        widget=forms.Textarea,
        error_messages={"required": "Enter why seeking consent would increase the risk of significant harm"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            Field.textarea("reason", label_size=Size.MEDIUM, label_tag="h2", rows=5), button="Start the referral"
        )
