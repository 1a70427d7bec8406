"""Forms of the children's screens: find a child, record a new child (with the household's adults),
choose a duplicate to merge. Rendered with the GOV.UK Design System (crispy-forms-gds).

The NHS number and UPN are checked by the model's own validators, so the messages are the same
wherever a child is recorded.
"""

from datetime import date
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from dateutil.relativedelta import relativedelta
from django import forms
from django.utils import timezone

from caf.models import Child, Sex, nhs_number_validate, upn_validate
from caf.services.duplicates import field_label
from core.date_bounds import BIRTH, EXPECTED_BIRTH
from core.forms import GovukDateField

HOUSEHOLD_ADULTS = 4  # the form records up to this many adults; more can be added to a CAF later
OLDEST_AGE = 25  # a CAF can continue up to 25 for a young person with SEND


def _date_hint(example: date) -> str:
    return f"For example, {example.day} {example.month} {example.year}"


def _helper(*fields: Any, button: str | None = None) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the page's template holds the <form>
    helper.disable_csrf = True
    helper.layout = Layout(*fields, *([Button("submit", button)] if button else []))
    return helper


class ChildFindForm(forms.Form):
    """Find before create: a GET form, so a search can be repeated and shared with a colleague."""

    first_name = forms.CharField(max_length=100, error_messages={"required": "Enter the child's first name"})
    last_name = forms.CharField(max_length=100, error_messages={"required": "Enter the child's last name"})
    date_of_birth = GovukDateField(what="Date of birth", label="Date of birth (optional)", required=False, bounds=BIRTH)
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].help_text = _date_hint(date(2016, 3, 27))
        self.fields["first_name"].widget.attrs.update({"spellcheck": "false"})
        self.fields["last_name"].widget.attrs.update({"spellcheck": "false"})
        self.helper = _helper(
            Field.text("first_name", field_width=20),
            Field.text("last_name", field_width=20),
            Field("date_of_birth"),
            Field.text("postcode", field_width=10),
        )  # the page draws the Search button: a GET form should not send a button's name

    def clean_postcode(self) -> str:
        return self.cleaned_data["postcode"].strip().upper()

    @property
    def search(self) -> dict[str, Any]:
        """The keyword arguments of caf.selectors.children_find."""
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "date_of_birth": data["date_of_birth"],
            "postcode": data["postcode"],
        }


def _adult_field(number: int, name: str) -> str:
    return f"adult_{number}_{name}"


