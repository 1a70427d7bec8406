"""What every council administrators' screen shares: who may see it, and how a refusal shows.

Every page is for the council administrators of the version's own council:
`model_for_administrator_or_404` fetches through `models_for_administration` (another council's
version is 404) after checking the role (anyone else gets 403). Every write goes through
thresholds.services, which refuses any change to a published or retired version; the views show its
refusal, never a 500. The screens themselves are in `manage_versions` (the versions, a version's
page, comparing and publishing) and `manage_draft` (editing a draft's levels, indicators, rules and
policy cases).
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Role
from core.forms import posted_or_none, refusal_show
from thresholds.models import ThresholdModel
from thresholds.selectors import models_for_administration

GET_AND_POST = require_http_methods(["GET", "POST"])


def council_administrator_check(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_role(Role.COUNCIL_ADMINISTRATOR) or request.user.council_id is None:
        raise PermissionDenied("Only council administrators manage threshold models.")


def model_for_administrator_or_404(request: AuthenticatedHttpRequest, model_id: int) -> ThresholdModel:
    """The version, if the user administers its council: 403 for other roles, 404 for another council's."""
    council_administrator_check(request)
    return get_object_or_404(models_for_administration(request.user), pk=model_id)


def model_url(threshold_model: ThresholdModel) -> str:
    return reverse("thresholds:manage_model", args=[threshold_model.pk])


def refused_page(
    request: AuthenticatedHttpRequest, threshold_model: ThresholdModel, reasons: list[str] | None = None
) -> HttpResponse:
    """A page that would change a version that can no longer change (409, a conflict with its state)."""
    context = {"threshold_model": threshold_model, "reasons": reasons or []}
    return render(request, "thresholds/manage_refused.html", context, status=409)


def form_page(
    request: AuthenticatedHttpRequest,
    template: str,
    threshold_model: ThresholdModel,
    form: forms.Form,
    refused: bool = False,
    **context: Any,
) -> HttpResponse:
    # The service's refusal of a change to a published or retired version gets the refused page
    # with its message; any other refusal is an input error shown on the form, as GOV.UK forms do.
    if refused and not threshold_model.is_editable:
        return refused_page(request, threshold_model, list(form.non_field_errors()))
    return render(request, template, {"threshold_model": threshold_model, "form": form, **context})


def remove_confirm_page(
    request: AuthenticatedHttpRequest,
    threshold_model: ThresholdModel,
    *,
    what: str,
    template: str,
    remove: Callable[[], object],
    done: str,
    anchor: str,
    **context: Any,
) -> HttpResponse:
    """The confirmation page for removing a part of a draft: GET asks, POST removes through the
    service (whose refusals show on the page); a published or retired version refuses both."""
    form = ConfirmForm(posted_or_none(request), button=f"Remove {what}", warning=True)
    if request.method == "GET" and not threshold_model.is_editable:
        return refused_page(request, threshold_model)
    if request.method == "POST" and form.is_valid():
        try:
            remove()
        except ValidationError as error:
            refusal_show(form, error)
            return form_page(request, template, threshold_model, form, True, **context)
        messages.success(request, done)
        return redirect(model_url(threshold_model) + anchor)
    return form_page(request, template, threshold_model, form, **context)
