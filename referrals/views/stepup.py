"""Step-up pages: starting a referral to children's social care, the call to the front door when a
child is at immediate risk, the referral itself (sending it, then its summary, decision and
timeline), and the front door's side: the queue, claiming and deciding.

Every page fetches its referral with referrals.selectors.referral_get_for_user (404 and a logged
refusal for anyone who may not see it; every read logged). Writes go through referrals.services,
which check who may make them: their PermissionDenied is a 403, their refusals (Refused) are
shown on the form or, for a button, as a message.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.calendar import WorkingCalendar
from accounts.forms import ConfirmForm
from accounts.http import AuthenticatedHttpRequest
from accounts.models import Agency, AgencyType, Locality
from accounts.parsing import parse_id
from caf import policies as caf_policies
from caf import selectors as caf_selectors
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, Child
from caf.views.children import found_children
from core.forms import posted_or_none, refusal_show
from referrals import policies, selectors, services
from referrals.forms_stepup import DecideForm, FrontDoorCallForm, QueueFilterForm, ReferralSendForm, ReferralStartForm
from referrals.models import Referral

GET_AND_POST = require_http_methods(["GET", "POST"])


def _id(value: str | None) -> int:
    number = parse_id(value)
    if number is None:
        raise Http404("Say which CAF or child the referral is for.")
    return number


def _earlier(request: AuthenticatedHttpRequest, referrals: list[Referral]) -> list[dict[str, Any]]:
    """Earlier referrals as the re-referral warning lists them: when, from whom, and the outcome;
    only those the user may see (children's social care, and whoever already had access to that
    referral). Anyone else learns only that the front door will see the children's history."""
    return [
        {"referral": each, "sent_at": each.sent_at, "outcome": selectors.earlier_outcome(each.decision)}
        for each in referrals
        if selectors.referral_may_see(request.user, each)
    ]


def _earlier_shown(request: AuthenticatedHttpRequest, children: list[Child], *shown: list[dict[str, Any]]) -> None:
    """Each showing of earlier referrals is logged: one row for the page, with the children's ids."""
    count = len({each["referral"].pk for listed in shown for each in listed})
    if count:
        access_log_write(
            user=request.user,
            action=AccessLog.Action.VIEW,
            what=f"Viewed {count} earlier referral{'s' if count != 1 else ''} to children's social care",
            child_ids=[child.pk for child in children],
        )


# Starting a referral ------------------------------------------------------------------------------


@GET_AND_POST
def referral_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    """From a CAF (?caf=<id>: its children, with the CAF attached as evidence) or from a child's
    record (?child=<id>: a referral without a CAF)."""
    caf: Caf | None = None
    if "caf" in request.GET:
        caf = caf_selectors.caf_get_for_user(
            request.user, _id(request.GET.get("caf")), what="Opened the page to start a referral"
        )
        if not caf_policies.may_refer_from(request.user, caf):
            raise PermissionDenied(
                "Only the CAF's lead professional refers with the CAF attached: refer from the child's record."
            )
        children = caf.children.order_by("date_of_birth", "pk")
    else:
        child = caf_selectors.child_for_new_caf(
            request.user,
            _id(request.GET.get("child")),
            found=found_children(request),
            what="Opened the page to start a referral",
        )
        children = Child.objects.filter(pk=child.pk)
    form = ReferralStartForm(posted_or_none(request), children=children)
    if form.is_bound and form.is_valid():
        try:
            referral = services.referral_start(
                user=request.user, children=form.chosen_children(), caf=caf, immediate_risk=form.is_immediate()
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            if referral.is_immediate:
                return redirect("referrals:front_door_call", referral_id=referral.pk)
            messages.success(request, "Referral started. Write the referral and send it.")
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    earlier = _earlier(request, selectors.referrals_within_a_year(form.all_children, before=timezone.now()))
    _earlier_shown(request, form.all_children, earlier)
    return render(
        request,
        "referrals/start.html",
        {"form": form, "caf": caf, "children": form.all_children, "earlier": earlier, "history_note": True},
    )


# Immediate risk: phone first ----------------------------------------------------------------------


@GET_AND_POST
def front_door_call(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(
        request.user,
        referral_id,
        what="Opened the immediate-risk call page",
        require=policies.is_referrer,
    )
    if referral.status != Referral.Status.DRAFT:
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    council = referral.council
    calendar = WorkingCalendar.for_council(council)
    form = FrontDoorCallForm(posted_or_none(request), zone=calendar.zone)
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
            "council": council,
            "form": form,
            "children": list(referral.children.all()),
            "out_of_hours_now": _out_of_hours(calendar),
        },
    )


