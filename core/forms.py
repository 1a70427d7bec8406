"""The project's form kit: the GOV.UK Design System pieces every app's forms and views use.

- GovukDateField, the one date input (below);
- agencies_field and people_field, the pickers of the consent forms (CAF, referral, step-down);
- child_label, children_names and person_with_agency, how children and people are named in lists;
- gds_helper, the crispy-forms-gds layout with the page's own <form>;
- Select and SelectMultiple, lists of options written in Python rather than a template per option;
- posted_or_none, a view's "the POST data, or None for a GET";
- refusal_show, a service's refusal (core.errors.Refused) put on the form's error summary;
- RevealingRadios and RevealsMixin, GOV.UK's conditional reveal: the fields of a radio's option
  shown under it (below).

GovukDateField is the one date input (day, month, year). crispy-forms-gds' DateInputField passes
each part through `^[0-9]+$` and then `date(int(year), ...)`, so "99999999999" as a year overflows
(a 500) and an impossible date shows Python's own words ("day is out of range for month"). This one
accepts ASCII digits only, a year of four, and says what is wrong in the Design System's words,
naming the date: "Date of birth must include a year", "Date of birth must be a real date",
"Date of birth must be today or in the past". Its bounds are the rules in core.date_bounds.
"""

import html
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol

from crispy_forms.utils import TEMPLATE_PACK, render_field
from crispy_forms_gds.fields import DateInputField
from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.http import HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from core.date_bounds import Bound, out_of_bounds

PARTS = ("day", "month", "year")
DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")
DIGITS = re.compile(r"[0-9]+")


class GovukDateField(DateInputField):
    """A GOV.UK date input whose messages name the date (`what`, as it starts a sentence, e.g.
    "Date of birth" or "The date consent was given"), within `bounds`: (earliest, latest), a rule
    of core.date_bounds such as BIRTH or CONSENT (None at either end for no bound). Blank when not
    required: all three parts empty; half filled in is an error. `earliest_message` and
    `latest_message` replace the bounds' own words."""

    def __init__(
        self,
        *,
        what: str,
        bounds: tuple[Bound | None, Bound | None] = (None, None),
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

    def clean(self, value: Any) -> date | None:
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

    def compress(self, data_list: Any) -> date | None:
        # clean() above does the work; this answers anyone who calls the parent's way.
        return self.clean(list(data_list)) if data_list else None


# Long lists of options --------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Escaped for HTML as Django's templates escape it (text already marked safe stays as it is)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _option_html(option: dict[str, Any]) -> str:
    attrs = option["attrs"]
    extra = " selected" if attrs == {"selected": True} else flatatt(attrs)
    return f'<option value="{_text(option["value"])}"{extra}>{_text(option["label"])}</option>'


def _options_html(optgroups: Iterable[tuple[Any, list[dict[str, Any]], int | None]]) -> str:
    """A select's <option>s (and <optgroup>s), each value and label escaped."""
    return "".join(
        f'<optgroup label="{_text(name)}">{"".join(map(_option_html, group))}</optgroup>'
        if name
        else "".join(map(_option_html, group))
        for name, group, _index in optgroups
    )


def _select_html(widget: dict[str, Any]) -> SafeString:
    options = _options_html(widget["optgroups"])
    return mark_safe(  # noqa: S308 - the name, attributes and options are escaped
        f'<select name="{_text(widget["name"])}"{flatatt(widget["attrs"])}>{options}</select>'
    )


class Select(forms.Select):
    """A select written in Python: the HTML of Django's templates, which include a template for each
    option. The CAF list's agency filter has about 600 options in a county, and rendering them through
    templates took about 25 ms of every page (issue 13)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        return _select_html(self.get_context(name, value, attrs)["widget"])


class SelectMultiple(forms.SelectMultiple):
    """SelectMultiple with its options written in Python, as Select."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        return _select_html(self.get_context(name, value, attrs)["widget"])


# Choosing agencies and people -----------------------------------------------------------------------


def agencies_field(label: str, help_text: str = "", *, required: bool = False) -> forms.ModelMultipleChoiceField:
    """Agencies as GOV.UK checkboxes (the view sets the queryset): who a consent covers, who the
    family excludes, in the CAF, referral and step-down forms alike."""
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text,
        queryset=None,  # the view sets the agencies that may be chosen
        required=required,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choose only agencies listed here"},
    )


def people_field(label: str, help_text: str = "") -> forms.ModelMultipleChoiceField:
    """People to name (the view sets the queryset), as a list that takes several."""
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text or "To choose more than one, hold Ctrl (or Cmd on a Mac).",
        queryset=None,  # the view sets the people who may be chosen
        required=False,
        widget=SelectMultiple(attrs={"size": 8}),
        error_messages={"invalid_choice": "Choose only people from the list"},
    )


# Choosing children -----------------------------------------------------------------------------------


def children_field(label: str, help_text: str, *, required: str, invalid: str) -> forms.ModelMultipleChoiceField:
    """Which of the family's children a consent, a referral or a step-down is for, as GOV.UK
    checkboxes; `children_choice` sets the choices, or takes the field away when there is one child."""
    return forms.ModelMultipleChoiceField(
        label=label,
        help_text=help_text,
        queryset=None,  # children_choice sets the family's children
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": required, "invalid_choice": invalid},
    )


