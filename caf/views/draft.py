"""Draft screens of the CAF (see caf/urls.py): start a CAF for a child or a family, the CAF's
overview (a task list while it is a draft), consent and its withdrawal, the safeguarding override,
the assessment, each child's level of need, and check your answers.

Every page fetches the CAF through caf.selectors.caf_get_for_user (404 and a logged refusal for
anyone without access); writes go through caf.services, whose refusals become form errors.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id, parse_ids
from caf import hooks, policies, selectors, services
from caf.forms_draft import (
    AssessmentForm,
    CafStartForm,
    ConsentForm,
    ConsentWithdrawForm,
    ExclusionLiftForm,
    ExclusionRecordForm,
    IndicatorsForm,
    LevelChoiceForm,
    SafeguardingOverrideForm,
)
from caf.models import Caf, CafChild, Consent, FamilyExclusion, PlanAction
from caf.views.children import found_children
from core.forms import posted_or_none, refusal_show
from thresholds.classifier import Answers, classify
from thresholds.models import Domain, Indicator, Level
from thresholds.selectors import model_guide, model_snapshot


def url_or_none(name: str, *args: Any) -> str | None:
    """A link to a page that another part of the service may not have built yet: None until it exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _refuse_unless(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied("You do not have access to change this CAF.")


def _caf_children(caf: Caf) -> list[CafChild]:
    return list(
        caf.caf_children.select_related("child", "level", "suggested_level").order_by(
            "child__last_name", "child__first_name", "pk"
        )
    )


def _consents(caf: Caf) -> list[Consent]:
    """Every consent of the CAF, newest first, with its scope: a fixed number of queries."""
    return list(
        caf.consents.select_related("recorded_by", "withdrawal_recorded_by")
        .prefetch_related("agencies", "excluded_agencies", "excluded_people__agency", "children")
        .order_by("-recorded_at", "-pk")
    )


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
    form = CafStartForm(posted_or_none(request), candidates=candidates)
    if form.is_bound and form.is_valid():
        try:
            caf = services.caf_start(user=request.user, children=[child, *form.cleaned_data["siblings"]])
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Draft CAF started. Record the family's consent first.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(
        request, "caf/draft_start.html", {"child": child, "form": form, "has_candidates": candidates.exists()}
    )


# The CAF's overview -------------------------------------------------------------------------------


def _task(name: str, href: str | None, status: str, *, done: bool = False, hint: str = "") -> dict[str, Any]:
    return {"name": name, "href": href, "status": status, "done": done, "hint": hint}


def _draft_tasks(caf: Caf, caf_children: list[CafChild], consent: Consent | None, may_change: bool) -> list[dict]:
    def link(name: str, *args: Any) -> str | None:
        return reverse(name, args=[caf.pk, *args]) if may_change else None

    consent_link = link("caf:consent_record")
    if consent_link and consent:
        consent_link += f"?change={consent.pk}"
    tasks = [
        _task(
            "Record consent",
            consent_link,
            "Completed" if consent else "Not yet started",
            done=consent is not None,
            hint=f"Given by {consent.given_by} ({consent.relationship})" if consent else "",
        )
    ]
    written = caf.assessment_entries.exclude(strengths="", needs="").exists()
    tasks.append(
        _task("Assessment", link("caf:assessment"), "Completed" if written else "Not yet started", done=written)
    )
    for caf_child in caf_children:
        if caf_child.level_id:
            status, hint = "Completed", caf_child.level.label
        elif caf_child.suggested_level_id:
            status, hint = "In progress", f"Suggested: {caf_child.suggested_level.label}"
        else:
            status, hint = "Not yet started", ""
        tasks.append(
            _task(
                f"Level of need for {caf_child.child}",
                link("caf:child_level", caf_child.pk),
                status,
                done=bool(caf_child.level_id),
                hint=hint,
            )
        )
    ready = consent is not None and written and all(caf_child.level_id for caf_child in caf_children)
    tasks.append(
        _task(
            "Check answers and submit",
            link("caf:caf_submit") if ready else None,
            "Not yet started" if ready else "Cannot start yet",
        )
    )
    return tasks


