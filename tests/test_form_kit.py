"""The form kit's one GOV.UK date input (core.forms), the date rules it and the services share
(core.date_bounds), and reading ids from query strings (accounts.parsing): what a person is told, in
the Design System's words, for every way a date or an id can be wrong."""

import re
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.parsing import parse_id, parse_ids
from caf import services
from core.date_bounds import BIRTH, CONSENT, EXPECTED_BIRTH, NEXT_REVIEW, REVIEW_HELD
from core.errors import Refused
from core.forms import GovukDateField, RevealsMixin, Select, SelectMultiple
from referrals import services as rs


class BirthForm(forms.Form):
    born = GovukDateField(label="Date of birth", what="Date of birth", bounds=BIRTH)


def errors_for(day: str, month: str, year: str, form_class: type[forms.Form] = BirthForm) -> list[str]:
    name = next(iter(form_class.base_fields))
    form = form_class({f"{name}_0": day, f"{name}_1": month, f"{name}_2": year})
    return form.errors.get(name, [])


def parts(value: date) -> tuple[str, str, str]:
    return str(value.day), str(value.month), str(value.year)


def test_a_real_date_within_the_bounds_is_accepted():
    form = BirthForm({"born_0": " 4 ", "born_1": "05", "born_2": "2016"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["born"] == date(2016, 5, 4)


@pytest.mark.parametrize(
    ("day", "month", "year", "message"),
    [
        ("", "", "", "Enter date of birth"),
        ("4", "5", "", "Date of birth must include a year"),
        ("", "5", "", "Date of birth must include a day and year"),
        ("31", "2", "2016", "Date of birth must be a real date"),
        ("0", "0", "0000", "Date of birth must be a real date"),
        ("4", "Sept", "2016", "Date of birth must be a real date"),
        ("١٢", "١٢", "٢٠١٦", "Date of birth must be a real date"),
        ("\uff11\uff12", "1", "2016", "Date of birth must be a real date"),
        ("²", "1", "2016", "Date of birth must be a real date"),
        ("-1", "1", "2016", "Date of birth must be a real date"),
        ("4\x00", "5", "2016", "Date of birth must be a real date"),
        ("\ufffd", "5", "2016", "Date of birth must be a real date"),
        ("4", "5", "16", "Date of birth must include a year with 4 numbers"),
        ("1", "1", "99999999999", "Date of birth must include a year with 4 numbers"),
        ("1", "1", "1899", "Date of birth must be on or after 1 January 1900"),
        ("1", "1", "9999", "Date of birth must be today or in the past"),
    ],
)
def test_every_wrong_date_is_told_in_the_design_systems_words(day, month, year, message):
    assert errors_for(day, month, year) == [message]


def test_a_date_input_posted_as_something_else_is_not_a_date():
    form = BirthForm({"born": "2016-05-04"})  # not the three parts a browser sends
    assert form.errors["born"] == ["Enter date of birth"]
    with pytest.raises(ValidationError, match="Enter date of birth"):
        GovukDateField(what="Date of birth").clean("2016-05-04")


class LaterForm(forms.Form):
    expected = GovukDateField(what="Expected date of birth", bounds=EXPECTED_BIRTH, required=False)
    consented = GovukDateField(what="The date consent was given", bounds=CONSENT, required=False)
    held = GovukDateField(what="The date of the review", bounds=REVIEW_HELD, required=False)
    next_review = GovukDateField(what="The date of the next review", bounds=NEXT_REVIEW, required=False)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("expected", relativedelta(months=11), "Expected date of birth must be within the next 10 months"),
        ("expected", relativedelta(days=-1), "Expected date of birth must be today or in the future"),
        ("consented", date(1999, 12, 31), "The date consent was given must be on or after 1 January 2000"),
        ("consented", relativedelta(days=1), "The date consent was given must be today or in the past"),
        ("held", relativedelta(years=-2, days=-1), "The date of the review must be within the last 2 years"),
        ("next_review", relativedelta(years=2, days=1), "The date of the next review must be within the next 2 years"),
    ],
)
def test_each_rule_says_its_bounds(name, value, message):
    day = value if isinstance(value, date) else timezone.localdate() + value
    form = LaterForm({f"{name}_{index}": part for index, part in enumerate(parts(day))})
    assert form.errors[name] == [message]


def test_the_ends_of_a_range_are_inside_it():
    today = timezone.localdate()
    ends = {
        "expected": today + relativedelta(months=10),
        "consented": date(2000, 1, 1),
        "held": today - relativedelta(years=2),
        "next_review": today + relativedelta(years=2),
    }
    data = {f"{name}_{index}": part for name, day in ends.items() for index, part in enumerate(parts(day))}
    form = LaterForm(data)
    assert form.is_valid(), form.errors


def test_a_blank_optional_date_is_none_and_a_half_filled_one_is_an_error():
    assert LaterForm({}).is_valid()
    form = LaterForm({"consented_0": "3"})
    assert form.errors["consented"] == ["The date consent was given must include a month and year"]


# Ids --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("42", 42),
        (" 42 ", 42),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("99999999999999999999", None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("²", None),
        ("١٢", None),
        ("\uff11\uff12", None),
        ("4\x00", None),
        ("", None),
        ("abc", None),
        (None, None),
        (["4"], None),
    ],
)
def test_an_id_is_ascii_digits_that_fit_a_primary_key(value, expected):
    assert parse_id(value) == expected


