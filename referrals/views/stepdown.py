"""Step-down pages: children's social care sends a family to early help (after an assessment, or at
the closure of Child in Need; the front door's step-down is its decision on the referral), and the
council's CAF administrators pick it up into a CAF with a lead professional, or record that the
family declined. Also the pick-up queue and the monthly figures (Kent's transfer counts, 004).

Each page asks one referrals.selectors page selector for what it shows (which fetches the
step-down with step_down_get_for_user: 404 and a logged refusal for anyone who may not see it).
Writes go through referrals.services, which check who may make them: their PermissionDenied is a
403, their refusals (Refused) are shown on the form.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from accounts.drafts import FormKeeper
from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id
from core.forms import children_names, posted_or_none, refusal_show
from core.paging import pagination
from referrals import policies, selectors, services
from referrals.forms_stepdown import DeclineForm, PickUpForm, StepDownForm, StepDownSearchForm
from referrals.models import StepDown

GET_AND_POST = require_http_methods(["GET", "POST"])


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
    if not policies.is_social_care_staff(user, user.council_id):
        raise PermissionDenied("Only children's social care steps a family down to early help.")
    page = selectors.step_down_new_page(
        user, referral_id=_id_from_query(request.GET.get("referral")), caf_id=_id_from_query(request.GET.get("caf"))
    )
    keeper = FormKeeper(request, record=page.record_key)
    form = StepDownForm(keeper.data(), children=page.children, agencies=page.agencies, people=page.people)
    if request.method == "POST" and form.is_valid():
        try:
            with keeper.saving():
                step_down = services.step_down_send(
                    user=user, referral=page.referral, caf=page.caf, **form.service_arguments()
                )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The family has been sent to early help. The CAF administrators are told.")
            return redirect("referrals:step_down_detail", step_down_id=step_down.pk)
    keeper.restore(form)
    return render(
        request,
        "referrals/step_down_new.html",
        {"form": form, "referral": page.referral, "caf": page.caf, "children": page.children, "keeper": keeper},
    )


# One step-down ------------------------------------------------------------------------------------


@require_GET
def step_down_detail(request: AuthenticatedHttpRequest, step_down_id: int) -> HttpResponse:
    page = selectors.step_down_page(request.user, step_down_id)
    return render(request, "referrals/step_down_detail.html", {**vars(page)})


@GET_AND_POST
def step_down_pick_up(request: AuthenticatedHttpRequest, step_down_id: int) -> HttpResponse:
    user = request.user
    page = selectors.pick_up_page(user, step_down_id)
    form: PickUpForm | None = None
    if page.step_down.status == StepDown.Status.WAITING:
        form = PickUpForm(
            posted_or_none(request),
            children=page.children,
            levels=page.levels,
            initial_levels=page.initial_levels,
            people=page.people,
        )
        if request.method == "POST" and form.is_valid():
            try:
                step_down = services.step_down_pick_up(
                    user=user, step_down=page.step_down, levels=form.levels(), lead=form.cleaned_data["lead"]
                )
            except ValidationError as error:
                refusal_show(form, error)
            else:
                caf = step_down.picked_up_caf
                if step_down.status == StepDown.Status.COMPLETED:
                    outcome = "it has a lead professional, so the step-down is complete."
                else:
                    outcome = "the step-down stays open until you log the lead professional the team agrees."
                messages.success(request, f"{children_names(page.children)} picked up into {caf}: {outcome}")
                return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(
        request,
        "referrals/pick_up_form.html",
        {
            "step_down": page.step_down,
            "children": page.children,
            "family_caf": page.family_caf,
            "starts_caf": page.starts_caf,
            "no_threshold_model": page.no_threshold_model,
            "form": form,
        },
    )


@GET_AND_POST
def step_down_decline(request: AuthenticatedHttpRequest, step_down_id: int) -> HttpResponse:
    user = request.user
    page = selectors.decline_page(user, step_down_id)
    form: DeclineForm | None = None
    if page.step_down.status == StepDown.Status.WAITING:
        form = DeclineForm(posted_or_none(request))
        if request.method == "POST" and form.is_valid():
            try:
                services.step_down_decline(user=user, step_down=page.step_down, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, "Recorded: the family declined early help.")
                return redirect("referrals:step_down_detail", step_down_id=page.step_down.pk)
    return render(
        request,
        "referrals/step_down_decline.html",
        {"step_down": page.step_down, "children": page.children, "form": form},
    )


# The queue and the figures ------------------------------------------------------------------------


@require_GET
def pick_up_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "")
    asked = "words" in request.GET or "point" in request.GET
    search = StepDownSearchForm(request.GET if asked else None, initial={"queue": queue})
    words, point = search.searched()
    shown = selectors.pick_up_queue_page(
        request.user, queue=queue, page=request.GET.get("page"), words=words, point=point
    )
    full = shown.sections[0] if shown.full else None
    return render(
        request,
        "referrals/pick_up_queue.html",
        {
            **vars(shown),
            "search": search,
            "pagination": pagination(full.page, request.GET) if full and full.page else None,
        },
    )


@require_GET
def step_down_figures_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = selectors.figures_page(request.user)
    return render(request, "referrals/step_down_figures.html", {**vars(page)})


urlpatterns = [
    path("step-downs/", pick_up_queue, name="pick_up_queue"),
    path("step-downs/new/", step_down_new, name="step_down_new"),
    path("step-downs/figures/", step_down_figures_page, name="step_down_figures"),
    path("step-downs/<int:step_down_id>/", step_down_detail, name="step_down_detail"),
    path("step-downs/<int:step_down_id>/pick-up/", step_down_pick_up, name="step_down_pick_up"),
    path("step-downs/<int:step_down_id>/decline/", step_down_decline, name="step_down_decline"),
]
