"""Step-up pages: starting a referral to children's social care, the call to the front door when a
child is at immediate risk, the referral itself (sending it, then its summary, decision and
timeline), and the front door's side: the queue, claiming and deciding.

Each page asks one referrals.selectors page selector for what it shows (which fetches the
referral with referral_get_for_user: 404 and a logged refusal for anyone who may not see it;
every read logged), binds its form and makes its change through referrals.services, which check
who may make it: their PermissionDenied is a 403, their refusals (Refused) are shown on the form
or, for a button, as a message.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.drafts import FormKeeper
from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id
from caf.found import found_children
from core.forms import posted_or_none, refusal_show
from core.paging import pagination
from referrals import selectors, services
from referrals.forms_stepup import DecideForm, FrontDoorCallForm, QueueFilterForm, ReferralSendForm, ReferralStartForm
from referrals.models import Referral

GET_AND_POST = require_http_methods(["GET", "POST"])


def _id(value: str | None) -> int:
    number = parse_id(value)
    if number is None:
        raise Http404("Say which CAF or child the referral is for.")
    return number


# Starting a referral ------------------------------------------------------------------------------


@GET_AND_POST
def referral_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """From a CAF (?caf=<id>: its children, with the CAF attached as evidence) or from a child's
    record (?child=<id>: a referral without a CAF)."""
    if "caf" in request.GET:
        page = selectors.referral_start_page(request.user, caf_id=_id(request.GET.get("caf")))
    else:
        page = selectors.referral_start_page(
            request.user, child_id=_id(request.GET.get("child")), found=found_children(request)
        )
    form = ReferralStartForm(posted_or_none(request), children=page.children)
    if form.is_bound and form.is_valid():
        try:
            referral = services.referral_start(
                user=request.user, children=form.chosen_children(), caf=page.caf, immediate_risk=form.is_immediate()
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            if referral.is_immediate:
                return redirect("referrals:front_door_call", referral_id=referral.pk)
            messages.success(request, "Referral started. Write the referral and send it.")
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    selectors.earlier_referrals_log(request.user, form.all_children, page.earlier)
    return render(
        request,
        "referrals/start.html",
        {"form": form, "caf": page.caf, "children": form.all_children, "earlier": page.earlier, "history_note": True},
    )


# Immediate risk: phone first ----------------------------------------------------------------------


@GET_AND_POST
def front_door_call(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    page = selectors.front_door_call_page(request.user, referral_id)
    referral = page.referral
    if referral.status != Referral.Status.DRAFT:
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    form = FrontDoorCallForm(posted_or_none(request), zone=page.calendar.zone)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            services.front_door_call_record(
                user=request.user,
                referral=referral,
                called_at=data["called_at"],
                spoke_to=data["spoke_to"],
                advice=data["advice"],
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, "Call recorded. Now write the referral and send it.")
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    return render(
        request,
        "referrals/front_door_call.html",
        {
            "referral": referral,
            "council": referral.council,
            "form": form,
            "children": page.children,
            "out_of_hours_now": page.out_of_hours_now,
        },
    )


# The referral -------------------------------------------------------------------------------------


@GET_AND_POST
def referral_detail(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """A draft: the form to write it (anyone who may see a draft may write it), whose answers are
    kept as the person's draft (accounts.drafts) and then checked on the next page before it is sent.
    Sent or decided: what was referred, the decision and the timeline, with the front door's actions
    for its managers."""
    page = selectors.referral_page(request.user, referral_id)
    referral = page.referral
    form: ReferralSendForm | None = None
    keeper = FormKeeper(request, record=referral.record_key)
    if referral.status == Referral.Status.DRAFT:
        form = ReferralSendForm(keeper.data(), referral=referral)
        if form.is_bound and form.is_valid():
            try:
                services.referral_send_check(user=request.user, referral=referral, **form.service_arguments())
            except ValidationError as error:
                refusal_show(form, error)
            else:
                return redirect("referrals:referral_check", referral_id=referral.pk)
        keeper.restore(form)
    elif request.method == "POST":
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    return _referral_page(request, page, form, keeper)


def _referral_page(
    request: AuthenticatedHttpRequest, page: selectors.ReferralPage, form: ReferralSendForm | None, keeper: FormKeeper
) -> HttpResponse:
    selectors.earlier_referrals_log(request.user, page.children, page.earlier, page.previous)
    return render(
        request,
        "referrals/detail.html",
        {**vars(page), "form": form, "claim_form": ConfirmForm(button="Claim this referral"), "keeper": keeper},
    )


@GET_AND_POST
def referral_check(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """Check your answers before sending (issue 14). The answers are the person's draft of the
    referral's form, so "Change" goes back to the form with them and nothing typed is lost; sending
    goes through services.referral_send and deletes the draft in the same transaction. Answers the
    form or the service refuses go back to the form, with the error summary."""
    page = selectors.referral_page(request.user, referral_id)
    referral = page.referral
    if referral.status != Referral.Status.DRAFT:
        if request.method == "POST":
            messages.error(request, "This referral has already been sent: it cannot be sent again.")
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    form_path = reverse("referrals:referral_detail", args=[referral.pk])
    keeper = FormKeeper(request, record=referral.record_key, form_path=form_path)
    form = ReferralSendForm(keeper.kept(), referral=referral)
    if not form.is_bound:
        return redirect(form_path)  # nothing written yet: the form first
    if form.is_valid():
        try:
            if request.method == "POST":
                with keeper.saving():
                    services.referral_send(user=request.user, referral=referral, **form.service_arguments())
            else:
                services.referral_send_check(user=request.user, referral=referral, **form.service_arguments())
        except ValidationError as error:
            refusal_show(form, error)
        else:
            if request.method == "POST":
                messages.success(request, "The referral has been sent to children's social care.")
                return redirect("referrals:referral_detail", referral_id=referral.pk)
    if form.errors:
        return _referral_page(request, page, form, keeper)
    return render(
        request,
        "referrals/check.html",
        {"referral": referral, "children": page.children, "answers": form.answers(), "form_path": form_path},
    )


@require_POST
def referral_claim(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id, what="Opened a referral to claim it")
    try:
        services.referral_claim(user=request.user, referral=referral)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "You have claimed this referral: the queue shows it as yours.")
    return redirect("referrals:referral_detail", referral_id=referral.pk)


@GET_AND_POST
def referral_decide(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    page = selectors.decide_page(request.user, referral_id)
    referral = page.referral
    if referral.status != Referral.Status.SENT:
        messages.error(request, "This referral is not awaiting a decision.")
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    keeper = FormKeeper(request, record=referral.record_key)
    form = DecideForm(keeper.data(), social_workers=page.social_workers, agencies=page.agencies, people=page.people)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            with keeper.saving():
                decided = services.referral_decide(
                    user=request.user,
                    referral=referral,
                    decision=data["decision"],
                    reasons=data["reasons"],
                    advice=data["advice"],
                    social_worker=form.social_worker(),
                    step_down=form.step_down(),
                )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, selectors.decided_message(decided))
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    keeper.restore(form)
    return render(
        request,
        "referrals/decide.html",
        {"referral": referral, "form": form, "children": page.children, "keeper": keeper},
    )


# The front-door queue -----------------------------------------------------------------------------


@require_GET
def front_door(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Referrals awaiting a decision, for the council's front-door managers, a page at a time: a
    fixed number of queries whatever the number of rows."""
    user = request.user
    params = request.GET.copy()
    page_asked = params.pop("page", [None])[-1]
    form = QueueFilterForm(params or None, localities=selectors.localities_of(user.council_id))
    shown = selectors.front_door_page(user, **(form.filters() if form.is_bound else {}), page=page_asked)
    return render(
        request,
        "referrals/front_door.html",
        {
            "form": form,
            "rows": shown.rows,
            "page": shown.page,
            "pagination": pagination(shown.page, request.GET),
            "filtered": form.is_bound,
            "queue_url": reverse("referrals:front_door"),
        },
    )


@require_GET
def referral_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """One home-page queue of referrals in full: the user's own referrals (without `?queue=`), their
    allocations, or the front door's recent decisions."""
    shown = selectors.referral_list_page(
        request.user, queue=request.GET.get("queue", "made"), page=request.GET.get("page")
    )
    return render(
        request,
        "referrals/referral_list.html",
        {"page": shown.page, "heading": shown.heading, "pagination": pagination(shown.page, request.GET)},
    )


urlpatterns = [
    path("referrals/", front_door, name="front_door"),
    path("referrals/list/", referral_list, name="referral_list"),
    path("referrals/start/", referral_start, name="referral_start"),
    path("referrals/<int:referral_id>/", referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/check/", referral_check, name="referral_check"),
    path("referrals/<int:referral_id>/call/", front_door_call, name="front_door_call"),
    path("referrals/<int:referral_id>/claim/", referral_claim, name="referral_claim"),
    path("referrals/<int:referral_id>/decide/", referral_decide, name="referral_decide"),
]
