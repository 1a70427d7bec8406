"""Forms of the step-up pages: starting a referral, recording the call to the front door, sending
the referral, the front door's decision and the queue's filters.

They only parse input. Who may make a change and what the referral's state allows are checked by
referrals.services, whose refusals the views add to the form (core.forms.refusal_show).
"""

import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crispy_forms_gds.choices import Choice
from crispy_forms_gds.layout import HTML, Field, Size
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Agency, AgencyType, Locality, User
from caf.models import Child, Consent, SharingBasis
from core.date_bounds import CONSENT
from core.forms import (
    GovukDateField,
    RevealingRadios,
    RevealsMixin,
    Select,
    children_choice,
    children_field,
    gds_helper,
)
from referrals.forms_stepdown import FamilyWishesFields
from referrals.models import Referral
from referrals.services import CONSENT_GIVEN, CONSENT_NOT_SOUGHT, CONSENT_REFUSED, STEP_DOWN_FIELDS

YES, NO = "yes", "no"
# A phone's clock a few minutes ahead of ours is not a call in the future (referrals.services allows the same).
CALL_CLOCK_SLACK = timedelta(minutes=5)
YES_NO = [(YES, "Yes"), (NO, "No")]


def _yes_no(value: str) -> bool | None:
    return {YES: True, NO: False}.get(value)


# Starting a referral ------------------------------------------------------------------------------


