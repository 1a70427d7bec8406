"""Forms of the review screens: recording a review (one form that starts from the current plan) and
moving the next review date.

They only parse input into what caf.services.review_record and review_date_set take. Which actions
must be reviewed, who may attend, when a next date or a reason is needed: the services decide, and
the views add their refusals to the form (core.forms.refusal_show).
"""

from datetime import date
from typing import Any

from crispy_forms_gds.layout import HTML, Field, Fieldset, Size
from django import forms
from django.utils.html import format_html

from accounts.models import Agency, User
from caf.models import CafChild, PlanAction, Review, ReviewActionProgress
from caf.policies import CLOSURE_REASONS_BY_HAND
from core.date_bounds import ACTION_DUE, NEXT_REVIEW, REVIEW_HELD, Bound
from core.forms import GovukDateField, gds_helper
from thresholds.models import Level

NEW_ACTION_ROWS = 3
# Closing at a review: the reasons a person closes with by hand (caf.policies, the one list; stepping
# up has its own decision, consent withdrawn its own page).
REVIEW_CLOSURE_REASONS = [(reason.value, reason.label) for reason in CLOSURE_REASONS_BY_HAND]


def _person_with_agency(user: User) -> str:
    return f"{user.full_name} ({user.agency.name})" if user.agency_id else user.full_name


def _date_field(
    label: str,
    help_text: str,
    *,
    bounds: tuple[Bound | None, Bound | None],
    what: str = "",
    required: bool = True,
) -> GovukDateField:
    return GovukDateField(label=label, help_text=help_text, what=what or label, bounds=bounds, required=required)