class ChildForm(forms.Form):
    """A new child's record, and up to four adults of the household."""

    first_name = forms.CharField(max_length=100, error_messages={"required": "Enter the child's first name"})
    last_name = forms.CharField(max_length=100, error_messages={"required": "Enter the child's last name"})
    known_as = forms.CharField(label="Known as (optional)", max_length=100, required=False)
    date_of_birth = GovukDateField(what="Date of birth", label="Date of birth", required=False, bounds=BIRTH)
    expected_date_of_birth = GovukDateField(
        what="Expected date of birth",
        label="Expected date of birth (for an unborn child)",
        required=False,
        bounds=EXPECTED_BIRTH,
        earliest_message=(
            "Expected date of birth must be today or in the future. If the child has been born, enter their date "
            "of birth"
        ),
    )
    sex = forms.ChoiceField(
        choices=Sex.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the child's sex, or not known"},
    )
    gender = forms.CharField(
        label="Gender (optional)",
        help_text="How the child describes their gender, if it differs and they have said.",
        max_length=60,
        required=False,
    )
    ethnicity = forms.CharField(label="Ethnicity (optional)", max_length=100, required=False)
    first_language = forms.CharField(label="First language (optional)", max_length=60, required=False)
    interpreter_needed = forms.BooleanField(label="The child or family needs an interpreter", required=False)
    address = forms.CharField(label="Address (optional)", widget=forms.Textarea(attrs={"rows": 3}), required=False)
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    school_or_setting = forms.CharField(
        label="School or early years setting (optional)", max_length=200, required=False
    )
    nhs_number = forms.CharField(
        label="NHS number (optional)",
        help_text="10 digits, like 943 476 5919.",
        max_length=12,
        required=False,
        validators=[nhs_number_validate],
    )
    upn = forms.CharField(
        label="Unique pupil number (UPN) (optional)",
        help_text="13 characters, starting with a letter.",
        max_length=13,
        required=False,
        validators=[upn_validate],
    )
    send = forms.BooleanField(label="The child has special educational needs or a disability (SEND)", required=False)
    checked_new_child = forms.BooleanField(
        label="I have checked: this is a new child",
        help_text="None of the possible matches above is this child.",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date_of_birth"].help_text = _date_hint(date(2016, 3, 27))
        self.fields["expected_date_of_birth"].help_text = (
            "Leave the date of birth empty for an unborn child. " + _date_hint(today + relativedelta(months=4))
        )
        self.fields["upn"].widget.attrs.update({"spellcheck": "false"})
        self.fields["nhs_number"].widget.attrs.update({"inputmode": "numeric", "spellcheck": "false"})
        adult_fieldsets = []
        for number in range(1, HOUSEHOLD_ADULTS + 1):
            self.fields[_adult_field(number, "full_name")] = forms.CharField(
                label="Full name", max_length=200, required=False
            )
            self.fields[_adult_field(number, "relationship")] = forms.CharField(
                label="Relationship to the child",
                help_text='For example, "mother" or "stepfather".',
                max_length=100,
                required=False,
            )
            self.fields[_adult_field(number, "parental_responsibility")] = forms.BooleanField(
                label="Has parental responsibility", required=False
            )
            self.fields[_adult_field(number, "phone")] = forms.CharField(
                label="Phone (optional)", max_length=40, required=False
            )
            adult_fieldsets.append(
                Fieldset(
                    Field.text(_adult_field(number, "full_name"), field_width=20),
                    Field.text(_adult_field(number, "relationship"), field_width=20),
                    Field.checkbox(_adult_field(number, "parental_responsibility"), small=True),
                    Field.text(_adult_field(number, "phone"), field_width=20),
                    legend=f"Adult {number}",
                    legend_size=Size.SMALL,
                )
            )
        self.possible_matches: list = []
        self.helper = _helper(
            Fieldset(
                Field.text("first_name", field_width=20),
                Field.text("last_name", field_width=20),
                Field.text("known_as", field_width=20),
                Field("date_of_birth"),
                Field("expected_date_of_birth"),
                Field.radios("sex", legend_size=Size.SMALL, small=True),
                Field.text("gender", field_width=20),
                Field.text("ethnicity", field_width=20),
                Field.text("first_language", field_width=20),
                Field.checkbox("interpreter_needed", small=True),
                Field.checkbox("send", small=True),
                legend="About the child",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                Field.textarea("address", rows=3),
                Field.text("postcode", field_width=10),
                Field.text("school_or_setting", field_width=30),
                Field.text("nhs_number", field_width=10),
                Field.text("upn", field_width=20),
                legend="Address and identifiers",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            Fieldset(
                *adult_fieldsets,
                legend="Adults in the household",
                legend_size=Size.MEDIUM,
                legend_tag="h2",
            ),
            button="Record the child",
        )

    def clean_postcode(self) -> str:
        return self.cleaned_data["postcode"].strip().upper()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        today = timezone.localdate()
        born, expected = cleaned.get("date_of_birth"), cleaned.get("expected_date_of_birth")
        date_errors = "date_of_birth" in self.errors or "expected_date_of_birth" in self.errors
        if not date_errors and born and expected:
            self.add_error(
                "date_of_birth",
                "Enter a date of birth or an expected date of birth, not both. "
                "Leave the expected date empty once the child is born",
            )
        elif not date_errors and not born and not expected:
            self.add_error(
                "date_of_birth", "Enter the date of birth, or the expected date of birth for an unborn child"
            )
        # The date fields hold the bounds of any date (core.date_bounds); this is the CAF's own age limit.
        if born and born < today - relativedelta(years=OLDEST_AGE + 1):
            self.add_error(
                "date_of_birth",
                f"Date of birth must be within the last {OLDEST_AGE + 1} years: "
                f"a CAF is for children and young people up to {OLDEST_AGE}",
            )
        for number in range(1, HOUSEHOLD_ADULTS + 1):
            name = cleaned.get(_adult_field(number, "full_name"), "").strip()
            relationship = cleaned.get(_adult_field(number, "relationship"), "").strip()
            others = cleaned.get(_adult_field(number, "phone")) or cleaned.get(
                _adult_field(number, "parental_responsibility")
            )
            if (relationship or others) and not name:
                self.add_error(_adult_field(number, "full_name"), f"Enter adult {number}'s full name")
            if name and not relationship:
                self.add_error(_adult_field(number, "relationship"), f"Enter {name}'s relationship to the child")
        return cleaned

    @property
    def child_fields(self) -> dict[str, Any]:
        """The keyword arguments of caf.services.child_create."""
        names = [name for name in self.base_fields if name != "checked_new_child"]
        return {name: self.cleaned_data[name] for name in names}

    @property
    def adults(self) -> list[dict[str, Any]]:
        """The adults entered, as keyword arguments of caf.models.Adult."""
        adults = []
        for number in range(1, HOUSEHOLD_ADULTS + 1):
            name = self.cleaned_data[_adult_field(number, "full_name")].strip()
            if name:
                adults.append(
                    {
                        "full_name": name,
                        "relationship": self.cleaned_data[_adult_field(number, "relationship")].strip(),
                        "parental_responsibility": self.cleaned_data[_adult_field(number, "parental_responsibility")],
                        "phone": self.cleaned_data[_adult_field(number, "phone")].strip(),
                    }
                )
        return adults

    @property
    def search(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "date_of_birth": data["date_of_birth"],
            "postcode": data["postcode"],
        }

    def refuse_until_checked(self, possible_matches: list) -> None:
        """Find before create: possible matches stop the form until the user ticks that none is this child."""
        self.possible_matches = possible_matches
        count = len(possible_matches)
        self.add_error(
            "checked_new_child",
            f"{count} possible {'match is' if count == 1 else 'matches are'} already recorded: check "
            f"{'it' if count == 1 else 'them'}, then tick \u201cI have checked: this is a new child\u201d "
            "if none is this child",
        )

    def offer_confirmation(self) -> None:
        """Show the tick box (only once there are possible matches to check)."""
        self.helper.layout.fields.insert(len(self.helper.layout.fields) - 1, Field.checkbox("checked_new_child"))


class ChooseDuplicateForm(forms.Form):
    """The CAF administrator picks which possible match is the duplicate of this record."""

    duplicate = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="Which record is a duplicate of this child?",
        error_messages={
            "required": "Choose the record that is a duplicate of this child",
            "invalid_choice": "Choose one of the possible matches",
        },
    )

    def __init__(self, *args: Any, candidates: list[Child], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].choices = [
            (
                child.pk,
                f"{child} (record {child.pk}), "
                + (
                    f"born {child.date_of_birth:%-d %B %Y}"
                    if child.date_of_birth
                    else f"due {child.expected_date_of_birth:%-d %B %Y}"
                )
                + (f", {child.postcode}" if child.postcode else ""),
            )
            for child in candidates
        ]
        self.helper = _helper(Field.radios("duplicate", legend_size=Size.MEDIUM, legend_tag="h2"), button="Continue")


def merge_value(child: Child, name: str) -> str:
    """A field of a record as the merge page shows it."""
    value = getattr(child, name)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value:%-d %B %Y}"
    if name == "sex":
        return child.get_sex_display()
    return str(value) if value else "Not recorded"


