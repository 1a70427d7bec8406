"""Draft screens of the CAF (see caf/urls.py): start a CAF for a child or a family, the CAF's
overview (a task list while it is a draft), the assessment, each child's level of need, and check
your answers. Consent has its own module, caf/views/consent.py.

Every page fetches the CAF through caf.selectors.caf_get_for_user (404 and a logged refusal for
anyone without access); writes go through caf.services, whose refusals become form errors.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from accounts.drafts import FormKeeper
from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id, parse_ids
from caf import policies, selectors, services
from caf.forms_draft import AssessmentForm, CafChildrenAddForm, CafStartForm, IndicatorsForm, LevelChoiceForm
from caf.found import found_children
from caf.models import Caf, CafChild
from core.errors import Conflict
from core.forms import posted_or_none, refusal_show
from thresholds.models import Domain, Indicator, Level
from thresholds.selectors import model_guide, model_snapshot

# Starting a CAF -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def caf_start(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    """Start a draft CAF for the child, adding brothers and sisters already recorded for a Family CAF."""
    child = selectors.child_for_new_caf(request.user, child_id, found=found_children(request))
    if selectors.child_known_elsewhere(request.user, child):
        # Known to early help through a CAF this person may not see: no second CAF (Settled question 18).
        ask = ConfirmForm(posted_or_none(request), button="Ask the CAF administrator")
        if ask.is_bound and ask.is_valid():
            services.caf_request_to_join(user=request.user, child=child)
            messages.success(
                request, "The CAF administrator has been asked to put you in touch with the family's team."
            )
            return redirect("home")
        return render(request, "caf/draft_start_known.html", {"child": child, "form": ask})
    candidates = selectors.sibling_candidates_for(request.user, child)
    # Open CAFs of the child this person may see: the page names them first, and starting another
    # needs a tick (issue 14: a second agency joins the team rather than starting a duplicate).
    open_cafs = selectors.children_open_cafs(request.user, [child.pk]).get(child.pk, [])
    form = CafStartForm(posted_or_none(request), candidates=candidates, has_open_caf=bool(open_cafs))
    if form.is_bound and form.is_valid():
        try:
            caf = services.caf_start(user=request.user, children=[child, *form.cleaned_data["siblings"]])
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Draft CAF started. Record the family's consent first.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(
        request,
        "caf/draft_start.html",
        {"child": child, "form": form, "has_candidates": candidates.exists(), "open_cafs": open_cafs},
    )


@require_http_methods(["GET", "POST"])
def caf_children_add(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """Brothers and sisters join a draft CAF, making it a Family CAF; or a new one is recorded first
    and comes back here ticked."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened adding children to the CAF")
    policies.refuse_unless(policies.may_add_children(request.user, caf))
    caf_children = list(caf.caf_children.select_related("child").order_by("pk"))
    candidates = selectors.sibling_candidates_for(request.user, caf_children[0].child).exclude(
        pk__in=[caf_child.child_id for caf_child in caf_children]
    )
    chosen = parse_id(request.GET.get("child"))
    form = CafChildrenAddForm(
        posted_or_none(request), candidates=candidates, initial={"children": [chosen] if chosen else []}
    )
    if form.is_bound and form.is_valid():
        try:
            services.caf_children_add(user=request.user, caf=caf, children=list(form.cleaned_data["children"]))
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(
                request, "Added to the CAF. Record consent that names them, and choose their level of need."
            )
            return redirect("caf:caf_detail", caf_id=caf.pk)
    first = caf_children[0].child
    record_new = (
        reverse("caf:child_create")
        + "?"
        + urlencode({"last_name": first.last_name, "postcode": first.postcode, "caf": caf.pk})
    )
    return render(
        request,
        "caf/draft_children_add.html",
        {"caf": caf, "form": form, "has_candidates": candidates.exists(), "record_new": record_new},
    )