def children_choice(form: forms.Form, children: Any) -> list[Any]:
    """Offer the family's children (a queryset) in the form's "children" field, labelled with their
    dates of birth, and return its layout; with one child there is nothing to choose, and the field
    goes."""
    if len(children) > 1:
        field = form.fields["children"]
        field.queryset = children  # type: ignore[attr-defined]
        field.label_from_instance = child_label  # type: ignore[attr-defined]
        return [Field.checkboxes("children", legend_size=Size.MEDIUM, legend_tag="h2", small=True)]
    del form.fields["children"]
    return []


# Naming children -------------------------------------------------------------------------------------


class _Named(Protocol):
    first_name: str
    last_name: str


class _Born(_Named, Protocol):
    date_of_birth: date | None


def child_label(child: _Born) -> str:
    """A child as a choice in a list: name and date of birth, or "not yet born"."""
    born = f"born {child.date_of_birth:%-d %B %Y}" if child.date_of_birth else "not yet born"
    return f"{child.first_name} {child.last_name}, {born}"


class _Person(Protocol):
    full_name: str
    agency: Any
    agency_id: int | None


def person_with_agency(user: _Person) -> str:
    """A person as a choice in a list: "Kelly Smith (Health Visiting North)"."""
    return f"{user.full_name} ({user.agency.name})" if user.agency_id else user.full_name


def children_names(children: Iterable[_Named]) -> str:
    """A family's children in a sentence or a heading: "Amy Jones, Ben Jones"."""
    return ", ".join(f"{child.first_name} {child.last_name}" for child in children)


# Pages and refusals ----------------------------------------------------------------------------------


def gds_helper(*fields: Any, button: str) -> FormHelper:
    """The GOV.UK layout of a form whose <form> tag, CSRF token and hidden fields the page holds."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", button))
    return helper


def posted_or_none(request: HttpRequest) -> QueryDict | None:
    """What a form is bound to: the POST data, or None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None


def refusal_show(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form, so it is in the GOV.UK error summary: on the field it
    names when the form has that field, else at the top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Conditional reveals -------------------------------------------------------------------------------
#
# GOV.UK's radios with conditional reveal (issue 14): the fields that belong to one option sit in a
# `govuk-radios__conditional` block under it, and the option's input names the block in
# `data-aria-controls` (govuk-frontend's Radios module turns it into aria-controls and shows only the
# chosen option's block). Without JavaScript the CSS hides nothing (it hides only under
# `.govuk-frontend-supported`): every block shows, and the form's clean ignores the fields of the
# options not chosen (RevealsMixin). The chosen option's block is drawn open, so an error in it shows
# when the page comes back. crispy-forms-gds' own ConditionalRadios writes `aria-controls` (which
# govuk-frontend 5 ignores), numbers its inputs from 0 and finds options by label: hence this one.


class RevealingRadios:
    """A layout object: the radios of `field`, with the layout objects of `reveals[value]` revealed
    under the option of that value."""

    template = "gds/layout/revealing_radios.html"

    def __init__(
        self, field: str, reveals: dict[str, list[Any]], *, legend_size: str = "", legend_tag: str = ""
    ) -> None:
        self.field = field
        self.reveals = reveals
        self.legend_size = Size.for_legend(legend_size) if legend_size else ""
        self.legend_tag = legend_tag
        # crispy-forms lists the fields a layout holds: the radio and every revealed field.
        self.fields: list[Any] = [field, *(each for layout in reveals.values() for each in layout)]

    def render(self, form: forms.Form, context: Any, template_pack: str = TEMPLATE_PACK, **kwargs: Any) -> str:
        bound = form[self.field]
        chosen = str(bound.value() or "")
        items = []
        choices: Iterable[Any] = getattr(bound.field, "choices", [])
        for position, choice in enumerate(choices, start=1):
            value = str(choice[0])
            content = "".join(
                render_field(each, form, context, template_pack=template_pack, **kwargs)
                for each in self.reveals.get(value, [])
            )
            items.append(
                {
                    "value": value,
                    "label": choice[1],
                    "hint": getattr(choice, "hint", ""),
                    "position": position,
                    "checked": value == chosen,
                    "content": mark_safe(content),  # noqa: S308 (crispy-forms' own rendering of the fields)
                    "target": f"conditional-{bound.auto_id}_{position}",
                }
            )
        return render_to_string(
            self.template,
            {
                "field": bound,
                "items": items,
                "legend_size": self.legend_size,
                "legend_tag": self.legend_tag,
                "form_show_errors": True,
            },
        )


class RevealsMixin(forms.Form):
    """A form whose radios reveal fields: `reveals` is {radio: {option: (field, ...)}}, `reveal_required`
    {field: message} for a revealed field its option needs. Clean ignores the fields of the options not
    chosen (their errors dropped, their values emptied: nothing of them is saved) and requires the
    chosen option's fields, each with its own message."""

    reveals: dict[str, dict[str, tuple[str, ...]]] = {}
    reveal_required: dict[str, str] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for radio, options in self.reveals.items():
            chosen = str(cleaned.get(radio) or "")
            mine = set(options.get(chosen, ()))
            for name in {name for names in options.values() for name in names} - mine:
                self.errors.pop(name, None)
                cleaned[name] = _empty(self.fields[name])
            for name in options.get(chosen, ()):
                if name in self.reveal_required and not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, self.reveal_required[name])
        return cleaned


def _empty(field: forms.Field) -> Any:
    """A field's value when nothing is given ("" for text, None for a choice or date, an empty list
    or queryset for several): a revealed field is never required, so this is always clean."""
    try:
        return field.clean(None)
    except ValidationError:
        return None
