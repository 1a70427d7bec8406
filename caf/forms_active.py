"""Forms of an active CAF's screens: team, lead professional, registration, plan, closure.

They only parse input. Who may make a change and whether the CAF's state allows it are checked by
caf.services, whose refusals the views add to the form (core.forms.refusal_show).
"""

from typing import Any, cast

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.db.models import QuerySet

from accounts.models import Agency, User
from caf.models import PlanAction
from caf.policies import CLOSURE_REASONS_BY_HAND
from core.date_bounds import ACTION_DUE
from core.forms import GovukDateField, gds_helper


def _person_with_agency(user: User) -> str:
    return f"{user.full_name} ({user.agency.name})" if user.agency_id else user.full_name


def _person_found(user: User) -> str:
    job = f", {user.job_title}" if user.job_title else ""
    return f"{user.full_name}{job} ({user.agency.name})" if user.agency else user.full_name


class _PersonChoiceField(forms.ModelChoiceField):
    """Checks a choice against everyone who may be chosen (the queryset) but lists only `shown`, the
    people a search found: a county's whole staff is never one list."""

    shown: list[User] = []

    @property
    def choices(self) -> list[tuple[int, str]]:
        return [(person.pk, _person_found(person)) for person in self.shown]

    @choices.setter
    def choices(self, value: Any) -> None:
        pass  # set by the form's search, never from the queryset


class TafMemberForm(forms.Form):
    member = _PersonChoiceField(
        label="Who is joining the team",
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose who is joining the team",
            "invalid_choice": "Choose someone the family's consent lets join the team",
        },
    )
    role = forms.CharField(
        label="Their role in the team",
        help_text="For example, school nurse, family support worker.",
        max_length=120,
        required=False,
    )

    # Where the team stood when the page was drawn (caf.selectors.team_version): someone joining or
    # leaving since makes the addition a conflict.
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args: Any, people: QuerySet[User], shown: list[User], **kwargs: Any) -> None:
        """`people`: everyone who may join (what a choice is checked against); `shown`: those the
        search found, the only ones listed (caf.selectors.people_to_add)."""
        super().__init__(*args, **kwargs)
        field = cast(_PersonChoiceField, self.fields["member"])
        field.queryset = people
        field.shown = shown
        field.widget.choices = field.choices
        self.helper = gds_helper(
            Field.radios("member", legend_size=Size.SMALL),
            Field.text("role", field_width="two-thirds"),
            "version",
            button="Add to the team",
        )


class LeadProfessionalForm(forms.Form):
    lead = forms.ModelChoiceField(
        label="Who did the team agree as lead professional?",
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the lead professional the team agreed",
            "invalid_choice": "Choose a current member of the team",
        },
    )

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["lead"]
        field.queryset = members
        field.label_from_instance = _person_with_agency
        self.helper = gds_helper(Field.radios("lead", legend_size=Size.MEDIUM), button="Log the lead professional")


class RegisterForm(forms.Form):
    reference = forms.CharField(
        label="The council's reference number for this CAF",
        max_length=40,
        error_messages={"required": "Enter the council's reference number"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.text("reference", field_width=20), button="Register the CAF")


class PlanActionForm(forms.Form):
    need = forms.CharField(
        label="The need this action meets",
        widget=forms.Textarea,
        error_messages={"required": "Enter the need this action meets"},
    )
    action = forms.CharField(
        label="What will be done",
        widget=forms.Textarea,
        error_messages={"required": "Enter what will be done"},
    )
    agency = forms.ModelChoiceField(
        label="Which agency will do it",
        queryset=Agency.objects.none(),
        error_messages={
            "required": "Choose the agency that will do it",
            "invalid_choice": "Choose an agency in the list",
        },
    )
    owner = forms.ModelChoiceField(
        label="Who will do it (optional)",
        help_text="A current member of the team. They can then update the action themselves.",
        queryset=User.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose a current member of the team"},
    )
    due_on = GovukDateField(
        label="By when",
        help_text="For example, 27 3 2027",
        what="the date it will be done by",
        bounds=ACTION_DUE,
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies
        self.fields["agency"].empty_label = "Choose an agency"
        self.fields["owner"].queryset = members
        self.fields["owner"].empty_label = "Nobody named yet"
        self.fields["owner"].label_from_instance = _person_with_agency
        self.fields["due_on"].error_messages["required"] = "Enter the date it will be done by"
        self.helper = gds_helper(
            Field.textarea("need", rows=3),
            Field.textarea("action", rows=3),
            Field.select("agency"),
            Field.select("owner"),
            Field("due_on", context={"legend_size": Size.SMALL}),
            button="Add the action",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        owner, agency = cleaned.get("owner"), cleaned.get("agency")
        if owner and agency and owner.agency_id != agency.pk:
            self.add_error(
                "owner", f"{owner.full_name} works for {owner.agency.name}: choose that agency or someone else"
            )
        return cleaned


class PlanActionUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label="Where is this action now?",
        choices=PlanAction.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose where this action is now"},
    )
    outcome = forms.CharField(
        label="What has happened (optional)",
        help_text="In plain words the family will understand.",
        widget=forms.Textarea,
        required=False,
    )
    # The action's version this form showed (PlanAction.version): an update from an older one is a
    # conflict, shown beside what is saved now, never a silent overwrite (issue 14).
    version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            Field.radios("status", legend_size=Size.SMALL),
            Field.textarea("outcome", rows=4),
            "version",
            button="Save the update",
        )

    def differences_from(self, action: PlanAction) -> list[tuple[str, str, str]]:
        """Where what was typed differs from the action as saved now, for a conflict's side-by-side."""
        data, rows = self.cleaned_data, []
        if data["status"] != action.status:
            rows.append(("Where it is", action.get_status_display(), PlanAction.Status(data["status"]).label))
        if data["outcome"].strip() != action.outcome:
            rows.append(("What has happened", action.outcome, data["outcome"].strip()))
        return rows


class CloseForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why is the CAF closing?",
        # Only the reasons a person closes with by hand: caf.policies says which.
        choices=[(reason.value, reason.label) for reason in CLOSURE_REASONS_BY_HAND],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the CAF is closing"},
    )
    summary = forms.CharField(
        label="Outcome for the family",
        help_text="What changed for the child and family, and what support continues.",
        widget=forms.Textarea,
        error_messages={"required": "Summarise the outcome for the family"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            Field.radios("reason", legend_size=Size.SMALL),
            Field.textarea("summary", rows=5),
            button="Close the CAF",
        )
