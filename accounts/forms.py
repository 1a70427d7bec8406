"""Sign-in and password forms, rendered with the GOV.UK Design System (crispy-forms-gds)."""

from collections.abc import Iterator
from typing import Any

from crispy_forms_gds.layout import Button, Field, Layout, Size
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.html import escape

from accounts.email_address import NormalisedEmailField, email_normalise
from accounts.models import IdentityProvider, User
from accounts.two_factor import RECOVERY_CODE, TOTP_CODE, code_normalise
from core.forms import gds_helper


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

    def clean_username(self) -> str:
        # The spelling that is stored, looked up and counted by the lock-out (accounts.email_address).
        return email_normalise(self.cleaned_data.get("username") or "")


class GovukPasswordResetForm(PasswordResetForm):
    """Django's form, with the one spelling of an address. Django's send_mail already catches a
    failing mail server (and logs it), so the page still says only "if the address is known, we sent
    a link": a failure neither reveals an account nor becomes an error page."""

    email = NormalisedEmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail address"
        self.fields["email"].error_messages["required"] = "Enter your e-mail address"
        self.fields["email"].error_messages["invalid"] = (
            "Enter an e-mail address in the right format, like name@example.org"
        )
        self.helper = gds_helper(Field.text("email", field_width=20), button="Send me a link")

    def get_users(self, email: str) -> Iterator[User]:
        # One exact match on the stored spelling. Someone invited who never chose a password (their
        # link expired) may ask too: the link only lets the mailbox's owner choose one.
        yield from User.objects.filter(email=email_normalise(email), is_active=True)


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


CODE_WRONG = "The code is not right: enter the code your authenticator app shows now, or an unused recovery code"
CODE_WRONG_SET_UP = "The code is not right: enter the 6-digit code your authenticator app shows now"


class TwoFactorCodeForm(forms.Form):
    """A code from the person's authenticator app, or (unless `recovery` is False) one of their
    recovery codes. Only the shape is checked here; accounts.two_factor checks the code itself."""

    code = forms.CharField(label="Security code", max_length=40, strip=True)

    def __init__(self, *args: Any, button: str, recovery: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recovery = recovery
        field = self.fields["code"]
        field.help_text = (
            "The 6-digit code your authenticator app shows now. Lost your phone? Enter one of your recovery codes."
            if recovery
            else "The 6-digit code your authenticator app shows now."
        )
        field.error_messages["required"] = (
            "Enter the code from your authenticator app, or a recovery code"
            if recovery
            else "Enter the 6-digit code from your authenticator app"
        )
        field.widget.attrs.update({"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "none"})
        self.helper = gds_helper(Field.text("code", field_width=10), button=button)

    def clean_code(self) -> str:
        code = code_normalise(self.cleaned_data["code"])
        if TOTP_CODE.fullmatch(code) or (self.recovery and RECOVERY_CODE.fullmatch(code)):
            return code
        if self.recovery:
            raise forms.ValidationError(
                "Enter the 6-digit code from your authenticator app, or a recovery code of 8 letters and numbers"
            )
        raise forms.ValidationError("Enter the 6-digit code from your authenticator app, using numbers only")

    def code_wrong(self) -> None:
        self.add_error("code", CODE_WRONG if self.recovery else CODE_WRONG_SET_UP)


class SsoEmailForm(forms.Form):
    """Single sign-on's first question: the work address, whose domain picks the identity provider."""

    email = NormalisedEmailField(
        label="Work e-mail address",
        max_length=254,
        help_text="We use it to find your organisation's sign-in.",
        error_messages={
            "required": "Enter your work e-mail address",
            "invalid": "Enter an e-mail address in the right format, like name@example.org",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.text("email", field_width=20), button="Continue")


class SsoProviderChoiceForm(forms.Form):
    """More than one provider takes the address's domain (councils can each configure a trust's own):
    the person chooses theirs."""

    email = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, providers: list[IdentityProvider], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The names are administrators' text: crispy-forms-gds shows labels unescaped (escape first).
        self.fields["provider"] = forms.TypedChoiceField(
            label="Which organisation's account do you sign in with?",
            choices=[(each.pk, escape(f"{each.name} ({each.council.name})")) for each in providers],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={
                "required": "Choose the organisation you sign in with",
                "invalid_choice": "Choose the organisation you sign in with",
            },
        )
        self.helper = gds_helper(
            "email", Field.radios("provider", legend_size=Size.LARGE, legend_tag="h1"), button="Continue"
        )
