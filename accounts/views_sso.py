"""Single sign-on pages (accounts.sso holds the rules): the work e-mail address, the choice of
provider when more than one takes its domain, and the provider's answer. Public pages: the person
is not signed in yet. Every failure is a GOV.UK page saying what to do, never an error page."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from accounts import sso
from accounts.forms import SsoEmailForm, SsoProviderChoiceForm

NO_PROVIDER = (
    "Your organisation does not sign in to this service with its own account. "
    "Sign in with your e-mail address and password instead."
)


def _next_url(request: HttpRequest, value: str) -> str:
    safe = url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    return value if value and safe else ""


def _problem(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "registration/sso_problem.html", {"message": message}, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def sso_start(request: HttpRequest) -> HttpResponse:
    """ "Sign in with your organisation's account": the address picks the provider (or the person
    chooses among several), then off to the provider."""
    next_url = _next_url(request, request.POST.get("next") or request.GET.get("next") or "")
    context = {"next": next_url}
    if request.method != "POST":
        return render(request, "registration/sso_start.html", {**context, "form": SsoEmailForm()})
    form = SsoEmailForm(request.POST)
    if not form.is_valid():
        return render(request, "registration/sso_start.html", {**context, "form": form})
    email = form.cleaned_data["email"]
    providers = sso.providers_for_email(email)
    if not providers:
        form.add_error("email", NO_PROVIDER)
        return render(request, "registration/sso_start.html", {**context, "form": form})
    provider = providers[0]
    if len(providers) > 1:
        choice = SsoProviderChoiceForm(
            request.POST if "provider" in request.POST else None, providers=providers, initial={"email": email}
        )
        if not choice.is_valid():
            return render(request, "registration/sso_choose.html", {**context, "form": choice})
        provider = next(each for each in providers if each.pk == choice.cleaned_data["provider"])
    try:
        url = sso.sign_in_start(
            request,
            provider=provider,
            email=email,
            redirect_uri=request.build_absolute_uri(reverse("sso_callback")),
            next_url=next_url,
        )
    except sso.SsoFailed as failure:
        return _problem(request, str(failure), status=502)
    return HttpResponseRedirect(url)


@login_not_required
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the person back here (the redirect URI a council registers)."""
    try:
        signed_in = sso.sign_in_finish(request)
    except sso.SsoRefused as refusal:
        return render(request, "registration/sso_refused.html", {"message": str(refusal)}, status=403)
    except sso.SsoFailed as failure:
        return _problem(request, str(failure), status=400)
    return redirect(_next_url(request, signed_in.next_url) or "home")
