"""Sign-in and password forms, rendered with the GOV.UK Design System (crispy-forms-gds)."""

from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Layout
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm


def gds_helper(*fields: Any, button: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False  # the page's template holds the <form>, its CSRF token and hidden fields
    helper.disable_csrf = True
    helper.layout = Layout(*fields, Button("submit", button))
    return helper


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct e-mail address and password. Both are case-sensitive except the e-mail.",
        "inactive": "This account is no longer active. Ask your council administrator.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail address"
        self.fields["username"].error_messages["required"] = "Enter your e-mail address"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["username"].widget.attrs.update({"autocomplete": "email", "spellcheck": "false"})
        self.helper = gds_helper(
            Field.text("username", field_width=20),
            Field.text("password", field_width=20),
            button="Sign in",
        )


class GovukPasswordResetForm(PasswordResetForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"
        self.fields["email"].error_messages["required"] = "Enter your e-mail address"
        self.fields["email"].error_messages["invalid"] = (
            "Enter an e-mail address in the right format, like name@example.org"
        )
        self.helper = gds_helper(Field.text("email", field_width=20), button="Send me a link")


class GovukSetPasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.helper = gds_helper(
            Field.text("new_password1", field_width=20),
            Field.text("new_password2", field_width=20),
            button="Save password",
        )


class GovukPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.helper = gds_helper(
            Field.text("old_password", field_width=20),
            Field.text("new_password1", field_width=20),
            Field.text("new_password2", field_width=20),
            button="Change password",
        )


class ConfirmForm(forms.Form):
    """A page whose only input is its button (remove, publish, reopen): a warning button for what
    cannot be undone by the same person."""

    def __init__(self, *args: Any, button: str, warning: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(button=button)
        if warning:
            self.helper.layout = Layout(Button.warning("submit", button))
