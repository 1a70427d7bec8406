from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_not_required
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    # One sign-in page for everyone, so the lock-out and the GOV.UK pages apply to administrators too.
    return redirect_to_login(request.GET.get("next", "/admin/"))


urlpatterns = [
    path("admin/login/", admin_sign_in),
    path("admin/", admin.site.urls),
    path("thresholds/", include("thresholds.urls")),
    path("", include("caf.urls")),
    path("", include("referrals.views")),
    path("", include("home.urls")),
    path("", include("accounts.urls")),
]