def _out_of_hours(calendar: WorkingCalendar) -> bool:
    """Whether the front door is closed now (the emergency duty team answers instead)."""
    local = timezone.now().astimezone(calendar.zone)
    return not calendar.is_working_day(local.date()) or not calendar.starts <= local.time() < calendar.ends


# The referral -------------------------------------------------------------------------------------


@GET_AND_POST
def referral_detail(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    """A draft: the form to send it (anyone who may see a draft may send it). Sent or decided: what
    was referred, the decision and the timeline, with the front door's actions for its managers."""
    user = request.user
    referral = selectors.referral_get_for_user(user, referral_id)
    children = list(referral.children.order_by("date_of_birth", "pk"))
    context: dict[str, Any] = {"referral": referral, "children": children, "form": None}
    if referral.status == Referral.Status.DRAFT:
        form = ReferralSendForm(posted_or_none(request), referral=referral)
        if form.is_bound and form.is_valid():
            try:
                services.referral_send(user=user, referral=referral, **form.service_arguments())
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(request, "The referral has been sent to children's social care.")
                return redirect("referrals:referral_detail", referral_id=referral.pk)
        context.update(
            form=form,
            earlier=_earlier(
                request, selectors.referrals_within_a_year(children, before=timezone.now(), exclude=referral.pk)
            ),
            history_note=True,
            needs_call=referral.is_immediate and referral.front_door_called_at is None,
            is_referrer=referral.created_by_id == user.pk,
        )
        _earlier_shown(request, children, context["earlier"])
        return render(request, "referrals/detail.html", context)

    if request.method == "POST":
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    is_social_care = policies.is_social_care_staff(user, referral.council_id)
    is_manager = policies.is_front_door_manager(user, referral.council_id)
    awaiting = referral.status == Referral.Status.SENT
    context.update(
        earlier=_earlier(
            request, selectors.referrals_within_a_year(children, before=referral.sent_at, exclude=referral.pk)
        ),
        is_social_care=is_social_care,
        clock=selectors.decision_clock(referral) if is_social_care else None,
        previous=_earlier(request, list(selectors.previous_referrals(referral))) if is_social_care else [],
        may_claim=is_manager and awaiting and referral.claimed_by_id != user.pk,
        claim_form=ConfirmForm(button="Claim this referral"),
        may_decide=is_manager and awaiting,
        may_step_down=is_social_care
        and referral.status == Referral.Status.DECIDED
        and referral.decision in Referral.SOCIAL_CARE_DECISIONS,
        step_downs=list(referral.step_downs.order_by("sent_at")),
        timeline=list(referral.timeline.select_related("by")),
    )
    _earlier_shown(request, children, context["earlier"], context["previous"])
    return render(request, "referrals/detail.html", context)


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


def _decided_message(referral: Referral) -> str:
    """What happened, in the words the front door needs to hear, read from the state afterwards."""
    names = ", ".join(f"{child.first_name} {child.last_name}" for child in referral.children.all())
    message = f"Decision recorded for {names}: {referral.get_decision_display()}."
    if referral.decision == Referral.Decision.STEP_DOWN:
        step_down = referral.step_downs.first()
        if step_down is not None:
            message += f" Early help has been asked to pick the family up by {step_down.pick_up_due_on:%-d %B %Y}."
    elif referral.decision in Referral.SOCIAL_CARE_DECISIONS:
        worker = referral.allocated_social_worker
        caf = referral.caf
        lead = caf.lead_professionals.filter(ended_at__isnull=True).first() if caf else None
        if lead is not None and lead.user_id == worker.pk:
            message += f" {worker.full_name} is now the lead professional: support is social-work led."
        elif caf is not None and caf.status == Caf.Status.CLOSED:
            message += f" {worker.full_name} is allocated. The CAF has closed as stepped up to children's social care."
        else:
            message += f" {worker.full_name} is allocated as social worker."
    message += f" {referral.created_by.full_name} has been told the outcome."
    return message


@GET_AND_POST
def referral_decide(request: AuthenticatedHttpRequest, referral_id: int) -> HttpResponse:
    referral = selectors.referral_get_for_user(request.user, referral_id, what="Opened a referral to decide it")
    if not policies.is_front_door_manager(request.user, referral.council_id):
        raise PermissionDenied("Only the council's social care managers decide referrals.")
    if referral.status != Referral.Status.SENT:
        messages.error(request, "This referral is not awaiting a decision.")
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    agencies = (
        Agency.objects.filter(council_id=referral.council_id)
        .exclude(agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)
        .order_by("name")
    )
    form = DecideForm(
        posted_or_none(request),
        social_workers=selectors.social_workers_of(referral.council_id),
        agencies=agencies,
        people=selectors.staff_of(referral.council_id),
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            decided = services.referral_decide(
                user=request.user,
                referral=referral,
                decision=data["decision"],
                reasons=data["reasons"],
                advice=data["advice"],
                social_worker=data["social_worker"],
                step_down=form.step_down(),
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, _decided_message(decided))
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    return render(
        request,
        "referrals/decide.html",
        {"referral": referral, "form": form, "children": list(referral.children.all())},
    )


# The front-door queue -----------------------------------------------------------------------------


@require_GET
def front_door(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Referrals awaiting a decision, for the council's front-door managers: a fixed number of
    queries whatever the number of rows."""
    user = request.user
    if not policies.is_front_door_manager(user, user.council_id):
        access_log_write(user=user, action=AccessLog.Action.REFUSED, what="Refused: the front-door queue")
        raise Http404("The front-door queue is for the council's social care managers.")
    form = QueueFilterForm(request.GET or None, localities=Locality.objects.filter(council_id=user.council_id))
    now = timezone.now()
    rows = [
        {
            "referral": referral,
            "clock": selectors.decision_clock(referral, now=now),
            "earlier_outcome": selectors.earlier_outcome(referral.earlier_decision) if referral.earlier_id else "",
        }
        for referral in selectors.front_door_queue(user, **(form.filters() if form.is_bound else {}))
    ]
    # One access-log row for the queue shown, with the children it listed (Settled question 17).
    access_log_write(
        user=user,
        action=AccessLog.Action.VIEW,
        what="Viewed the front-door queue",
        child_ids=[child.pk for row in rows for child in row["referral"].children.all()],
    )
    return render(
        request,
        "referrals/front_door.html",
        {"form": form, "rows": rows, "filtered": form.is_bound, "queue_url": reverse("referrals:front_door")},
    )


urlpatterns = [
    path("referrals/", front_door, name="front_door"),
    path("referrals/start/", referral_start, name="referral_start"),
    path("referrals/<int:referral_id>/", referral_detail, name="referral_detail"),
    path("referrals/<int:referral_id>/call/", front_door_call, name="front_door_call"),
    path("referrals/<int:referral_id>/claim/", referral_claim, name="referral_claim"),
    path("referrals/<int:referral_id>/decide/", referral_decide, name="referral_decide"),
]
