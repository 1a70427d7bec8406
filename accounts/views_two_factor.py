"""Two-factor sign-in pages: the code after the password, setting up an authenticator app (at sign-in
for a role that requires it, or from the person's own account), removing it, and new recovery codes.
The rules are in accounts/two_factor.py; these views only parse the code and show the answer."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts import two_factor
from accounts.forms import TwoFactorCodeForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from core.forms import posted_or_none

SIGN_IN_AGAIN = "Your sign-in was not finished in time. Sign in again."


def _set_up_page(request: HttpRequest, user: User, form: TwoFactorCodeForm, *, at_sign_in: bool) -> HttpResponse:
    device = two_factor.enrolment_device(user)
    context = {
        "form": form,
        "qr_code": two_factor.qr_code_svg(device),
        "secret": two_factor.secret_text(device),
        "at_sign_in": at_sign_in,
        "required": two_factor.required_for(user),
    }
    return render(request, "accounts/two_factor_set_up.html", context)


def _codes_page(request: HttpRequest, codes: list[str], *, continue_url: str, first: bool) -> HttpResponse:
    context = {"codes": [two_factor.code_display(code) for code in codes], "continue_url": continue_url, "first": first}
    return render(request, "accounts/two_factor_recovery_codes.html", context)


# After the password ------------------------------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the person's authenticator app, or a recovery code."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    user = two_factor.pending_user(request)
    if user is None:
        messages.info(request, SIGN_IN_AGAIN)
        return redirect("login")
    if not two_factor.has_second_factor(user):
        return redirect("two_factor_sign_in_set_up")
    form = TwoFactorCodeForm(posted_or_none(request), button="Continue")
    if form.is_valid():
        if two_factor.code_check(request, user, form.cleaned_data["code"]):
            return redirect(two_factor.sign_in_complete(request, user))
        if getattr(request, "axes_locked_out", False):
            two_factor.pending_end(request)  # django-axes answers with its lock-out page
        form.code_wrong()
    return render(request, "accounts/two_factor_code.html", {"form": form})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_set_up(request: HttpRequest) -> HttpResponse:
    """A person whose role requires a second factor and who has none sets it up before they are signed in."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    user = two_factor.pending_user(request)
    if user is None:
        messages.info(request, SIGN_IN_AGAIN)
        return redirect("login")
    if two_factor.has_second_factor(user):
        return redirect("two_factor_sign_in_code")  # never a second secret beside a working one
    form = TwoFactorCodeForm(posted_or_none(request), button="Continue", recovery=False)
    if form.is_valid():
        codes = two_factor.enrolment_confirm(request, user=user, code=form.cleaned_data["code"])
        if codes is not None:
            next_url = two_factor.sign_in_complete(request, user)
            return _codes_page(request, codes, continue_url=next_url, first=True)
        form.code_wrong()
    return _set_up_page(request, user, form, at_sign_in=True)


# The person's own account ------------------------------------------------------------------------


@require_GET
def two_factor_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Whether the person has two-factor sign-in, with what they may do about it."""
    return render(request, "accounts/two_factor.html", {"status": two_factor.status_of(request.user)})


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_set_up(request: AuthenticatedHttpRequest) -> HttpResponse:
    if two_factor.has_second_factor(request.user):
        return redirect("two_factor")
    form = TwoFactorCodeForm(posted_or_none(request), button="Turn on two-factor sign-in", recovery=False)
    if form.is_valid():
        codes = two_factor.enrolment_confirm(request, user=request.user, code=form.cleaned_data["code"])
        if codes is not None:
            return _codes_page(request, codes, continue_url=reverse("two_factor"), first=True)
        form.code_wrong()
    return _set_up_page(request, request.user, form, at_sign_in=False)


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_remove(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, with a current code; not for a role that requires it."""
    status = two_factor.status_of(request.user)
    if status.device is None:
        return redirect("two_factor")
    if request.method == "POST" and status.required:
        raise PermissionDenied("Your role needs two-factor sign-in: ask your council administrator to reset it.")
    form = TwoFactorCodeForm(posted_or_none(request), button="Turn off two-factor sign-in")
    if form.is_valid():
        if two_factor.code_check(request, request.user, form.cleaned_data["code"]):
            two_factor.second_factor_remove(request, user=request.user)
            messages.success(request, "Two-factor sign-in is off. You sign in with your password only.")
            return redirect("two_factor")
        form.code_wrong()
    return render(request, "accounts/two_factor_remove.html", {"form": form, "status": status})


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """New recovery codes, with a current code; the old ones stop working."""
    if not two_factor.has_second_factor(request.user):
        return redirect("two_factor")
    form = TwoFactorCodeForm(posted_or_none(request), button="Get new recovery codes")
    if form.is_valid():
        if two_factor.code_check(request, request.user, form.cleaned_data["code"]):
            codes = two_factor.recovery_codes_new(user=request.user)
            return _codes_page(request, codes, continue_url=reverse("two_factor"), first=False)
        form.code_wrong()
    return render(request, "accounts/two_factor_new_codes.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_step_up(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second factor for a person already signed in without it (a single sign-on whose provider's
    proof does not count, say), for what needs it (break-glass): their authenticator code, then back
    to the page they came from. Without an authenticator app, they set one up first."""
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        next_url = settings.LOGIN_REDIRECT_URL
    if two_factor.verified(request):
        return redirect(next_url)
    if not two_factor.has_second_factor(request.user):
        messages.info(request, "Set up an authenticator app first: then you can give its code.")
        return redirect("two_factor_set_up")
    form = TwoFactorCodeForm(posted_or_none(request), button="Continue")
    if form.is_valid():
        if two_factor.step_up(request, user=request.user, code=form.cleaned_data["code"]):
            return redirect(next_url)
        form.code_wrong()
    return render(request, "accounts/two_factor_step_up.html", {"form": form, "next_url": next_url})