def test_only_the_valid_ids_of_a_repeated_field_are_kept():
    assert parse_ids(["3", "²", "3", "x", "7"]) == {3, 7}


# The services check the same bounds --------------------------------------------------------------


@pytest.fixture
def led(active, caf_admin, school_practitioner):
    services.lead_professional_assign(user=caf_admin, caf=active, lead=school_practitioner)
    active.refresh_from_db()
    return active


def test_the_services_refuse_dates_out_of_bounds(led, school_practitioner, child, social_care):
    today = timezone.localdate()
    with pytest.raises(Refused, match="The next review date must be within the next 2 years"):
        services.review_date_set(
            user=school_practitioner, caf=led, review_on=today + relativedelta(years=3), reason="Far ahead"
        )
    with pytest.raises(Refused, match="The date it will be done by must be within the next 2 years"):
        services.plan_action_add(
            user=school_practitioner,
            caf=led,
            need="Sleep",
            action="Bedtime routine",
            agency=led.initiating_agency,
            owner=None,
            due_on=date(9999, 12, 31),
        )
    with pytest.raises(Refused, match="The review date must be within the last 2 years"):
        services.review_record(
            user=school_practitioner, caf=led, held_on=today - relativedelta(years=3), decision="continue"
        )
    referral = rs.referral_start(user=school_practitioner, children=[child])
    with pytest.raises(Refused, match="The date consent was given must be on or after 1 January 2000"):
        rs.referral_send(
            user=school_practitioner,
            referral=referral,
            concern="Hungry",
            consent=rs.CONSENT_GIVEN,
            consent_given_by="Kelly Smith",
            consent_relationship="mother",
            consent_given_on=date(1, 1, 1),
        )
    immediate = rs.referral_start(user=school_practitioner, children=[child], immediate_risk=True)
    with pytest.raises(Refused, match="within the last day"):
        rs.front_door_call_record(
            user=school_practitioner, referral=immediate, called_at=timezone.now() - timedelta(days=3), spoke_to="Jo"
        )


# Conditional reveals (issue 14) --------------------------------------------------------------------


class ContactForm(RevealsMixin, forms.Form):
    how = forms.ChoiceField(choices=[("email", "Email"), ("phone", "Phone"), ("post", "Post")], required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False)
    when = GovukDateField(label="When", what="the date", required=False)
    reveals = {"how": {"email": ("email",), "phone": ("phone", "when")}}
    reveal_required = {"email": "Enter an email address", "phone": "Enter a phone number"}


def test_the_fields_of_an_option_not_chosen_are_ignored_whatever_they_hold():
    form = ContactForm({"how": "email", "email": "a@example.com", "phone": "0161", "when_0": "99", "when_2": "x"})

    assert form.is_valid(), form.errors
    assert (form.cleaned_data["email"], form.cleaned_data["phone"], form.cleaned_data["when"]) == (
        "a@example.com",
        "",
        None,
    )


def test_the_chosen_options_fields_are_required_with_their_own_message():
    form = ContactForm({"how": "phone", "email": "not an address"})

    assert not form.is_valid()
    assert form.errors == {"phone": ["Enter a phone number"]}


def test_an_option_without_fields_ignores_them_all():
    form = ContactForm({"how": "post", "email": "not an address", "phone": "0161"})

    assert form.is_valid()
    assert (form.cleaned_data["email"], form.cleaned_data["phone"]) == ("", "")


def test_without_javascript_govuk_frontend_hides_no_conditional_block():
    """GOV.UK Frontend's CSS hides a closed block only once its script has run (the class the page's
    script puts on <body>): without JavaScript every option's fields show."""
    css = (settings.BASE_DIR / "static" / "govuk" / "govuk-frontend.min.css").read_text()

    rules = re.findall(r"[^{}]*\.govuk-radios__conditional--hidden\{[^}]*\}", css)
    assert ".govuk-frontend-supported .govuk-radios__conditional--hidden{display:none}" in rules
    assert all(".govuk-frontend-supported" in rule for rule in rules)


# Long lists of options: the same HTML as Django's templates, written in Python ---------------------

CHOICES = [
    ("", "Any agency"),
    (1, 'St Mary\'s "Primary" <school>'),
    ("Health", [(2, "Health visiting & school nursing"), (3, "GP <script>alert(1)</script>")]),
    (4, "Police"),
]


@pytest.mark.parametrize(
    ("ours", "djangos", "value"),
    [
        (Select, forms.Select, None),
        (Select, forms.Select, "3"),
        (SelectMultiple, forms.SelectMultiple, ["1", "4"]),
    ],
)
def test_a_long_list_of_options_is_the_html_djangos_templates_write(ours, djangos, value):
    """The CAF list's filters use core.forms.Select: a person sees the same list, with the same option
    chosen and every name escaped, as Django's own widget shows them."""
    from django.test.html import parse_html

    attrs = {"id": "id_agency", "class": "govuk-select", "aria-describedby": "agency-hint"}
    mine = ours(attrs=attrs, choices=CHOICES).render("agency", value)
    theirs = djangos(attrs=attrs, choices=CHOICES).render("agency", value)
    assert parse_html(mine) == parse_html(theirs)
    assert "<script>" not in mine
    assert "St Mary&#x27;s &quot;Primary&quot; &lt;school&gt;" in mine
    chosen = re.findall(r'<option value="(\w*)" selected>', mine)
    assert chosen == ([""] if value is None else [value] if isinstance(value, str) else value)
