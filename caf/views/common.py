"""Small helpers shared by the CAF screens."""

from django import forms
from django.core.exceptions import ValidationError


def form_errors_from(form: forms.Form, error: ValidationError) -> None:
    """Show a service's refusal on the form, so it appears in the GOV.UK error summary."""
    for message in error.messages:
        form.add_error(None, message)