@require_http_methods(["GET"])
def caf_detail(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """A draft's task list; for an active or closed CAF, a summary with links to its other pages."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Viewed the CAF")
    return render(request, "caf/detail.html", selectors.caf_overview(request.user, caf).as_context())


# Assessment ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def assessment(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """Strengths and needs for each sub-domain of the Assessment Framework, and the views of the
    child and of the parents and carers."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the assessment")
    policies.refuse_unless(policies.may_change_assessment(request.user, caf))
    existing = {entry.sub_domain_id: entry for entry in caf.assessment_entries.all()}
    initial: dict[str, Any] = {"views_of_child": caf.views_of_child, "views_of_family": caf.views_of_family}
    for sub_domain_id, entry in existing.items():
        initial[f"strengths_{sub_domain_id}"] = entry.strengths
        initial[f"needs_{sub_domain_id}"] = entry.needs
    domains = list(Domain.objects.prefetch_related("sub_domains"))
    initial["version"] = caf.assessment_version
    keeper = FormKeeper(request, record=caf.record_key)
    form = AssessmentForm(keeper.data(), initial=initial, domains=domains)
    conflict: dict[str, Any] | None = None
    if form.is_bound and form.is_valid():
        try:
            with keeper.saving():
                services.assessment_save(
                    user=request.user,
                    caf=caf,
                    entries=form.entries(existing.keys()),
                    views_of_child=form.cleaned_data["views_of_child"],
                    views_of_family=form.cleaned_data["views_of_family"],
                    drawn_from=form.cleaned_data["version"],
                )
        except Conflict as error:
            # What is saved now, beside what was typed; the typed text stays in the form (and in the
            # person's draft), now drawn from the saved version, so their next save is a merge.
            caf.refresh_from_db()
            saved = {entry.sub_domain_id: (entry.strengths, entry.needs) for entry in caf.assessment_entries.all()}
            conflict = {"error": error, "rows": form.differences_from(caf, saved)}
            data = request.POST.copy()
            data["version"] = str(caf.assessment_version)
            form = AssessmentForm(data, initial=initial, domains=domains)
            refusal_show(form, error)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Assessment saved.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    keeper.restore(form)
    return render(
        request, "caf/draft_assessment.html", {"caf": caf, "form": form, "keeper": keeper, "conflict": conflict}
    )


