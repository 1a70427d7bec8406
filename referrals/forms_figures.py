"""The council figures' period and filters (issue 16): a GET form, kept in the address so a view of
the figures can be bookmarked, whose choices are the council's own (its localities and levels)."""

from datetime import date
from typing import Any, cast

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fieldset, Layout, Size
from dateutil.relativedelta import relativedelta
from django import forms
from django.db.models import Subquery

from accounts.models import AgencyType, Locality, User
from core.forms import gds_helper
from referrals.selectors.council_figures import LONGEST_PERIOD_MONTHS, FiguresFilters, FiguresPeriod
from referrals.services.social_care_return import MOST_REFERRALS_IN_A_MONTH, social_care_return_months
from thresholds.models import Level, ThresholdModel

DEFAULT_MONTHS = 12


def _month_value(month: date) -> str:
    return month.strftime("%Y-%m")


class FiguresFilterForm(forms.Form):
    from_month = forms.ChoiceField(
        label="From the start of", error_messages={"invalid_choice": "Choose the first month from the list"}
    )
    to_month = forms.ChoiceField(
        label="To the end of", error_messages={"invalid_choice": "Choose the last month from the list"}
    )
    locality = forms.TypedChoiceField(
        label="Locality of the lead professional's agency",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a locality from the list"},
    )
    agency_type = forms.ChoiceField(
        label="Type of the agency that started the CAF or made the referral",
        choices=[("", "Any type of agency"), *AgencyType.choices],
        required=False,
        error_messages={"invalid_choice": "Choose a type of agency from the list"},
    )
    level = forms.TypedChoiceField(
        label="Level of need (any child of the CAF, now)",
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": "Choose a level of need from the list"},
    )

    def __init__(self, *args: Any, user: User, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        this_month = today.replace(day=1)
        months = [this_month - relativedelta(months=back) for back in range(LONGEST_PERIOD_MONTHS)]
        choices = [(_month_value(month), month.strftime("%B %Y")) for month in months]
        default = FiguresPeriod.last_months(today, DEFAULT_MONTHS)
        for name, initial in (("from_month", default.first), ("to_month", default.last)):
            cast(forms.ChoiceField, self.fields[name]).choices = choices
            self.fields[name].initial = _month_value(initial)
        council = user.council_id
        cast(forms.ChoiceField, self.fields["locality"]).choices = [
            ("", "Any locality"),
            *Locality.objects.filter(council_id=council).order_by("name").values_list("pk", "name"),
        ]
        current_model = ThresholdModel.objects.published().filter(council_id=council).values("pk")[:1]
        levels = Level.objects.filter(threshold_model=Subquery(current_model)).order_by("order")
        cast(forms.ChoiceField, self.fields["level"]).choices = [
            ("", "Any level"),
            *((level.order, f"{level.code}: {level.name}") for level in levels),
        ]
        self.helper = _helper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from_month"), data.get("to_month")
        if first and last and first > last:
            self.add_error("to_month", "The last month must be the same as or after the first month")
        return data

    def chosen(self) -> tuple[FiguresPeriod, FiguresFilters]:
        """The period and filters to show: the valid ones (a bad one is an error on the form, and the
        default stands in for it: the last 12 months, no filter)."""
        period = FiguresPeriod.last_months(self.today, DEFAULT_MONTHS)
        if not self.is_bound:
            return period, FiguresFilters()
        self.is_valid()
        data = self.cleaned_data
        if "from_month" in data and "to_month" in data and data["from_month"] <= data["to_month"]:
            period = FiguresPeriod(first=_month(data["from_month"]), last=_month(data["to_month"]))
        return period, FiguresFilters(
            locality_id=data.get("locality"), agency_type=data.get("agency_type") or "", level_order=data.get("level")
        )


def _month(value: str) -> date:
    year, month = value.split("-")
    return date(int(year), int(month), 1)


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(
        Fieldset(Field.select("from_month"), Field.select("to_month"), legend="Period", legend_size=Size.SMALL),
        Fieldset(
            Field.select("locality"),
            Field.select("agency_type"),
            Field.select("level"),
            legend="Filters",
            legend_size=Size.SMALL,
        ),
        Button("submit", "Show figures"),
    )
    return helper


class ComparisonPeriodForm(FiguresFilterForm):
    """The comparison across councils: the period only (its figures leave each council, so whole months)."""

    def __init__(self, *args: Any, user: User, today: date, **kwargs: Any) -> None:
        super().__init__(*args, user=user, today=today, **kwargs)
        for name in ("locality", "agency_type", "level"):
            del self.fields[name]
        helper = FormHelper()
        helper.form_tag = False
        helper.disable_csrf = True
        helper.layout = Layout(
            Fieldset(Field.select("from_month"), Field.select("to_month"), legend="Period", legend_size=Size.SMALL),
            Button("submit", "Show figures"),
        )
        self.helper = helper


class SocialCareReturnForm(forms.Form):
    """One month of the council's own social care return: the month and its total of referrals."""

    month = forms.ChoiceField(
        label="Month",
        error_messages={
            "required": "Choose the month the total is for",
            "invalid_choice": "Choose a month from the list: this month or one of the 59 before it",
        },
    )
    referrals = forms.IntegerField(
        label="Referrals to children's social care that month, from the council's social care return",
        help_text="All referrals, by every route: the service works out the share that came through it with a CAF.",
        min_value=0,
        max_value=MOST_REFERRALS_IN_A_MONTH,
        error_messages={
            "required": "Enter the total of referrals for the month",
            "invalid": "Enter the total as a whole number, like 285",
            "min_value": f"The total must be a whole number from 0 to {MOST_REFERRALS_IN_A_MONTH:,}",
            "max_value": f"The total must be a whole number from 0 to {MOST_REFERRALS_IN_A_MONTH:,}",
        },
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["month"]).choices = [
            ("", "Choose a month"),
            *((_month_value(month), month.strftime("%B %Y")) for month in social_care_return_months(today)),
        ]
        self.helper = gds_helper(
            Field.select("month"), Field.text("referrals", field_width=5), button="Save the month's total"
        )

    def chosen_month(self) -> date:
        return _month(self.cleaned_data["month"])
