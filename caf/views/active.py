"""Screens of an active CAF: the Team Around the Family, the lead professional, registration, the
delivery plan, closure, reopening and the printable CAF for the family (see caf/urls.py).

Every page fetches its CAF with caf_get_for_user (404 and a logged refusal for anyone who may not
see it; every read logged). Writes go through caf.services, which check who may make them: their
PermissionDenied is a 403, their refusals (Refused, ValidationError) are shown on the form.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from accounts.drafts import FormKeeper
from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id
from caf import policies, selectors, services
from caf.forms_active import (
    CloseForm,
    LeadProfessionalForm,
    PlanActionForm,
    PlanActionUpdateForm,
    RegisterForm,
    TafMemberForm,
)
from caf.models import Caf
from caf.selectors import caf_children_with_levels, caf_detail_url, caf_get_for_user, caf_possible_duplicates
from core.errors import Conflict
from core.forms import posted_or_none, refusal_show

GET_AND_POST = require_http_methods(["GET", "POST"])


def _page(request: AuthenticatedHttpRequest, template: str, caf: Caf, **context: Any) -> HttpResponse:
    prefetch_related_objects([caf], "children")  # one query for this page and the CAF's header
    return render(
        request,
        template,
        {"caf": caf, "caf_children": list(caf.children.all()), "caf_url": caf_detail_url(caf.pk), **context},
    )


# Team Around the Family ---------------------------------------------------------------------------


@GET_AND_POST
def taf(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the Team Around the Family")
    may_manage = policies.may_manage_team(request.user, caf)
    form: TafMemberForm | None = None
    found: selectors.PeopleFound | None = None
    if may_manage:
        people = policies.people_who_may_join(caf)
        # The search (in the address, kept when the form is sent): nobody is listed before it.
        found = selectors.people_to_add(
            caf, words=request.GET.get("who", "")[:200], agency_id=parse_id(request.GET.get("agency"))
        )
        form = TafMemberForm(
            posted_or_none(request),
            people=people,
            shown=found.people,
            initial={"version": selectors.team_version(caf)},
        )
        if request.method == "POST" and form.is_valid():
            member = form.cleaned_data["member"]
            try:
                services.taf_member_add(
                    user=request.user,
                    caf=caf,
                    member=member,
                    role=form.cleaned_data["role"],
                    drawn_from=form.cleaned_data["version"] or None,
                )
            except Conflict as error:
                # The team as it is now is on this page; the choice stays in the form, drawn from it.
                data = request.POST.copy()
                data["version"] = selectors.team_version(caf)
                form = TafMemberForm(data, people=people, shown=found.people)
                refusal_show(form, error)
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, f"{member.full_name} ({member.agency.name}) joined the team.")
                return redirect("caf:taf", caf.pk)
    elif request.method == "POST":
        raise PermissionDenied("Only the lead professional manages the Team Around the Family.")
    team = selectors.taf_team(caf)
    return _page(
        request,
        "caf/active_taf.html",
        caf,
        form=form,
        may_manage=may_manage,
        current_members=team.current_members,
        past_members=team.past_members,
        lead=team.lead,
        is_caf_administrator=policies.is_caf_administrator(request.user, caf.council_id),
        found=found,
        who=request.GET.get("who", "")[:200],
        agency_chosen=parse_id(request.GET.get("agency")),
    )


@GET_AND_POST
def taf_remove(request: AuthenticatedHttpRequest, caf_id: int, membership_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the Team Around the Family")
    membership = get_object_or_404(
        caf.taf_members.select_related("user", "agency"), pk=membership_id, left_at__isnull=True
    )
    own = membership.user_id == request.user.pk
    if not (policies.may_leave_team(request.user, membership) or policies.may_manage_team(request.user, caf)):
        raise PermissionDenied("Only the lead professional manages the Team Around the Family.")
    form = ConfirmForm(
        posted_or_none(request), button="Leave the team" if own else "Remove from the team", warning=True
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.taf_member_remove(user=request.user, membership=membership)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"{membership.user.full_name} has left the team.")
            if not policies.may_view(request.user, caf):
                return redirect("home")
            return redirect("caf:taf", caf.pk)
    return _page(request, "caf/active_taf_remove.html", caf, form=form, membership=membership, own=own)


@GET_AND_POST
def lead_professional(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the lead professional history")
    if not policies.is_caf_administrator(request.user, caf.council_id):
        raise PermissionDenied("Only the council's CAF administrators log the lead professional.")
    form: LeadProfessionalForm | None = None
    if caf.status == Caf.Status.ACTIVE:
        form = LeadProfessionalForm(posted_or_none(request), members=selectors.current_member_users(caf))
        if request.method == "POST" and form.is_valid():
            lead = form.cleaned_data["lead"]
            try:
                services.lead_professional_assign(user=request.user, caf=caf, lead=lead)
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, f"{lead.full_name} is now the lead professional.")
                return redirect("caf:lead_professional", caf.pk)
    history = caf.lead_professionals.select_related("user", "user__agency", "logged_by").order_by("-started_at")
    return _page(request, "caf/active_lead_professional.html", caf, form=form, history=list(history))


@GET_AND_POST
def caf_register(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the CAF to register it")
    if not policies.is_caf_administrator(request.user, caf.council_id):
        raise PermissionDenied("Only the council's CAF administrators register CAFs.")
    form = RegisterForm(posted_or_none(request), initial={"reference": caf.reference})
    if request.method == "POST" and form.is_valid():
        try:
            services.caf_register(user=request.user, caf=caf, reference=form.cleaned_data["reference"])
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"The CAF is registered as {form.cleaned_data['reference'].strip()}.")
            return redirect("home")
    return _page(
        request,
        "caf/active_register.html",
        caf,
        form=form,
        possible_duplicates=list(caf_possible_duplicates(request.user, caf)),
    )


# The delivery plan --------------------------------------------------------------------------------


@GET_AND_POST
def plan(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the plan")
    may_change_plan = policies.may_manage_plan(request.user, caf)
    form: PlanActionForm | None = None
    keeper = FormKeeper(request, record=caf.record_key)
    if may_change_plan:
        # Only agencies the family's consent covers, and members the family has not excluded (issue 11).
        scope = policies.sharing_agencies(caf)
        form = PlanActionForm(
            keeper.data(),
            agencies=scope.order_by("name"),
            members=selectors.current_member_users(caf).filter(agency__in=scope),
        )
        if request.method == "POST" and form.is_valid():
            try:
                with keeper.saving():
                    services.plan_action_add(user=request.user, caf=caf, **form.cleaned_data)
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, "The action is added to the plan.")
                return redirect("caf:plan", caf.pk)
        keeper.restore(form)
    elif request.method == "POST":
        raise PermissionDenied("Only the lead professional changes the plan.")
    rows = selectors.plan_rows(request.user, caf, may_change_plan=may_change_plan)
    return _page(
        request, "caf/active_plan.html", caf, form=form, rows=rows, may_change_plan=may_change_plan, keeper=keeper
    )


@GET_AND_POST
def plan_action(request: AuthenticatedHttpRequest, caf_id: int, action_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed an action of the plan")
    action = get_object_or_404(caf.actions.select_related("agency", "owner", "caf"), pk=action_id)
    if not policies.may_update_action(request.user, action):
        raise PermissionDenied("You can update only your own actions.")
    initial = {"status": action.status, "outcome": action.outcome, "version": action.version}
    keeper = FormKeeper(request, record=caf.record_key)
    form = PlanActionUpdateForm(keeper.data(), initial=initial)
    conflict: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            with keeper.saving():
                services.plan_action_update(
                    user=request.user,
                    action=action,
                    status=form.cleaned_data["status"],
                    outcome=form.cleaned_data["outcome"],
                    drawn_from=form.cleaned_data["version"],
                )
        except Conflict as error:
            # The action as saved now is on the page and beside what was typed, which stays in the
            # form, drawn from the saved version, so the next save is a merge.
            action.refresh_from_db()
            conflict = {"error": error, "rows": form.differences_from(action)}
            data = request.POST.copy()
            data["version"] = str(action.version)
            form = PlanActionUpdateForm(data, initial=initial)
            refusal_show(form, error)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The action is updated.")
            return redirect("caf:plan", caf.pk)
    keeper.restore(form)
    return _page(
        request, "caf/active_plan_action.html", caf, form=form, action=action, keeper=keeper, conflict=conflict
    )


# Closing, reopening and printing ------------------------------------------------------------------


@GET_AND_POST
def caf_close(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the CAF to close it")
    if not policies.may_close(request.user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator closes an active CAF.")
    form = CloseForm(posted_or_none(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.caf_close(
                user=request.user, caf=caf, reason=form.cleaned_data["reason"], summary=form.cleaned_data["summary"]
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The CAF is closed.")
            return redirect(caf_detail_url(caf.pk))
    return _page(request, "caf/active_close.html", caf, form=form)


@GET_AND_POST
def caf_reopen(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the CAF to reopen it")
    if not policies.is_reopener(request.user, caf):
        raise PermissionDenied("Only its last lead professional, its initiator or a CAF administrator reopens a CAF.")
    form = ConfirmForm(posted_or_none(request), button="Start a new CAF for this family")
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.caf_reopen(user=request.user, caf=caf)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "A new draft CAF is started, linked to the closed one.")
            return redirect(caf_detail_url(episode.pk))
    return _page(request, "caf/active_reopen.html", caf, form=form)


@require_GET
def caf_print(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Printed the CAF and plan for the family")
    entries = caf.assessment_entries.select_related("sub_domain__domain").order_by(
        "sub_domain__domain__order", "sub_domain__order"
    )
    return render(
        request,
        "caf/print.html",
        {
            "caf": caf,
            "caf_children": list(caf_children_with_levels(caf)),
            "entries": list(entries),
            "actions": list(caf.actions.select_related("agency", "owner").order_by("due_on", "pk")),
            "members": list(selectors.current_members(caf).order_by("joined_at")),
            "lead": selectors.current_lead(caf),
            "caf_url": caf_detail_url(caf.pk),
        },
    )


urlpatterns = [
    path("cafs/<int:caf_id>/team/", taf, name="taf"),
    path("cafs/<int:caf_id>/team/<int:membership_id>/remove/", taf_remove, name="taf_remove"),
    path("cafs/<int:caf_id>/lead-professional/", lead_professional, name="lead_professional"),
    path("cafs/<int:caf_id>/register/", caf_register, name="caf_register"),
    path("cafs/<int:caf_id>/plan/", plan, name="plan"),
    path("cafs/<int:caf_id>/plan/<int:action_id>/", plan_action, name="plan_action"),
    path("cafs/<int:caf_id>/close/", caf_close, name="caf_close"),
    path("cafs/<int:caf_id>/reopen/", caf_reopen, name="caf_reopen"),
    path("cafs/<int:caf_id>/print/", caf_print, name="caf_print"),
]