class ReferralStartForm(forms.Form):
    children = children_field(
        "Which children are you referring?",
        "Select all that apply.",
        required="Choose the child, or the children, you are referring",
        invalid="Choose only children listed here",
    )
    immediate_risk = forms.ChoiceField(
        label="Is a child at immediate risk of significant harm now?",
        choices=[
            Choice(YES, "Yes", hint="You will be asked to phone the front door first, before you write the referral."),
            Choice(NO, "No"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether a child is at immediate risk of significant harm now"},
    )

    def __init__(self, *args: Any, children: QuerySet[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.all_children = list(children)
        fields = children_choice(self, children)
        if "children" in self.fields:
            self.fields["children"].initial = [child.pk for child in self.all_children]
        fields.append(Field.radios("immediate_risk", legend_size=Size.MEDIUM, legend_tag="h2"))
        self.helper = gds_helper(*fields, button="Continue")

    def chosen_children(self) -> list[Child]:
        return list(self.cleaned_data["children"]) if "children" in self.fields else self.all_children

    def is_immediate(self) -> bool:
        return self.cleaned_data["immediate_risk"] == YES


# Immediate risk: the call to the front door -------------------------------------------------------


class FrontDoorCallForm(forms.Form):
    called_at = forms.CharField(
        label="What time did you call? (today)",
        help_text="Use the 24-hour clock, for example 14:30.",
        max_length=5,
        error_messages={"required": "Enter the time you called, for example 14:30"},
    )
    spoke_to = forms.CharField(
        label="Who did you speak to?",
        help_text="Their name and role, for example Jo Brown, duty social worker.",
        max_length=200,
        error_messages={"required": "Enter who you spoke to at the front door"},
    )
    advice = forms.CharField(
        label="What did they advise? (optional)",
        widget=forms.Textarea,
        required=False,
    )

    def __init__(self, *args: Any, zone: ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["called_at"].initial = timezone.now().astimezone(zone).strftime("%H:%M")
        self.helper = gds_helper(
            Field.text("called_at", field_width=5),
            Field.text("spoke_to", field_width="two-thirds"),
            Field.textarea("advice", rows=4),
            button="Record the call",
        )

    def clean_called_at(self) -> datetime:
        """Today's date in the council's time zone, at the time typed: an aware datetime."""
        value = self.cleaned_data["called_at"].strip()
        match = re.fullmatch(r"([0-9]{1,2})[:.]([0-9]{2})", value)  # ASCII digits: \d takes "١٢" too
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValidationError("Enter the time you called as hours and minutes, for example 14:30")
        now = timezone.now().astimezone(self.zone)
        called_at = datetime.combine(now.date(), time(int(match[1]), int(match[2])), tzinfo=self.zone)
        if called_at > now + CALL_CLOCK_SLACK:
            raise ValidationError("The time you called must be now or earlier today")
        return called_at


# Sending the referral -----------------------------------------------------------------------------

CONSENT_CHOICES = [
    Choice(CONSENT_GIVEN, "Yes"),
    Choice(
        CONSENT_NOT_SOUGHT,
        "No: seeking consent would increase the risk of significant harm",
        hint="The referral goes without consent.",
    ),
    Choice(CONSENT_REFUSED, "No, they do not agree"),
]


class ReferralSendForm(RevealsMixin, forms.Form):
    """The referral's answers. The consent question reveals the fields of its answer: who agreed and
    when under "Yes", why under "seeking consent would increase the risk"; those of the answers not
    chosen are ignored (core.forms.RevealsMixin)."""

    reveals = {
        "consent": {
            CONSENT_GIVEN: ("consent_given_by", "consent_relationship", "consent_given_on"),
            CONSENT_NOT_SOUGHT: ("override_reason",),
        }
    }
    reveal_required = {
        "consent_given_by": "Enter the full name of who agreed to the referral",
        "consent_relationship": "Enter their relationship to the child",
        "consent_given_on": "Enter the date consent was given",
        "override_reason": "Say why seeking consent would increase the risk of significant harm",
    }

    concern = forms.CharField(
        label="What is the concern?",
        help_text="What you have seen or been told, by whom and when. Say what has been done to keep the child safe.",
        widget=forms.Textarea,
        error_messages={"required": "Describe the concern"},
    )
    tried = forms.CharField(
        label="What has been tried so far? (optional)",
        help_text="Support already given to the family, by you or other agencies, and what difference it made.",
        widget=forms.Textarea,
        required=False,
    )
    views_of_child = forms.CharField(label="The child's views (optional)", widget=forms.Textarea, required=False)
    views_of_family = forms.CharField(label="The family's views (optional)", widget=forms.Textarea, required=False)
    family_informed = forms.ChoiceField(
        label="Does the family know about this referral?", choices=YES_NO, widget=forms.RadioSelect, required=False
    )
    consent = forms.ChoiceField(
        label="Has the family agreed to the referral?",
        choices=CONSENT_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": "Choose one of the answers listed"},
    )
    consent_given_by = forms.CharField(label="Who agreed? (their full name)", max_length=200, required=False)
    consent_relationship = forms.CharField(
        label="Their relationship to the child", help_text='For example, "mother".', max_length=100, required=False
    )
    consent_given_on = GovukDateField(
        label="When did they agree?",
        help_text="For example, 27 3 2026",
        what="the date consent was given",
        bounds=CONSENT,
        required=False,
    )
    override_reason = forms.CharField(
        label="Why would seeking consent increase the risk of significant harm?",
        help_text="Say what you know and how you know it.",
        widget=forms.Textarea,
        required=False,
    )

    def __init__(self, *args: Any, referral: Referral, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.referral = referral
        if referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE:
            self.fields["consent"].initial = CONSENT_NOT_SOUGHT
            self.fields["override_reason"].initial = referral.override_reason
        if referral.override_reason:
            # The override's own reason stands when none is typed (referrals.services does the same).
            self.reveal_required = {k: v for k, v in self.reveal_required.items() if k != "override_reason"}
        self.helper = gds_helper(
            Field.textarea("concern", rows=8),
            Field.textarea("tried", rows=4),
            Field.textarea("views_of_child", rows=3),
            Field.textarea("views_of_family", rows=3),
            Field.radios("family_informed", legend_size=Size.SMALL, inline=True),
            HTML('<h2 class="govuk-heading-m">Consent</h2>'),
            RevealingRadios(
                "consent",
                {
                    CONSENT_GIVEN: [
                        Field.text("consent_given_by", field_width=20),
                        Field.text("consent_relationship", field_width=20),
                        Field("consent_given_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
                    ],
                    CONSENT_NOT_SOUGHT: [Field.textarea("override_reason", rows=4)],
                },
                legend_size=Size.SMALL,
            ),
            button="Continue",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        if not cleaned.get("consent") and "consent" not in self.errors:
            if self.referral.basis == SharingBasis.SAFEGUARDING_OVERRIDE:
                # Started from a safeguarding override, which already says why (the service's rule too).
                cleaned["consent"] = CONSENT_NOT_SOUGHT
            else:
                self.add_error("consent", "Say whether the family agrees to the referral")
        return super().clean()

    def answers(self) -> list[dict[str, str]]:
        """The answers to check before sending: each question, its answer and the id of the input that
        changes it (the "Change" link's #fragment on the form)."""
        data = self.cleaned_data
        consent = data["consent"]
        consent_label = {choice.value: choice.label for choice in CONSENT_CHOICES}[consent]
        rows = [
            ("The concern", data["concern"], "concern"),
            ("What has been tried", data["tried"] or "Not said", "tried"),
            ("The child's views", data["views_of_child"] or "Not said", "views_of_child"),
            ("The family's views", data["views_of_family"] or "Not said", "views_of_family"),
            (
                "The family knows about this referral",
                dict(YES_NO).get(data["family_informed"], "Not said"),
                "family_informed",
            ),
            ("Has the family agreed?", str(consent_label), "consent"),
        ]
        if consent == CONSENT_GIVEN:
            rows += [
                ("Who agreed", f"{data['consent_given_by']} ({data['consent_relationship']})", "consent_given_by"),
                ("When they agreed", f"{data['consent_given_on']:%-d %B %Y}", "consent_given_on"),
            ]
        elif consent == CONSENT_NOT_SOUGHT:
            reason = data["override_reason"].strip() or self.referral.override_reason
            rows.append(("Why seeking consent would increase the risk", reason, "override_reason"))
        return [
            {"question": question, "answer": answer, "input_id": self._input_id(name)}
            for question, answer, name in rows
        ]

    def _input_id(self, name: str) -> str:
        """The id of a field's first input: a radio group's first radio, a date's day."""
        bound = self[name]
        if isinstance(bound.field.widget, forms.RadioSelect):
            return f"{bound.auto_id}_1"
        if isinstance(bound.field.widget, forms.MultiWidget):
            return f"{bound.auto_id}_0"
        return str(bound.auto_id)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "concern": data["concern"],
            "tried": data["tried"],
            "views_of_child": data["views_of_child"],
            "views_of_family": data["views_of_family"],
            "family_informed": _yes_no(data["family_informed"]),
            # Nothing chosen: the service decides (an override referral already says why).
            "consent": data["consent"] or None,
            "consent_given_by": data["consent_given_by"],
            "consent_relationship": data["consent_relationship"],
            "consent_given_on": data["consent_given_on"],
            "override_reason": data["override_reason"],
        }


# The front door's decision ------------------------------------------------------------------------


def _person_label(user: User) -> str:
    return f"{user.full_name} ({user.job_title})" if user.job_title else user.full_name


STEP_DOWN_REVEALED = (
    "open_needs",
    "social_worker_summary",
    "consent_given_by",
    "consent_relationship",
    "consent_given_on",
    "consent_method",
    "consent_agencies",
    "excluded_agencies",
    "excluded_people",
    "explained",
)


def social_worker_field_name(decision: str) -> str:
    """The allocated social worker is asked under each decision that needs one: a field of its own
    under each (one element cannot sit in two conditional reveals)."""
    return f"social_worker_{decision}"


class DecideForm(RevealsMixin, FamilyWishesFields):
    """The front door's decision. Each decision reveals what it needs (core.forms.RevealsMixin): the
    advice to the referrer under no further action, what early help needs under stepping down, the
    allocated social worker under section 17 and section 47; the fields of the decisions not chosen
    are ignored."""

    decision = forms.ChoiceField(
        label="What is your decision?",
        choices=Referral.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the decision", "invalid_choice": "Choose one of the decisions listed"},
    )
    reasons = forms.CharField(
        label="Reasons for the decision",
        widget=forms.Textarea,
        error_messages={"required": "Give the reasons for the decision"},
    )
    advice = forms.CharField(
        label="Advice to the referrer",
        help_text="What the referrer and the family can do now.",
        widget=forms.Textarea,
        required=False,
    )
    open_needs = forms.CharField(label="Needs still open", widget=forms.Textarea, required=False)
    social_worker_summary = forms.CharField(label="Your summary for early help", widget=forms.Textarea, required=False)
    consent_given_by = forms.CharField(
        label="Who agreed to early help? (their full name)", max_length=200, required=False
    )
    consent_relationship = forms.CharField(label="Their relationship to the child", max_length=100, required=False)
    consent_given_on = GovukDateField(
        label="When did they agree?",
        help_text="For example, 27 3 2026",
        what="the date the family agreed to early help",
        bounds=CONSENT,
        required=False,
    )
    consent_method = forms.ChoiceField(
        label="How did they agree?", choices=Consent.Method.choices, widget=forms.RadioSelect, required=False
    )
    consent_agencies = forms.ModelMultipleChoiceField(
        label="Which agencies did the family agree early help may share with?",
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Choose only agencies listed here"},
    )

    reveal_required = {
        "advice": "Give your advice to the referrer: what they and the family can do now",
        **{
            social_worker_field_name(decision): "Choose the social worker allocated to the family"
            for decision in Referral.SOCIAL_CARE_DECISIONS
        },
        "open_needs": "Enter the needs still open",
        "social_worker_summary": "Enter your summary for early help",
        "consent_given_by": "Enter who agreed to early help",
        "consent_relationship": "Enter their relationship to the child",
        "consent_given_on": "Enter the date the family agreed to early help",
        "consent_method": "Choose how the family agreed to early help",
    }
    reveals = {
        "decision": {
            Referral.Decision.NO_FURTHER_ACTION: ("advice",),
            Referral.Decision.STEP_DOWN: STEP_DOWN_REVEALED,
            **{decision: (social_worker_field_name(decision),) for decision in Referral.SOCIAL_CARE_DECISIONS},
        }
    }

    def __init__(
        self,
        *args: Any,
        social_workers: QuerySet[User],
        agencies: QuerySet[Agency],
        people: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for decision in Referral.SOCIAL_CARE_DECISIONS:
            field = forms.ModelChoiceField(
                label="Allocated social worker",
                queryset=social_workers,
                required=False,
                empty_label="Choose a social worker",
                error_messages={"invalid_choice": "Choose a social worker from the list"},
            )
            field.label_from_instance = _person_label  # type: ignore[method-assign,assignment]
            self.fields[social_worker_field_name(decision)] = field
        self.fields["consent_agencies"].queryset = agencies
        self.helper = gds_helper(
            RevealingRadios(
                "decision",
                {
                    Referral.Decision.NO_FURTHER_ACTION: [Field.textarea("advice", rows=4)],
                    Referral.Decision.STEP_DOWN: [
                        Field.textarea("open_needs", rows=4),
                        Field.textarea("social_worker_summary", rows=4),
                        Field.text("consent_given_by", field_width=20),
                        Field.text("consent_relationship", field_width=20),
                        Field("consent_given_on", context={"legend_size": Size.for_legend(Size.SMALL)}),
                        Field.radios("consent_method", legend_size=Size.SMALL),
                        Field.checkboxes("consent_agencies", legend_size=Size.SMALL, small=True),
                        *self.family_wishes_setup(agencies, people),
                    ],
                    **{
                        decision: [Field.select(social_worker_field_name(decision))]
                        for decision in Referral.SOCIAL_CARE_DECISIONS
                    },
                },
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Field.textarea("reasons", rows=5),
            button="Record the decision",
        )

    def social_worker(self) -> User | None:
        """The social worker chosen under the decision made; None for the other decisions."""
        decision = self.cleaned_data["decision"]
        if decision not in Referral.SOCIAL_CARE_DECISIONS:
            return None
        chosen: User | None = self.cleaned_data[social_worker_field_name(decision)]
        return chosen

    def step_down(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data["decision"] != Referral.Decision.STEP_DOWN:
            return None
        return {
            **{name: data[name] for name in STEP_DOWN_FIELDS},
            "consent_agencies": list(data["consent_agencies"]),
            **self.exclusion_arguments(),
        }


# The front-door queue's filters -------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    words = forms.CharField(label="Child's name or CAF reference", max_length=100, required=False)
    urgency = forms.ChoiceField(
        widget=Select, label="Urgency", choices=[("", "Any urgency"), *Referral.Urgency.choices], required=False
    )
    locality = forms.ModelChoiceField(
        label="Locality of the referring agency",
        widget=Select,
        queryset=Locality.objects.none(),
        required=False,
        empty_label="Any locality",
        error_messages={"invalid_choice": "Choose a locality from the list"},
    )
    agency_type = forms.ChoiceField(
        label="Type of referring agency",
        widget=Select,
        choices=[("", "Any type"), *AgencyType.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a type of agency from the list"},
    )

    def __init__(self, *args: Any, localities: QuerySet[Locality], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["locality"].queryset = localities
        self.helper = gds_helper(
            Field.text("words", field_width=20),
            Field.select("urgency"),
            Field.select("locality"),
            Field.select("agency_type"),
            button="Filter",
        )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "words": data["words"],
            "urgency": data["urgency"],
            "locality_id": data["locality"].pk if data["locality"] else None,
            "agency_type": data["agency_type"],
        }
