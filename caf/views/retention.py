"""Retention's pages about one child (see caf/urls.py), each fetching the child with the check: 404
for anyone who may not see the child, 403 for anyone else who may not act, each attempt logged.

- The legal hold: for the council's CAF administrators, the hold in force and its history; places
  or lifts it, each with a reason (child_get_for_caf_administrator).
- A social care stage the child reached (looked after, adopted...): for the council's social care
  managers who may see the child (child_get_for_user, then caf.policies).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedHttpRequest
from caf import policies
from caf.forms_retention import LegalHoldForm, SocialCareStageForm
from caf.selectors import child_get_for_caf_administrator, child_get_for_user
from caf.selectors.retention import (
    child_retention_date,
    legal_hold_history,
    legal_hold_in_force,
    social_care_stages_of,
)
from caf.services.retention import legal_hold_lift, legal_hold_place, social_care_stage_record
from core.errors import Refused
from core.forms import posted_or_none, refusal_show

# What the page's form was drawn for: a post for the other (the hold changed meanwhile) is refused.
PLACE, LIFT = "place", "lift"


@require_http_methods(["GET", "POST"])
def legal_hold(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    child = child_get_for_caf_administrator(request.user, child_id, what="Opened the legal hold")
    hold = legal_hold_in_force(child)
    form = LegalHoldForm(posted_or_none(request), lifting=hold is not None)
    if form.is_bound and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if request.POST.get("intent") != (LIFT if hold else PLACE):
                raise Refused("The legal hold changed since this page was shown: check it below.")
            if hold is None:
                legal_hold_place(user=request.user, child=child, reason=reason)
                messages.success(request, "The legal hold is placed: these records will not be anonymised.")
            else:
                legal_hold_lift(user=request.user, child=child, reason=reason)
                messages.success(request, "The legal hold is lifted.")
        except ValidationError as error:
            refusal_show(form, error)
        else:
            return redirect("caf:child_detail", child_id=child.pk)
    context = {
        "child": child,
        "hold": hold,
        "history": [row for row in legal_hold_history(child) if not row.is_in_force],
        "retention_on": None if child.anonymised_at else child_retention_date(child),
        "form": None if child.anonymised_at else form,
        "intent": LIFT if hold else PLACE,
    }
    return render(request, "caf/legal_hold.html", context)


@require_http_methods(["GET", "POST"])
def social_care_stage(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    child = child_get_for_user(request.user, child_id, what="Opened the social care stages")
    # Break-glass reads, and nothing more (issue 15).
    policies.refuse_unless(
        policies.may_record_social_care_stage(request.user, child) and not getattr(child, "break_glass_until", None),
        "Only the council's social care managers record a social care stage.",
    )
    stages = social_care_stages_of(child)
    form = SocialCareStageForm(posted_or_none(request), recorded=[row.stage for row in stages])
    if child.anonymised_at is None and form.is_bound and form.is_valid():
        try:
            social_care_stage_record(user=request.user, child=child, **form.cleaned_data)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The social care stage is recorded: the family's records are kept longer.")
            return redirect("caf:child_detail", child_id=child.pk)
    context = {"child": child, "stages": stages, "form": None if child.anonymised_at else form}
    return render(request, "caf/social_care_stage.html", context)


urlpatterns = [
    path("children/<int:child_id>/legal-hold/", legal_hold, name="child_legal_hold"),
    path("children/<int:child_id>/social-care-stage/", social_care_stage, name="child_social_care_stage"),
]
