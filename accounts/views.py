from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.forms import GovukPasswordChangeForm, GovukPasswordResetForm, GovukSetPasswordForm, SignInForm
from accounts.selectors import home_sections_for


def home(request: HttpRequest) -> HttpResponse:
    sections = home_sections_for(request.user)
    return render(request, "accounts/home.html", {"sections": sections})


def _lockout_context() -> dict[str, int]:
    return {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    redirect_authenticated_user = True
    extra_context = _lockout_context()


class PasswordResetView(auth_views.PasswordResetView):
    form_class = GovukPasswordResetForm
    extra_email_context = {"service_name": settings.SERVICE_NAME}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = GovukSetPasswordForm


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = GovukPasswordChangeForm
