"""Council administrators: the council's versions, starting a draft, a version's page, comparing two
versions and publishing a draft. Access and refusals as in `manage_shared`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from core.errors import Refused
from core.forms import posted_or_none, refusal_show
from thresholds.forms_manage import DraftFromOtherCouncilForm, DraftStartForm
from thresholds.selectors import VersionsPage, comparison_page, model_page, publish_page, versions_page
from thresholds.services import threshold_model_draft_start, threshold_model_publish
from thresholds.views.manage_shared import (
    GET_AND_POST,
    council_administrator_check,
    form_page,
    model_for_administrator_or_404,
    model_url,
    refused_page,
)


def _versions_render(
    request: AuthenticatedHttpRequest,
    page: VersionsPage,
    start_form: DraftStartForm,
    copy_form: DraftFromOtherCouncilForm,
) -> HttpResponse:
    return render(
        request,
        "thresholds/manage_versions.html",
        {"versions": page.versions, "start_form": start_form, "copy_form": copy_form},
    )


def manage(request: AuthenticatedHttpRequest) -> HttpResponse:
    council_administrator_check(request)
    page = versions_page(request.user)
    return _versions_render(request, page, DraftStartForm(), DraftFromOtherCouncilForm(models=page.copyable))


@require_POST
def draft_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a draft for the user's own council: a copy of its latest version or of another council's model."""
    council_administrator_check(request)
    page = versions_page(request.user)
    copying = "copy" in request.POST
    start_form = DraftStartForm(request.POST if not copying else None)
    copy_form = DraftFromOtherCouncilForm(request.POST if copying else None, models=page.copyable)
    form: forms.Form = copy_form if copying else start_form
    if form.is_valid():
        try:
            draft = threshold_model_draft_start(
                user=request.user, council=request.user.council, copy_from=form.cleaned_data.get("copy_from")
            )
        except Refused as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Version {draft.version} started as a draft, a copy of {draft.based_on}.")
            return redirect(model_url(draft))
    return _versions_render(request, page, start_form, copy_form)


def model_detail(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    page = model_page(threshold_model)
    return render(
        request,
        "thresholds/manage_model.html",
        {"threshold_model": threshold_model, "guide": page.guide, "rules": page.rules, "outcomes": page.outcomes},
    )


def compare(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    page = comparison_page(request.user, threshold_model, request.GET.get("with", ""))
    return render(
        request,
        "thresholds/manage_compare.html",
        {
            "threshold_model": threshold_model,
            "old": page.old,
            "new": page.new,
            "difference": page.difference,
            "versions": page.versions,
            "chosen": page.chosen,
        },
    )


@GET_AND_POST
def publish(request: AuthenticatedHttpRequest, model_id: int) -> HttpResponse:
    threshold_model = model_for_administrator_or_404(request, model_id)
    if request.method == "GET" and not threshold_model.is_editable:
        return refused_page(request, threshold_model)
    form = ConfirmForm(posted_or_none(request), button=f"Publish version {threshold_model.version}")
    if request.method == "POST" and form.is_valid():
        try:
            published = threshold_model_publish(user=request.user, threshold_model=threshold_model)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Version {published.version} is published: it is now the council's model.")
            return redirect(model_url(published))
    page = publish_page(request.user, threshold_model)
    return form_page(
        request,
        "thresholds/manage_publish.html",
        threshold_model,
        form,
        refused=bool(form.errors),
        against=page.against,
        current=page.current,
        difference=page.difference,
        problems=page.problems,
    )


urlpatterns = [
    path("manage/", manage, name="manage"),
    path("manage/start/", draft_start, name="manage_draft_start"),
    path("manage/<int:model_id>/", model_detail, name="manage_model"),
    path("manage/<int:model_id>/compare/", compare, name="manage_compare"),
    path("manage/<int:model_id>/publish/", publish, name="manage_publish"),
]
