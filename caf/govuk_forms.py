"""The project's form kit: GOV.UK Design System fields that every app's forms use (referrals may
import caf; thresholds and accounts, being lower, may not).

GovukDateField is the one date input (day, month, year). crispy-forms-gds' DateInputField passes
each part through `^[0-9]+$` and then `date(int(year), ...)`, so "99999999999" as a year overflows
(a 500) and an impossible date shows Python's own words ("day is out of range for month"). This one
accepts ASCII digits only, a year of four, and says what is wrong in the Design System's words,
naming the date: "Date of birth must include a year", "Date of birth must be a real date",
"Date of birth must be today or in the past". Its bounds are the rules in caf.date_bounds.
"""

import re
from datetime import date
from typing import Any, Optional

from crispy_forms_gds.fields import DateInputField
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Agency, User
from caf.date_bounds import Bound, out_of_bounds

PARTS = ("day", "month", "year")
DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
DIGITS = re.compile(r"[0-9]+")


class GovukDateField(DateInputField):
    """A GOV.UK date input whose messages name the date (`what`, as it starts a sentence, e.g.
    "Date of birth" or "The date consent was given"), within `bounds`: (earliest, latest), a rule
    of caf.date_bounds such as BIRTH or CONSENT (None at either end for no bound). Blank when not
    required: all three parts empty; half filled in is an error. `earliest_message` and
    `latest_message` replace the bounds' own words."""

    def __init__(
        self,
        *,
        what: str,
        bounds: tuple[Optional[Bound], Optional[Bound]] = (None, None),
        earliest_message: str = "",
        latest_message: str = "",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("require_all_fields", False)
        super().__init__(**kwargs)
        self.what = what[:1].upper() + what[1:]
        self.earliest, self.latest = bounds
        self.earliest_message, self.latest_message = earliest_message, latest_message
        self.error_messages["required"] = f"Enter {what[:1].lower()}{what[1:]}"
        self.error_messages["incomplete"] = f"{self.what} must include a day, month and year"
        self.error_messages["invalid"] = f"{self.what} must be a real date"
        for widget in self.widget.widgets:
            widget.attrs["inputmode"] = "numeric"

    def clean(self, value: Any) -> Optional[date]:
        if self.disabled and not isinstance(value, (list, tuple)):
            value = self.widget.decompress(value)
        if not isinstance(value, (list, tuple)):
            value = [None, None, None]
        parts = [str(part).strip() if part is not None else "" for part in [*value, None, None, None][:3]]
        if not any(parts):
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        missing = [name for name, part in zip(PARTS, parts, strict=True) if not part]
        if missing:
            raise ValidationError(f"{self.what} must include a {' and '.join(missing)}", code="incomplete")
        day, month, year = parts
        if DIGITS.fullmatch(year) and len(year) != 4:
            raise ValidationError(f"{self.what} must include a year with 4 numbers", code="invalid")
        if not (DAY_OR_MONTH.fullmatch(day) and DAY_OR_MONTH.fullmatch(month) and DIGITS.fullmatch(year)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            value = date(int(year), int(month), int(day))
        except (ValueError, OverflowError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        self._check_bounds(value)
        self.run_validators(value)
        return value

    def _check_bounds(self, value: date) -> None:
        today = timezone.localdate()
        too_early = out_of_bounds(value, self.what, self.earliest, None, today=today)
        if too_early:
            raise ValidationError(self.earliest_message or too_early, code="too_early")
        too_late = out_of_bounds(value, self.what, None, self.latest, today=today)
        if too_late:
            raise ValidationError(self.latest_message or too_late, code="too_late")

    def compress(self, data_list: Any) -> Optional[date]:
        # clean() above does the work; this answers anyone who calls the parent's way.
        return self.clean(list(data_list)) if data_list else None


# Choosing agencies and people -----------------------------------------------------------------------


def agencies_field(label: str, help_text: str = "", *, required: bool = False) -> forms.ModelMultipleChoiceField:
    """Agencies as GOV.UK checkboxes (the view sets the queryset): who a consent covers, who the
    family excludes, in the CAF, referral and step-down forms alike."""
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text,
        queryset=Agency.objects.none(),
        required=required,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose only agencies listed here"},
    )


def people_field(label: str, help_text: str = "") -> forms.ModelMultipleChoiceField:
    """People to name (the view sets the queryset), as a list that takes several."""
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text or "To choose more than one, hold Ctrl (or Cmd on a Mac).",
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": "Choose only people from the list"},
    )