@require_http_methods(["GET"])
def caf_detail(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """A draft's task list; for an active or closed CAF, a summary with links to its other pages.
    A fixed number of queries whatever the number of children, agencies or members."""
    user = request.user
    caf = selectors.caf_get_for_user(user, caf_id, what="Viewed the CAF")
    caf_children = _caf_children(caf)
    consents = _consents(caf)
    current = [each for each in consents if each.is_current]
    consent = current[0] if current else None
    is_administrator = policies.is_caf_administrator(user, caf.council_id)
    may_change = policies.may_change_assessment(user, caf)
    may_record_consent = policies.may_record_consent(user, caf)
    context: dict[str, Any] = {
        "caf": caf,
        "caf_children": caf_children,
        "consent": consent,
        "current_consents": current,
        "withdrawn_consents": [each for each in consents if each.withdrawn_on],
        "exclusions": list(
            FamilyExclusion.objects.filter(caf=caf, lifted_at__isnull=True).select_related("agency", "user__agency")
        ),
        "may_withdraw": may_record_consent,
        "may_record_consent": may_record_consent,
        "may_record_exclusion": policies.may_record_exclusion(user, caf),
        "referrals": list(hooks.caf_referrals(caf)),
    }
    if caf.status == Caf.Status.DRAFT:
        context["tasks"] = _draft_tasks(caf, caf_children, consent, may_change)
        context["may_override"] = may_change and consent is None
        return render(request, "caf/detail.html", context)

    levelled = [caf_child for caf_child in caf_children if caf_child.level_id]
    plan = dict(caf.actions.values_list("status").annotate(count=Count("pk")))
    context.update(
        {
            "highest_level": max((each.level for each in levelled), key=lambda level: level.order, default=None),
            "taf_members": list(caf.taf_members.filter(left_at__isnull=True).select_related("user", "agency")),
            "lead": caf.lead_professionals.filter(ended_at__isnull=True).select_related("user").first(),
            "plan_open": sum(plan.get(status, 0) for status in PlanAction.OPEN_STATUSES),
            "plan_done": plan.get(PlanAction.Status.DONE, 0),
            "plan_total": sum(plan.values()),
            "next_action": caf.actions.filter(status__in=PlanAction.OPEN_STATUSES).first(),
            "may_change_level": may_change,
            "links": {
                "taf": url_or_none("caf:taf", caf.pk),
                "plan": url_or_none("caf:plan", caf.pk),
                "print": url_or_none("caf:caf_print", caf.pk),
                "lead_professional": url_or_none("caf:lead_professional", caf.pk)
                if is_administrator and caf.status == Caf.Status.ACTIVE
                else None,
                "register": url_or_none("caf:caf_register", caf.pk)
                if is_administrator and caf.status == Caf.Status.ACTIVE and not caf.registered_at
                else None,
                "close": url_or_none("caf:caf_close", caf.pk) if policies.may_close(user, caf) else None,
                "reopen": url_or_none("caf:caf_reopen", caf.pk) if policies.may_reopen(user, caf) else None,
            },
        }
    )
    return render(request, "caf/detail.html", context)


# Consent ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def consent_record(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """One person's consent. "Change" (?change=<consent>) opens a draft's consent as recorded, and
    the new record replaces it; on an active CAF the form starts from the consenting person, never
    from the agencies covered. Exclusions in force are shown, and stay, until the family lifts them."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the consent form")
    if not policies.may_record_consent(request.user, caf):
        raise PermissionDenied("Only the initiator, the lead professional or a CAF administrator records consent.")
    changing = None
    change = parse_id(request.GET.get("change"))
    if change is not None:
        changing = Consent.objects.current().filter(caf=caf, pk=change).first()
    choices = selectors.consent_choices(caf)
    form = ConsentForm(
        posted_or_none(request),
        initial=selectors.consent_initial(caf, changing),
        agencies=choices.agencies,
        excludable_agencies=choices.excludable_agencies,
        people=choices.people,
        own_agency=caf.initiating_agency,
        children=caf.children.order_by("date_of_birth", "pk"),
    )
    if form.is_bound and form.is_valid():
        try:
            services.consent_record(user=request.user, caf=caf, replaces=changing, **form.service_arguments())
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Consent recorded.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(
        request,
        "caf/draft_consent.html",
        {"caf": caf, "form": form, "exclusions": choices.exclusions, "changing": changing},
    )


