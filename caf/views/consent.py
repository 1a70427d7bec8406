"""The family's consent on the CAF's pages (see caf/urls.py): recording and changing consent, the
family's exclusions and lifting them, withdrawal, and the safeguarding override.

Every page fetches the CAF through caf.selectors.caf_get_for_user (404 and a logged refusal for
anyone without access); writes go through caf.services, whose refusals become form errors.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from accounts.drafts import FormKeeper
from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id
from caf import hooks, policies, selectors, services
from caf.forms_consent import (
    ConsentForm,
    ConsentWithdrawForm,
    ExclusionLiftForm,
    ExclusionRecordForm,
    SafeguardingOverrideForm,
)
from caf.models import Caf, Consent, FamilyExclusion
from core.errors import Conflict
from core.forms import posted_or_none, refusal_show

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
    keeper = FormKeeper(request, record=caf.record_key)
    initial = {**selectors.consent_initial(caf, changing), "version": selectors.consents_version(caf)}

    def consent_form(data: QueryDict | None) -> ConsentForm:
        return ConsentForm(
            data,
            initial=initial,
            agencies=choices.agencies,
            excludable_agencies=choices.excludable_agencies,
            people=choices.people,
            own_agency=caf.initiating_agency,
            children=caf.children.order_by("date_of_birth", "pk"),
        )

    form = consent_form(keeper.data())
    conflict: dict[str, Any] | None = None
    if form.is_bound and form.is_valid():
        try:
            with keeper.saving():
                services.consent_record(
                    user=request.user,
                    caf=caf,
                    replaces=changing,
                    drawn_from=form.cleaned_data["version"] or None,
                    **form.service_arguments(),
                )
        except Conflict as error:
            # The consents as they stand now are shown above the form; what was typed stays in it, now
            # drawn from them, so saving again is a decision made knowing them.
            conflict = {"error": error, "consents": [each for each in selectors.caf_consents(caf) if each.is_current]}
            data = request.POST.copy()
            data["version"] = selectors.consents_version(caf)
            form = consent_form(data)
            refusal_show(form, error)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Consent recorded.")
            return redirect("caf:caf_detail", caf_id=caf.pk)
    keeper.restore(form)
    return render(
        request,
        "caf/draft_consent.html",
        {
            "caf": caf,
            "form": form,
            "exclusions": choices.exclusions,
            "changing": changing,
            "keeper": keeper,
            "conflict": conflict,
        },
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
    policies.refuse_unless(policies.may_record_safeguarding_override(request.user, caf))
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


urlpatterns = [
    path("cafs/<int:caf_id>/consent/", consent_record, name="consent_record"),
    path("cafs/<int:caf_id>/consent/<int:consent_id>/withdraw/", consent_withdraw, name="consent_withdraw"),
    path("cafs/<int:caf_id>/exclusions/new/", exclusion_record, name="exclusion_record"),
    path("cafs/<int:caf_id>/exclusions/<int:exclusion_id>/lift/", exclusion_lift, name="exclusion_lift"),
    path("cafs/<int:caf_id>/override/", safeguarding_override, name="safeguarding_override"),
]