class ReviewForm(forms.Form):
    """Built from the CAF's current state: `actions` (the open actions), `members` (current TAF
    members), `agencies`, `caf_children` (with their levels) and `levels` (of the CAF's model), all
    lists, so that rendering the form runs no query whatever their number."""

    held_on = _date_field("The date of the review", "For example, 27 3 2027", bounds=REVIEW_HELD)
    attendees = forms.MultipleChoiceField(
        label="Who from the team attended?",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose current members of the team"},
    )
    family_attendees = forms.CharField(
        label="Family members who took part (optional)",
        help_text='For example, "Kelly Smith (mother), Jayden".',
        widget=forms.Textarea,
        required=False,
    )
    summary = forms.CharField(
        label="What was discussed (optional)",
        help_text="In plain words the family will understand.",
        widget=forms.Textarea,
        required=False,
    )
    decision = forms.ChoiceField(
        label="What did the review decide?",
        choices=Review.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the review decided"},
    )
    next_review_on = _date_field(
        "The date of the next review",
        "Needed unless the CAF closes or steps up. For example, 27 3 2027",
        bounds=NEXT_REVIEW,
        required=False,
    )
    close_reason = forms.ChoiceField(
        label="If the CAF closes: why?",
        help_text="Stepping down to universal services closes it as needs met, universal services continue.",
        choices=REVIEW_CLOSURE_REASONS,
        widget=forms.RadioSelect,
        required=False,
    )
    outcome = forms.CharField(
        label="If the CAF closes or steps down: the outcome for the family",
        help_text="What changed for the child and family, and what support continues.",
        widget=forms.Textarea,
        required=False,
    )

    # Where reviews and plan stood when the form was drawn (caf.selectors.review_version): a review
    # recorded or an action changed since makes recording this one a conflict (issue 14).
    version = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def __init__(
        self,
        *args: Any,
        actions: list[PlanAction],
        members: list[User],
        agencies: list[Agency],
        caf_children: list[CafChild],
        levels: list[Level],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.actions = actions
        self.caf_children = caf_children
        self._members = {str(member.pk): member for member in members}
        self._agencies = {str(agency.pk): agency for agency in agencies}
        self._levels = {str(level.pk): level for level in levels}
        self.fields["attendees"].choices = [(key, _person_with_agency(user)) for key, user in self._members.items()]

        progress_layout: list[Any] = []
        for action in actions:
            status = f"action_{action.pk}_status"
            note = f"action_{action.pk}_note"
            who = f"{action.owner.full_name}, {action.agency.name}" if action.owner_id else action.agency.name
            self.fields[status] = forms.ChoiceField(
                label=format_html("{}", action.action),
                help_text=format_html(
                    "For the need: {}. {}, by {}. Now: {}.",
                    action.need,
                    who,
                    f"{action.due_on:%-d %B %Y}",
                    action.get_status_display().lower(),
                ),
                choices=ReviewActionProgress.Status.choices,
                widget=forms.RadioSelect,
                initial=action.status,
                error_messages={"required": f"Choose where the action “{action.action[:60]}” is now"},
            )
            self.fields[note] = forms.CharField(
                label="Note on this action (optional)",
                help_text="Kept as the action's outcome.",
                widget=forms.Textarea,
                required=False,
                initial=action.outcome,
            )
            progress_layout += [Field.radios(status, legend_size=Size.SMALL, small=True), Field.textarea(note, rows=2)]

        agency_choices = [("", "Choose an agency"), *((key, agency.name) for key, agency in self._agencies.items())]
        owner_choices = [("", "Nobody named yet"), *self.fields["attendees"].choices]
        new_layout: list[Any] = []
        for row in range(1, NEW_ACTION_ROWS + 1):
            prefix = f"new_{row}_"
            self.fields[prefix + "need"] = forms.CharField(
                label="The need this action meets", widget=forms.Textarea, required=False
            )
            self.fields[prefix + "action"] = forms.CharField(
                label="What will be done", widget=forms.Textarea, required=False
            )
            self.fields[prefix + "agency"] = forms.ChoiceField(
                label="Which agency will do it", choices=agency_choices, required=False
            )
            self.fields[prefix + "owner"] = forms.ChoiceField(
                label="Who will do it (optional)", choices=owner_choices, required=False
            )
            self.fields[prefix + "due_on"] = _date_field(
                "By when",
                "For example, 27 3 2027",
                what=f"New action {row}: the date it will be done by",
                bounds=ACTION_DUE,
                required=False,
            )
            new_layout.append(
                Fieldset(
                    Field.textarea(prefix + "need", rows=2),
                    Field.textarea(prefix + "action", rows=2),
                    Field.select(prefix + "agency"),
                    Field.select(prefix + "owner"),
                    Field(prefix + "due_on", context={"legend_size": Size.SMALL}),
                    legend=f"New action {row} (optional)",
                    legend_size=Size.SMALL,
                )
            )

        level_choices = [(key, level.label) for key, level in self._levels.items()]
        levels_layout: list[Any] = []
        for caf_child in caf_children:
            level = f"level_{caf_child.pk}"
            reason = f"level_{caf_child.pk}_reason"
            suggested = (
                f" From the indicators chosen, the thresholds suggest {caf_child.suggested_level.label}."
                if caf_child.suggested_level_id
                else ""
            )
            now = caf_child.level.label if caf_child.level_id else "not chosen"
            self.fields[level] = forms.ChoiceField(
                label=format_html("{}'s level of need after the review", caf_child.child),
                help_text=format_html("Now: {}.{}", now, suggested),
                choices=level_choices,
                widget=forms.RadioSelect,
                initial=str(caf_child.level_id) if caf_child.level_id else None,
                error_messages={"required": f"Choose {caf_child.child}'s level of need"},
            )
            self.fields[reason] = forms.CharField(
                label="Reason (needed if the level changes)", widget=forms.Textarea, required=False
            )
            levels_layout += [Field.radios(level, legend_size=Size.SMALL, small=True), Field.textarea(reason, rows=2)]

        self.helper = gds_helper(
            Field("held_on", context={"legend_size": Size.SMALL}),
            Field.checkboxes("attendees", legend_size=Size.SMALL, small=True),
            Field.textarea("family_attendees", rows=2),
            Field.textarea("summary", rows=4),
            HTML('<h2 class="govuk-heading-m" id="progress">Progress on the plan</h2>'),
            *(progress_layout or [HTML('<p class="govuk-body">The plan has no open actions.</p>')]),
            HTML('<h2 class="govuk-heading-m" id="new-actions">New actions</h2>'),
            *new_layout,
            HTML('<h2 class="govuk-heading-m" id="levels">Levels of need</h2>'),
            *levels_layout,
            HTML('<h2 class="govuk-heading-m" id="decision">Decision</h2>'),
            Field.radios("decision", legend_size=Size.SMALL),
            Field("next_review_on", context={"legend_size": Size.SMALL}),
            Field.radios("close_reason", legend_size=Size.SMALL, small=True),
            Field.textarea("outcome", rows=3),
            "version",
            button="Record the review",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        cleaned["attendee_users"] = [self._members[key] for key in cleaned.get("attendees", [])]
        cleaned["progress"] = [
            (action, cleaned.get(f"action_{action.pk}_status"), cleaned.get(f"action_{action.pk}_note", ""))
            for action in self.actions
        ]
        cleaned["new_actions"] = [fields for fields in map(self._new_action, range(1, NEW_ACTION_ROWS + 1)) if fields]
        cleaned["levels"] = {
            caf_child: (self._levels[key], cleaned.get(f"level_{caf_child.pk}_reason", ""))
            for caf_child in self.caf_children
            if (key := cleaned.get(f"level_{caf_child.pk}"))
        }
        return cleaned

    def _new_action(self, row: int) -> dict[str, Any] | None:
        """A new action's fields, or None for a blank row (ignored). A row begun is completed."""
        prefix = f"new_{row}_"
        data = self.cleaned_data
        names = ("need", "action", "agency", "owner", "due_on")
        if f"{prefix}due_on" in self.errors:
            return None
        if not any((data.get(prefix + name) or "") if name != "due_on" else data.get(prefix + name) for name in names):
            return None
        required = {
            "need": "Enter the need this action meets",
            "action": "Enter what will be done",
            "agency": "Choose the agency that will do it",
            "due_on": "Enter the date it will be done by",
        }
        for name, message in required.items():
            if not data.get(prefix + name):
                self.add_error(prefix + name, f"New action {row}: {message[0].lower()}{message[1:]}")
        if any(prefix + name in self.errors for name in names):
            return None
        agency = self._agencies[data[prefix + "agency"]]
        owner = self._members.get(data.get(prefix + "owner") or "")
        if owner and owner.agency_id != agency.pk:
            self.add_error(
                prefix + "owner",
                f"New action {row}: {owner.full_name} works for {owner.agency.name}: "
                "choose that agency or another person",
            )
            return None
        due_on: date = data[prefix + "due_on"]
        return {
            "need": data[prefix + "need"].strip(),
            "action": data[prefix + "action"].strip(),
            "agency": agency,
            "owner": owner,
            "due_on": due_on,
        }


class ReviewDateForm(forms.Form):
    review_on = _date_field("The new date of the next review", "For example, 27 3 2027", bounds=NEXT_REVIEW)
    reason = forms.CharField(
        label="Why is the date changing?",
        help_text="For example, the family asked to meet after the school holidays.",
        widget=forms.Textarea,
        error_messages={"required": "Enter why the review date is changing"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            Field("review_on", context={"legend_size": Size.SMALL}),
            Field.textarea("reason", rows=3),
            button="Change the date",
        )
