"""The error summary's links (templates/gds/layout/error_summary.html): each goes to an element the
page has. crispy-forms-gds links a group of radios or checkboxes to `id_<name>`, which no element
carries (its inputs are `id_<name>_1`, `_2`...): GOV.UK's guidance is the group's first input."""

from crispy_forms_gds.templatetags.crispy_forms_gds import field_errors
from django import forms, template
from django.forms import BoundField

register = template.Library()

_GROUPS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


@register.filter
def first_input_id(bound_field: object) -> str:
    """The id of the field's first input: the field's own, or its group's first (`_1`); nothing for
    a form without a visible field (a confirm-only form: the template gives "")."""
    if not isinstance(bound_field, BoundField):
        return ""
    if isinstance(bound_field.field.widget, _GROUPS):
        return f"{bound_field.auto_id}_1"
    return str(bound_field.auto_id)


@register.filter
def error_links(bound_field: BoundField) -> list[tuple[str, list[str]]]:
    """crispy-forms-gds's errors by element id, each id one the page has."""
    own = str(bound_field.auto_id)
    return [(first_input_id(bound_field) if key == own else key, errors) for key, errors in field_errors(bound_field)]