# Each child's level of need -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def child_level(request: AuthenticatedHttpRequest, caf_id: int, caf_child_id: int) -> HttpResponse:
    """Step 1: tick the child's indicators and check the level (an immediate-harm indicator stops
    here with what to do now). Step 2: choose the level, the suggestion preselected, with a reason
    when it differs. A fixed number of queries whatever the model's size or the number ticked."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened a child's level of need")
    policies.refuse_unless(policies.may_change_assessment(request.user, caf))
    caf_child = get_object_or_404(
        CafChild.objects.select_related("child", "level", "suggested_level"), caf=caf, pk=caf_child_id
    )
    snapshot = model_snapshot(caf.threshold_model)
    page_url = reverse("caf:child_level", args=[caf.pk, caf_child.pk])
    step = request.POST.get("step") if request.method == "POST" else request.GET.get("step")
    keeper = FormKeeper(request, record=caf.record_key)  # each step its own draft: its own address
    context: dict[str, Any] = {"caf": caf, "caf_child": caf_child, "page_url": page_url, "keeper": keeper}

    if step == "level":
        if snapshot.indicators and caf_child.suggested_level_id is None:
            return redirect(page_url)  # check the level first
        child = caf_child.child
        result = selectors.child_suggestion(caf_child, snapshot)
        if result.refer_now:
            return render(request, "caf/draft_level_refer.html", {**context, "result": result})
        form = LevelChoiceForm(
            keeper.data(),
            initial={"level": caf_child.level_id or caf_child.suggested_level_id},
            levels=snapshot.levels,
            suggested_id=caf_child.suggested_level_id,
        )
        if form.is_bound and form.is_valid():
            level = Level.objects.get(pk=form.cleaned_data["level"], threshold_model_id=caf.threshold_model_id)
            try:
                with keeper.saving():
                    services.child_level_set(
                        user=request.user, caf_child=caf_child, level=level, reason=form.cleaned_data["reason"]
                    )
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, f"{child}'s level of need is saved: {level.label}.")
                return redirect("caf:caf_detail", caf_id=caf.pk)
        keeper.restore(form)
        return render(request, "caf/draft_level_choose.html", {**context, "form": form, "result": result})

    form = IndicatorsForm(
        keeper.data(),
        initial={"extra_unmet_needs": caf_child.extra_unmet_needs},
        indicator_ids=snapshot.indicators.keys(),
    )
    if form.is_bound and form.is_valid():
        try:
            with keeper.saving():
                result = services.child_indicators_set(
                    user=request.user,
                    caf_child=caf_child,
                    indicators=Indicator.objects.filter(
                        threshold_model_id=caf.threshold_model_id, pk__in=form.cleaned_data["indicator"]
                    ),
                    extra_unmet_needs=form.cleaned_data["extra_unmet_needs"] or 0,
                )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            if result.refer_now:
                return render(request, "caf/draft_level_refer.html", {**context, "result": result})
            return redirect(f"{page_url}?step=level")
    restored = keeper.restore(form)
    if form.is_bound:  # keep what was ticked when the page comes back with an error
        ticked = parse_ids(request.POST.getlist("indicator"))
    elif restored is not None:  # or when the person comes back to what they had not saved
        ticked = parse_ids(restored.data.get("indicator", []))
    else:
        ticked = set(caf_child.indicators.values_list("pk", flat=True))
    context.update(
        {
            "form": form,
            "guide": model_guide(caf.threshold_model),
            "ticked": ticked,
            "has_indicators": bool(snapshot.indicators),
        }
    )
    return render(request, "caf/draft_level_indicators.html", context)


# Check your answers and submit --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def caf_submit(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """Check your answers, then draft to active (caf.services.caf_submit holds the rules)."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Checked the CAF's answers")
    policies.refuse_unless(caf.initiated_by_id == request.user.pk)  # the initiator's page, in every state
    if caf.status == Caf.Status.ACTIVE and request.method == "GET":
        return render(request, "caf/draft_submitted.html", {"caf": caf})
    if caf.status != Caf.Status.DRAFT:
        return redirect("caf:caf_detail", caf_id=caf.pk)
    policies.refuse_unless(policies.may_submit(request.user, caf))
    form = ConfirmForm(posted_or_none(request), button="Submit the assessment")
    if form.is_bound and form.is_valid():
        try:
            services.caf_submit(user=request.user, caf=caf)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            return redirect("caf:caf_submit", caf_id=caf.pk)
    problems = list(form.non_field_errors()) if form.is_bound else selectors.submit_problems(caf)
    answers = selectors.caf_answers(caf)
    return render(
        request,
        "caf/draft_submit.html",
        {
            "caf": caf,
            "form": form,
            "problems": problems,
            "consent": answers.consent,
            "domains": answers.domains,
            "caf_children": answers.caf_children,
            "adults": list(caf.adults.order_by("full_name", "pk")),
        },
    )


urlpatterns = [
    path("cafs/start/<int:child_id>/", caf_start, name="caf_start"),
    path("cafs/<int:caf_id>/", caf_detail, name="caf_detail"),
    path("cafs/<int:caf_id>/children/add/", caf_children_add, name="caf_children_add"),
    path("cafs/<int:caf_id>/assessment/", assessment, name="assessment"),
    path("cafs/<int:caf_id>/children/<int:caf_child_id>/level/", child_level, name="child_level"),
    path("cafs/<int:caf_id>/submit/", caf_submit, name="caf_submit"),
]
