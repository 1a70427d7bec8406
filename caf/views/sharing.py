"""Sharing without consent (issue 15; Settled questions 1, 10d and 15): a CAF's page of who reads it
and on what basis, a share under the duty to share (s.16LA), a recorded decision not to share, and
the managers' list of those decisions. The rules are caf.policies and caf.services.sharing."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Agency
from caf import policies, selectors
from caf.forms_sharing import DecisionNotToShareForm, DutyToShareForm, SharingDecisionFilterForm
from caf.selectors.sharing import caf_sharing, sharing_decisions_page
from caf.services.sharing import decision_not_to_share_record, duty_to_share_record
from core.forms import posted_or_none, refusal_show
from core.paging import pagination


@require_GET
def sharing(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """Who reads the CAF now and on what basis, and the decisions about sharing without consent."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Viewed who the CAF is shared with")
    context = {
        "sharing": caf_sharing(caf),
        "caf": caf,
        "may_decide": policies.may_record_sharing_decision(request.user, caf),
        "may_share_under_duty": policies.may_share_under_duty(request.user, caf, timezone.localdate()),
    }
    return render(request, "caf/sharing.html", context)


@require_http_methods(["GET", "POST"])
def duty_to_share(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the form to share under the duty to share")
    if not policies.may_share_under_duty(request.user, caf, timezone.localdate()):
        raise PermissionDenied(
            "Only the lead professional or a CAF administrator records a share, once the council's duty to share "
            "is in force."
        )
    form = DutyToShareForm(posted_or_none(request), agencies=Agency.objects.filter(council_id=caf.council_id))
    if form.is_bound and form.is_valid():
        try:
            duty_to_share_record(user=request.user, caf=caf, **form.cleaned_data)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Recorded. {form.cleaned_data['agency']} can now read the CAF.")
            return redirect("caf:caf_sharing", caf_id=caf.pk)
    return render(request, "caf/sharing_duty.html", {"caf": caf, "form": form})


@require_http_methods(["GET", "POST"])
def decision_not_to_share(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the form to record a decision not to share")
    if not policies.may_record_sharing_decision(request.user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records a decision not to share.")
    form = DecisionNotToShareForm(posted_or_none(request), agencies=Agency.objects.filter(council_id=caf.council_id))
    if form.is_bound and form.is_valid():
        try:
            decision_not_to_share_record(user=request.user, caf=caf, **form.cleaned_data)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Recorded. Your manager can see the decision.")
            return redirect("caf:caf_sharing", caf_id=caf.pk)
    return render(request, "caf/sharing_not_shared.html", {"caf": caf, "form": form})


@require_GET
def decisions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The managers' list: decisions to share without consent and not to share, the newest first."""
    if not policies.may_see_sharing_decisions(request.user):
        raise PermissionDenied("The list of sharing decisions is for managers and CAF administrators.")
    form = SharingDecisionFilterForm(request.GET or None)
    decision = form.cleaned_data["decision"] if form.is_bound and form.is_valid() else ""
    page = sharing_decisions_page(request.user, request.GET.get("page"), decision=decision)
    context = {"form": form, "page": page, "pagination": pagination(page, request.GET)}
    return render(request, "caf/sharing_decisions.html", context)


urlpatterns = [
    path("cafs/<int:caf_id>/sharing/", sharing, name="caf_sharing"),
    path("cafs/<int:caf_id>/sharing/duty-to-share/", duty_to_share, name="caf_duty_to_share"),
    path("cafs/<int:caf_id>/sharing/not-shared/", decision_not_to_share, name="caf_not_shared"),
    path("sharing-decisions/", decisions, name="sharing_decisions"),
]