class MergeChoicesForm(forms.Form):
    """The merge of two possible duplicates: which record is kept, and, for each field where the two
    differ, which record's answer the kept record ends with. Every choice is one of the two records."""

    keep = forms.TypedChoiceField(
        coerce=int,
        widget=forms.RadioSelect,
        label="Which record do you keep?",
        help_text="The other is merged into it. Both stay, with every CAF, consent and level each holds.",
        error_messages={"required": "Choose the record to keep", "invalid_choice": "Choose one of the two records"},
    )

    def __init__(self, *args: Any, first: Child, second: Child, differing: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.first, self.second, self.differing = first, second, differing
        self.fields["keep"].choices = [  # type: ignore[attr-defined]
            (child.pk, f"Record {child.pk}: {child}, recorded on {child.created_at:%-d %B %Y}")
            for child in (first, second)
        ]
        self.fields["keep"].initial = first.pk
        for name in differing:
            label = field_label(name)
            self.fields[name] = forms.TypedChoiceField(
                coerce=int,
                widget=forms.RadioSelect,
                label=label,
                choices=[(child.pk, f"{merge_value(child, name)} (record {child.pk})") for child in (first, second)],
                initial=second.pk if getattr(first, name) in ("", None) and getattr(second, name) else first.pk,
                error_messages={
                    "required": f"Choose which {label[0].lower() + label[1:]} the record keeps",
                    "invalid_choice": f"Choose one of the two answers for {label[0].lower() + label[1:]}",
                },
            )
        self.helper = _helper(
            Field.radios("keep", legend_size=Size.MEDIUM, legend_tag="h2"),
            *(Field.radios(name, legend_size=Size.SMALL, inline=False) for name in differing),
        )

    def taken_from_other(self) -> list[str]:
        """The fields the kept record takes from the other (call after is_valid)."""
        keep = self.cleaned_data["keep"]
        return [name for name in self.differing if self.cleaned_data[name] != keep]
