from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import drafts, session_expiry, sign_in_sessions, two_factor
from accounts.forms import (
    ConfirmForm,
    GovukPasswordChangeForm,
    GovukPasswordResetForm,
    GovukSetPasswordForm,
    SignInForm,
)
from accounts.http import AuthenticatedHttpRequest
from accounts.services import email_change_from_token, user_email_change_confirm


def _lockout_context() -> dict[str, int]:
    return {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True
    extra_context = _lockout_context()

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if two_factor.asked_at_sign_in(user):
            # Not signed in yet: only who and when are kept until the second factor is given.
            two_factor.pending_start(self.request, user=user, next_url=self.get_success_url())
            if two_factor.has_second_factor(user):
                return redirect("two_factor_sign_in_code")
            return redirect("two_factor_sign_in_set_up")
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = GovukPasswordResetForm
    extra_email_context = {"service_name": settings.SERVICE_NAME}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = GovukSetPasswordForm

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        sign_in_sessions.sessions_end_all(user=form.user)  # whoever had the old password is out
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = GovukPasswordChangeForm

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        old_key = self.request.session.session_key
        response = super().form_valid(form)  # keeps this browser signed in, under a new session key
        current_key = self.request.session.session_key
        sign_in_sessions.session_key_changed(old_key=old_key, new_key=current_key)
        ended = sign_in_sessions.sessions_end_others(user=form.user, current_key=current_key)
        if ended:
            messages.success(self.request, f"You were signed out everywhere else ({_sessions(ended)}).")
        return response


def _sessions(count: int) -> str:
    return f"{count} other session" + ("" if count == 1 else "s")


@require_GET
def sign_in_session_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Where the person is signed in, with a way to end each session but this one."""
    rows = sign_in_sessions.sessions_of(request.user, current_key=request.session.session_key)
    return render(
        request, "accounts/sessions.html", {"rows": rows, "others": sum(not row.this_browser for row in rows)}
    )


@require_POST
def sign_in_session_end(request: AuthenticatedHttpRequest) -> HttpResponse:
    """End one of the person's other sessions (`session`: its id), or all of them (`others`)."""
    which = request.POST.get("session", "")
    current_key = request.session.session_key
    if which == "others":
        ended = sign_in_sessions.sessions_end_others(user=request.user, current_key=current_key)
    elif which.isdigit():
        ended = sign_in_sessions.session_end(user=request.user, session_id=int(which), current_key=current_key)
    else:
        raise BadRequest("Choose a session to end from the list.")
    messages.success(request, f"Signed out of {_sessions(ended)}." if ended else "There were no other sessions.")
    return redirect("sign_in_sessions")


@require_http_methods(["GET", "POST"])
def email_change_confirm(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """The link sent to a new e-mail address. Only the person it is about, signed in as themselves
    (so whoever controls the new mailbox cannot take the account over), confirms it, with a button:
    a mail scanner that opens links changes nothing."""
    try:
        change = email_change_from_token(token)
    except ValidationError as error:
        return render(request, "registration/email_change_confirm.html", {"problem": error.messages[0]})
    if change.user_id != request.user.pk:
        raise PermissionDenied("This link is for someone else's account.")
    form = ConfirmForm(request.POST if request.method == "POST" else None, button="Use my new e-mail address")
    if request.method == "POST" and form.is_valid():
        try:
            user_email_change_confirm(user=request.user, token=token)
        except ValidationError as error:
            return render(request, "registration/email_change_confirm.html", {"problem": error.messages[0]})
        messages.success(request, f"Your e-mail address is now {change.new_email}. Use it to sign in.")
        return redirect("home")
    return render(request, "registration/email_change_confirm.html", {"change": change, "form": form})


@require_POST
def draft_discard(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Drop what the person typed into a form and did not save, and show the form as saved. Only
    their own draft, and only an address of this service."""
    path = request.POST.get("path", "")
    if not path.startswith("/") or not url_has_allowed_host_and_scheme(path, allowed_hosts=None):
        raise BadRequest("Discard the changes from the form's own page.")
    drafts.draft_discard(request.user, path)
    messages.success(request, "Your unsaved changes are discarded. The form shows what is saved.")
    return redirect(path)


# A long form's background requests: they never move the session's expiry (accounts.session_expiry).


@require_POST
def draft_autosave(request: AuthenticatedHttpRequest) -> JsonResponse:
    """Keep what the person is typing (static/js/drafts.js). Not in the access log (Settled
    question 17): it reads nothing."""
    session_expiry.untouched(request)
    saved_at = drafts.autosave(request.user, request.POST)
    if saved_at is None:
        return JsonResponse({"saved": False}, status=400)
    return JsonResponse({"saved": True, "saved_at": drafts.clock(saved_at)})


@require_http_methods(["GET"])
def session_time_left(request: AuthenticatedHttpRequest) -> JsonResponse:
    """How long until the session ends if the person does nothing more (the timeout warning)."""
    session_expiry.untouched(request)
    return JsonResponse({"seconds": session_expiry.seconds_left(request)}, headers={"Cache-Control": "no-store"})


@require_POST
def session_stay(request: AuthenticatedHttpRequest) -> JsonResponse:
    """The warning's "Stay signed in": a request like any other, so the session goes on."""
    request.session.modified = True
    return JsonResponse({"seconds": settings.SESSION_COOKIE_AGE}, headers={"Cache-Control": "no-store"})
