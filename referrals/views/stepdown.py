"""Step-down pages: children's social care sends a family to early help (after an assessment, or at
the closure of Child in Need; the front door's step-down is its decision on the referral), and the
council's CAF administrators pick it up into a CAF with a lead professional, or record that the
family declined. Also the pick-up queue and the monthly figures (Kent's transfer counts, 004).

Every page fetches its step-down with step_down_get_for_user (404 and a logged refusal for anyone
who may not see it). Writes go through referrals.services, which check who may make them: their
PermissionDenied is a 403, their refusals (Refused) are shown on the form.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.models import Agency, AgencyType, User
from accounts.parsing import parse_id
from caf import permissions as perms
from caf import policies as caf_policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf
from caf.selectors import caf_get_for_user
from core.forms import children_names, posted_or_none, refusal_show
from referrals import policies, services
from referrals.forms_stepdown import DeclineForm, PickUpForm, StepDownForm
from referrals.models import Referral, StepDown
from referrals.selectors import (
    family_caf_for,
    latest_levels,
    pick_up_clock,
    pick_up_lead_candidates,
    referral_get_for_user,
    referral_may_see,
    staff_of,
    step_down_figures,
    step_down_get_for_user,
    step_downs_to_pick_up,
    step_downs_waiting_for_lead,
)
from thresholds.models import ThresholdModel

GET_AND_POST = require_http_methods(["GET", "POST"])


def _is_caf_administrator(user: User, step_down: StepDown) -> bool:
    return caf_policies.is_caf_administrator(user, step_down.council_id)


def _id_from_query(value: str | None) -> int | None:
    if value is None:
        return None
    number = parse_id(value)
    if number is None:
        raise Http404("No referral or CAF matches the given query.")
    return number


# Sending a family to early help -------------------------------------------------------------------


@GET_AND_POST
def step_down_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if user.agency_id is None or not policies.is_social_care_staff(user, user.council_id):
        raise PermissionDenied("Only children's social care steps a family down to early help.")
    referral_id = _id_from_query(request.GET.get("referral"))
    caf_id = _id_from_query(request.GET.get("caf"))
    referral: Referral | None = None
    caf: Caf | None = None
    if referral_id is not None:
        referral = referral_get_for_user(user, referral_id, what="Viewed a referral to step the family down")
        children = list(referral.children.all())
    elif caf_id is not None:
        caf = caf_get_for_user(user, caf_id, what="Viewed the CAF to step the family down")
        children = list(caf.children.all())
    else:
        raise Http404("Step a family down from their referral or their CAF.")
    agencies = (
        Agency.objects.for_council(user.council_id)
        .exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .order_by("name")
    )
    form = StepDownForm(posted_or_none(request), children=children, agencies=agencies, people=staff_of(user.council_id))
    if request.method == "POST" and form.is_valid():
        try:
            step_down = services.step_down_send(user=user, referral=referral, caf=caf, **form.service_arguments())
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The family has been sent to early help. The CAF administrators are told.")
            return redirect("referrals:step_down_detail", step_down_id=step_down.pk)
    return render(
        request,
        "referrals/step_down_new.html",
        {"form": form, "referral": referral, "caf": caf, "children": children},
    )


# One step-down ------------------------------------------------------------------------------------


@require_GET
def step_down_detail(request: AuthenticatedHttpRequest, step_down_id: int) -> HttpResponse:
    step_down = step_down_get_for_user(request.user, step_down_id)
    user = request.user
    referral = step_down.referral
    return render(
        request,
        "referrals/step_down_detail.html",
        {
            "step_down": step_down,
            "children": list(step_down.children.all()),
            "clock": pick_up_clock(step_down),
            "consent_agencies": list(step_down.consent_agencies.order_by("name")),
            "timeline": list(step_down.timeline.select_related("by")),
            "is_caf_administrator": _is_caf_administrator(user, step_down),
            "may_see_referral": referral is not None and referral_may_see(user, referral),
            "may_see_caf": step_down.caf is not None and perms.has_caf_permission(user, perms.VIEW, step_down.caf),
            "may_see_picked_up_caf": step_down.picked_up_caf is not None
            and perms.has_caf_permission(user, perms.VIEW, step_down.picked_up_caf),
        },
    )


@GET_AND_POST
def step_down_pick_up(request: AuthenticatedHttpRequest, step_down_id: int) -> HttpResponse:
    user = request.user
    step_down = step_down_get_for_user(user, step_down_id, what="Viewed a step-down to pick it up")
    if not _is_caf_administrator(user, step_down):
        raise PermissionDenied("Only the council's CAF administrators pick up a step-down.")
    children = list(step_down.children.filter(merged_into__isnull=True))
    family_caf = family_caf_for(step_down)
    starts_caf = family_caf is None or family_caf.status != Caf.Status.ACTIVE
    model = ThresholdModel.objects.published().filter(council_id=step_down.council_id).first()
    form: PickUpForm | None = None
    if step_down.status == StepDown.Status.WAITING:
        people = pick_up_lead_candidates(user, step_down)
        form = PickUpForm(
            posted_or_none(request),
            children=children,
            levels=(model.levels.all() if model else None) if starts_caf else None,
            initial_levels=latest_levels(children, model) if starts_caf and model else {},
            people=people,
        )
        if request.method == "POST" and form.is_valid():
            lead = form.cleaned_data["lead"]
            try:
                step_down = services.step_down_pick_up(user=user, step_down=step_down, levels=form.levels(), lead=lead)
            except ValidationError as error:
                refusal_show(form, error)
            else:
                caf = step_down.picked_up_caf
                if step_down.status == StepDown.Status.COMPLETED:
                    outcome = "it has a lead professional, so the step-down is complete."
                else:
                    outcome = "the step-down stays open until you log the lead professional the team agrees."
                messages.success(request, f"{children_names(children)} picked up into {caf}: {outcome}")
                return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(
        request,
        "referrals/pick_up_form.html",
        {
            "step_down": step_down,
            "children": children,
            "family_caf": family_caf,
            "starts_caf": starts_caf,
            "no_threshold_model": starts_caf and model is None,
            "form": form,
        },
    )


@GET_AND_POST
def step_down_decline(request: AuthenticatedHttpRequest, step_down_id: int) -> HttpResponse:
    user = request.user
    step_down = step_down_get_for_user(user, step_down_id, what="Viewed a step-down to record a decline")
    if not _is_caf_administrator(user, step_down):
        raise PermissionDenied("Only the council's CAF administrators record that a family declined early help.")
    form: DeclineForm | None = None
    if step_down.status == StepDown.Status.WAITING:
        form = DeclineForm(posted_or_none(request))
        if request.method == "POST" and form.is_valid():
            try:
                services.step_down_decline(user=user, step_down=step_down, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, "Recorded: the family declined early help.")
                return redirect("referrals:step_down_detail", step_down_id=step_down.pk)
    return render(
        request,
        "referrals/step_down_decline.html",
        {"step_down": step_down, "children": list(step_down.children.all()), "form": form},
    )


# The queue and the figures ------------------------------------------------------------------------


@require_GET
def pick_up_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not caf_policies.is_caf_administrator(user, user.council_id):
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what="Refused: the pick-up queue")
        raise Http404("Only the council's CAF administrators have a pick-up queue.")
    waiting = [(step_down, pick_up_clock(step_down)) for step_down in step_downs_to_pick_up(user)]
    waiting_for_lead = list(step_downs_waiting_for_lead(user))
    # One access-log row for the queue shown, with the children it listed (Settled question 17).
    shown = [step_down for step_down, _ in waiting] + waiting_for_lead
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what="Viewed the step-down pick-up queue",
        child_ids=[child.pk for step_down in shown for child in step_down.children.all()],
    )
    return render(
        request,
        "referrals/pick_up_queue.html",
        {"waiting": waiting, "waiting_for_lead": waiting_for_lead},
    )


@require_GET
def step_down_figures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    is_caf_administrator = caf_policies.is_caf_administrator(user, user.council_id)
    if not (is_caf_administrator or (user.agency_id and policies.is_front_door_manager(user, user.council_id))):
        raise Http404("The step-down figures are for the council's CAF administrators and social care managers.")
    return render(
        request,
        "referrals/step_down_figures.html",
        {
            "council": user.council,
            "months": step_down_figures(user.council),
            "is_caf_administrator": is_caf_administrator,
        },
    )


urlpatterns = [
    path("step-downs/", pick_up_queue, name="pick_up_queue"),
    path("step-downs/new/", step_down_new, name="step_down_new"),
    path("step-downs/figures/", step_down_figures_page, name="step_down_figures"),
    path("step-downs/<int:step_down_id>/", step_down_detail, name="step_down_detail"),
    path("step-downs/<int:step_down_id>/pick-up/", step_down_pick_up, name="step_down_pick_up"),
    path("step-downs/<int:step_down_id>/decline/", step_down_decline, name="step_down_decline"),
]