@require_http_methods(["GET", "POST"])
def exclusion_record(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """The family asks that someone does not see their assessment (also on a closed CAF)."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the form to record an exclusion")
    if not policies.may_record_exclusion(request.user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records what the family asked.")
    choices = selectors.consent_choices(caf)
    form = ExclusionRecordForm(posted_or_none(request), agencies=choices.excludable_agencies, people=choices.people)
    if form.is_bound and form.is_valid():
        try:
            services.exclusion_record(
                user=request.user,
                caf=caf,
                made_by=form.cleaned_data["made_by"],
                agencies=form.cleaned_data["agencies"],
                people=form.cleaned_data["people"],
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Recorded. They can no longer see the family's assessment.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(request, "caf/exclusion_record.html", {"caf": caf, "form": form, "exclusions": choices.exclusions})


@require_http_methods(["GET", "POST"])
def exclusion_lift(request: AuthenticatedHttpRequest, caf_id: int, exclusion_id: int) -> HttpResponse:
    """Only the family member who made an exclusion lifts it: a recorded act."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the form to lift an exclusion")
    if not policies.may_lift_exclusion(request.user, caf):
        raise PermissionDenied("Only the lead professional or a CAF administrator records what the family asked.")
    exclusion = get_object_or_404(
        FamilyExclusion.objects.select_related("agency", "user"), caf=caf, pk=exclusion_id, lifted_at__isnull=True
    )
    form = ExclusionLiftForm(posted_or_none(request), made_by=exclusion.made_by)
    if form.is_bound and form.is_valid():
        try:
            services.exclusion_lift(
                user=request.user,
                exclusion=exclusion,
                asked_by=form.cleaned_data["asked_by"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The exclusion is lifted.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(request, "caf/exclusion_lift.html", {"caf": caf, "form": form, "exclusion": exclusion})


@require_http_methods(["GET", "POST"])
def consent_withdraw(request: AuthenticatedHttpRequest, caf_id: int, consent_id: int) -> HttpResponse:
    """Withdrawal is recorded, never deleted; it stops further sharing and closes an active CAF
    unless a safeguarding referral follows."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the consent withdrawal form")
    if not policies.may_withdraw_consent(request.user, caf):
        raise PermissionDenied("Only the initiator, the lead professional or a CAF administrator records this.")
    consent = get_object_or_404(
        caf.consents.prefetch_related("agencies", "excluded_agencies", "excluded_people"), pk=consent_id
    )
    form = ConsentWithdrawForm(posted_or_none(request), consent=consent)
    if form.is_bound and form.is_valid():
        follows = form.cleaned_data["safeguarding_referral_follows"]
        try:
            services.consent_withdraw(
                user=request.user,
                consent=consent,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                safeguarding_referral_follows=follows,
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            caf.refresh_from_db(fields=["status"])
            if follows:
                done = "Consent withdrawn. A referral to children's social care has been started as a draft."
            elif caf.status == Caf.Status.CLOSED:
                done = "Consent withdrawn. The CAF is closed: consent withdrawn."
            else:
                done = "Consent withdrawn. Nothing more is shared with other agencies."
            messages.success(request, done)
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(request, "caf/draft_consent_withdraw.html", {"caf": caf, "consent": consent, "form": form})


@require_http_methods(["GET", "POST"])
def safeguarding_override(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """Without consent a CAF cannot go on: where seeking consent would increase the risk of
    significant harm, the concern becomes a referral draft with this draft CAF as evidence."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the safeguarding override")
    _refuse_unless(policies.may_record_safeguarding_override(request.user, caf))
    started = parse_id(request.GET.get("started"))
    referral = (
        hooks.caf_referrals(caf, safeguarding_override=True).filter(pk=started).first() if started is not None else None
    )
    if referral is not None and request.method == "GET":
        return render(request, "caf/draft_override_done.html", {"caf": caf, "referral": referral})
    form = SafeguardingOverrideForm(posted_or_none(request))
    if form.is_bound and form.is_valid():
        try:
            referral = services.safeguarding_override_record(
                user=request.user, caf=caf, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            return redirect(f"{reverse('caf:safeguarding_override', args=[caf.pk])}?started={referral.pk}")
    earlier = hooks.caf_referrals(caf, safeguarding_override=True).first()
    return render(request, "caf/draft_override.html", {"caf": caf, "form": form, "earlier": earlier})


# Assessment ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def assessment(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    """Strengths and needs for each sub-domain of the Assessment Framework, and the views of the
    child and of the parents and carers."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened the assessment")
    _refuse_unless(policies.may_change_assessment(request.user, caf))
    existing = {entry.sub_domain_id: entry for entry in caf.assessment_entries.all()}
    initial = {"views_of_child": caf.views_of_child, "views_of_family": caf.views_of_family}
    for sub_domain_id, entry in existing.items():
        initial[f"strengths_{sub_domain_id}"] = entry.strengths
        initial[f"needs_{sub_domain_id}"] = entry.needs
    domains = list(Domain.objects.prefetch_related("sub_domains"))
    form = AssessmentForm(posted_or_none(request), initial=initial, domains=domains)
    if form.is_bound and form.is_valid():
        try:
            services.assessment_save(
                user=request.user,
                caf=caf,
                entries=form.entries(existing.keys()),
                views_of_child=form.cleaned_data["views_of_child"],
                views_of_family=form.cleaned_data["views_of_family"],
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Assessment saved.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    return render(request, "caf/draft_assessment.html", {"caf": caf, "form": form})


# Each child's level of need -----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def child_level(request: AuthenticatedHttpRequest, caf_id: int, caf_child_id: int) -> HttpResponse:
    """Step 1: tick the child's indicators and check the level (an immediate-harm indicator stops
    here with what to do now). Step 2: choose the level, the suggestion preselected, with a reason
    when it differs. A fixed number of queries whatever the model's size or the number ticked."""
    caf = selectors.caf_get_for_user(request.user, caf_id, what="Opened a child's level of need")
    _refuse_unless(policies.may_change_assessment(request.user, caf))
    caf_child = get_object_or_404(
        CafChild.objects.select_related("child", "level", "suggested_level"), caf=caf, pk=caf_child_id
    )
    snapshot = model_snapshot(caf.threshold_model)
    page_url = reverse("caf:child_level", args=[caf.pk, caf_child.pk])
    step = request.POST.get("step") if request.method == "POST" else request.GET.get("step")
    context: dict[str, Any] = {"caf": caf, "caf_child": caf_child, "page_url": page_url}

    if step == "level":
        ticked = frozenset(caf_child.indicators.values_list("pk", flat=True))
        if snapshot.indicators and caf_child.suggested_level_id is None:
            return redirect(page_url)  # check the level first
        child = caf_child.child
        result = classify(
            snapshot,
            Answers(
                indicator_ids=ticked,
                extra_unmet_needs=caf_child.extra_unmet_needs,
                age=child.age_on(timezone.localdate()),
                unborn=child.is_unborn,
                send=child.send,
            ),
        )
        if result.refer_now:
            return render(request, "caf/draft_level_refer.html", {**context, "result": result})
        form = LevelChoiceForm(
            posted_or_none(request),
            initial={"level": caf_child.level_id or caf_child.suggested_level_id},
            levels=snapshot.levels,
            suggested_id=caf_child.suggested_level_id,
        )
        if form.is_bound and form.is_valid():
            level = Level.objects.get(pk=form.cleaned_data["level"], threshold_model_id=caf.threshold_model_id)
            try:
                services.child_level_set(
                    user=request.user, caf_child=caf_child, level=level, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, f"{child}'s level of need is saved: {level.label}.")
                return redirect("caf:caf_detail", caf_id=caf.pk)
        return render(request, "caf/draft_level_choose.html", {**context, "form": form, "result": result})

    form = IndicatorsForm(
        posted_or_none(request),
        initial={"extra_unmet_needs": caf_child.extra_unmet_needs},
        indicator_ids=snapshot.indicators.keys(),
    )
    if form.is_bound and form.is_valid():
        try:
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
    if form.is_bound:  # keep what was ticked when the page comes back with an error
        ticked = parse_ids(request.POST.getlist("indicator"))
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
    _refuse_unless(caf.initiated_by_id == request.user.pk)  # the initiator's page, in every state
    if caf.status == Caf.Status.ACTIVE and request.method == "GET":
        return render(request, "caf/draft_submitted.html", {"caf": caf})
    if caf.status != Caf.Status.DRAFT:
        return redirect("caf:caf_detail", caf_id=caf.pk)
    _refuse_unless(policies.may_submit(request.user, caf))
    form = ConfirmForm(posted_or_none(request), button="Submit the assessment")
    if form.is_bound and form.is_valid():
        try:
            services.caf_submit(user=request.user, caf=caf)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            return redirect("caf:caf_submit", caf_id=caf.pk)
    problems = list(form.non_field_errors()) if form.is_bound else services.submit_problems(caf)
    consents = _consents(caf)
    entries = {
        entry.sub_domain_id: entry
        for entry in caf.assessment_entries.select_related("sub_domain").exclude(strengths="", needs="")
    }
    domains = [
        (domain, [(sub_domain, entries.get(sub_domain.pk)) for sub_domain in domain.sub_domains.all()])
        for domain in Domain.objects.prefetch_related("sub_domains")
    ]
    caf_children = list(
        caf.caf_children.select_related("child", "level", "suggested_level")
        .prefetch_related("indicators")
        .order_by("child__last_name", "child__first_name", "pk")
    )
    return render(
        request,
        "caf/draft_submit.html",
        {
            "caf": caf,
            "form": form,
            "problems": problems,
            "consent": next((each for each in consents if each.is_current), None),
            "domains": domains,
            "caf_children": caf_children,
        },
    )


urlpatterns = [
    path("cafs/start/<int:child_id>/", caf_start, name="caf_start"),
    path("cafs/<int:caf_id>/", caf_detail, name="caf_detail"),
    path("cafs/<int:caf_id>/consent/", consent_record, name="consent_record"),
    path("cafs/<int:caf_id>/consent/<int:consent_id>/withdraw/", consent_withdraw, name="consent_withdraw"),
    path("cafs/<int:caf_id>/exclusions/new/", exclusion_record, name="exclusion_record"),
    path("cafs/<int:caf_id>/exclusions/<int:exclusion_id>/lift/", exclusion_lift, name="exclusion_lift"),
    path("cafs/<int:caf_id>/override/", safeguarding_override, name="safeguarding_override"),
    path("cafs/<int:caf_id>/assessment/", assessment, name="assessment"),
    path("cafs/<int:caf_id>/children/<int:caf_child_id>/level/", child_level, name="child_level"),
    path("cafs/<int:caf_id>/submit/", caf_submit, name="caf_submit"),
]
