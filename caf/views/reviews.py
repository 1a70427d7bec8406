"""Screens of a CAF's reviews: the history with the next review date, recording a review (one form
that starts from the current plan) and moving the next review date.

Every page fetches its CAF with caf_get_for_user (404 and a logged refusal for anyone who may not
see it; every read logged). Only the lead professional (or, before one is logged, the initiator:
caf.policies.may_record_review) records a review or moves the date: anyone else gets a 403. Other
members update their own actions on the plan's pages before the review.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.drafts import FormKeeper
from accounts.http import AuthenticatedHttpRequest
from accounts.models import User
from caf import policies, services
from caf.forms_reviews import ReviewDateForm, ReviewForm
from caf.models import Caf, Review
from caf.selectors import (
    caf_detail_url,
    caf_get_for_user,
    caf_review_date_changes,
    caf_reviews,
    review_conflict_rows,
    review_form_choices,
    review_version,
)
from core.errors import Conflict
from core.forms import posted_or_none, refusal_show

GET_AND_POST = require_http_methods(["GET", "POST"])


def _page(request: AuthenticatedHttpRequest, template: str, caf: Caf, **context: Any) -> HttpResponse:
    prefetch_related_objects([caf], "children")  # one query for this page and the CAF's header
    return render(request, template, {"caf": caf, "caf_url": caf_detail_url(caf.pk), **context})


def _may_manage(user: User, caf: Caf) -> bool:
    return policies.may_record_review(user, caf)


@require_GET
def reviews(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the reviews")
    today = timezone.localdate()
    return _page(
        request,
        "caf/review_list.html",
        caf,
        reviews=list(caf_reviews(caf)),
        date_changes=list(caf_review_date_changes(caf)),
        may_manage=_may_manage(request.user, caf),
        overdue=caf.status == Caf.Status.ACTIVE and caf.next_review_on is not None and caf.next_review_on < today,
    )


@GET_AND_POST
def review_record(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the review form")
    if not policies.may_record_review(request.user, caf):
        raise PermissionDenied("Only the lead professional records a review.")
    if caf.status != Caf.Status.ACTIVE:
        messages.info(request, "Reviews are recorded for an active CAF; this one is not active.")
        return redirect("caf:reviews", caf.pk)
    today = timezone.localdate()
    keeper = FormKeeper(request, record=caf.record_key)
    initial = {
        "held_on": today,
        "next_review_on": today + timedelta(weeks=caf.council.default_review_interval_weeks),
        "version": review_version(caf),
    }
    form = _review_form(caf, keeper.data(), initial)
    conflict: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with keeper.saving():
                review = services.review_record(
                    user=request.user,
                    caf=caf,
                    held_on=data["held_on"],
                    attendees=data["attendee_users"],
                    family_attendees=data["family_attendees"],
                    summary=data["summary"],
                    progress=data["progress"],
                    new_actions=data["new_actions"],
                    levels=data["levels"],
                    decision=data["decision"],
                    next_review_on=data["next_review_on"],
                    close_reason=data["close_reason"],
                    outcome=data["outcome"],
                    drawn_from=data["version"] or None,
                )
        except Conflict as error:
            # Where reviews and plan stand now, beside what was typed; the typed answers stay in the
            # form (and the person's draft), drawn from now, so their next save is a merge.
            conflict = {"error": error, "rows": review_conflict_rows(caf, data["progress"], data["summary"])}
            posted = request.POST.copy()
            posted["version"] = review_version(caf)
            form = _review_form(caf, posted, initial)
            refusal_show(form, error)
        except ValidationError as error:
            refusal_show(form, error)
        else:
            if review.decision == Review.Decision.STEP_UP:
                messages.warning(
                    request,
                    "The review is recorded and the CAF stays active. Make a referral to children's social care "
                    "now: the CAF will go with it as evidence.",
                )
                return redirect(f"{reverse('referrals:referral_start')}?caf={caf.pk}")
            elif review.decision == Review.Decision.CONTINUE:
                messages.success(
                    request, f"The review is recorded. The next review is on {review.next_review_on:%-d %B %Y}."
                )
            else:
                messages.success(request, "The review is recorded and the CAF is closed.")
            return redirect("caf:reviews", caf.pk)
    keeper.restore(form)
    return _page(request, "caf/review_record.html", caf, form=form, keeper=keeper, conflict=conflict)


def _review_form(caf: Caf, data: Any, initial: dict[str, Any]) -> ReviewForm:
    choices = review_form_choices(caf)
    return ReviewForm(
        data,
        actions=choices.actions,
        members=choices.members,
        agencies=choices.agencies,
        caf_children=choices.caf_children,
        levels=choices.levels,
        initial=initial,
    )


@GET_AND_POST
def review_date(request: AuthenticatedHttpRequest, caf_id: int) -> HttpResponse:
    caf = caf_get_for_user(request.user, caf_id, what="Viewed the next review date")
    if not policies.may_record_review(request.user, caf):
        raise PermissionDenied("Only the lead professional changes the review date.")
    form = ReviewDateForm(posted_or_none(request), initial={"review_on": caf.next_review_on})
    if request.method == "POST" and form.is_valid():
        try:
            change = services.review_date_set(
                user=request.user, caf=caf, review_on=form.cleaned_data["review_on"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"The next review is now on {change.review_on:%-d %B %Y}.")
            return redirect("caf:reviews", caf.pk)
    return _page(request, "caf/review_date.html", caf, form=form)


urlpatterns = [
    path("cafs/<int:caf_id>/reviews/", reviews, name="reviews"),
    path("cafs/<int:caf_id>/reviews/new/", review_record, name="review_record"),
    path("cafs/<int:caf_id>/reviews/date/", review_date, name="review_date"),
]
