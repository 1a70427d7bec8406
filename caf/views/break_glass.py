"""Break-glass screens (issue 15; Settled question 24): open a child's record for safeguarding, and a
reviewer's queue and review of each use. The rules are caf.policies and caf.services.break_glass."""

from typing import Any, cast

from crispy_forms_gds.layout import Field, Size
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts import two_factor
from accounts.http import AuthenticatedHttpRequest
from accounts.models import LocalAuthority
from accounts.sso import SIGNED_IN_WITH_KEY
from caf import policies, selectors
from caf.forms_children import ChildFindForm
from caf.models import Child
from caf.selectors.records import child_may_see, refusal_log
from caf.services import break_glass_open, break_glass_review
from caf.services.break_glass import REASON_MAX
from core.errors import Refused
from core.forms import RevealingRadios, RevealsMixin, gds_helper, posted_or_none, refusal_show


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need this child's record now?",
        help_text="Say what the safeguarding concern is and why it cannot wait. Your manager reads this.",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=REASON_MAX,
        error_messages={"required": "Enter why you need this child's record now"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(Field.textarea("reason", rows=4), button="Open the record, read only")


class BreakGlassReviewForm(RevealsMixin, forms.Form):
    justified = forms.ChoiceField(
        label="Was this use of break-glass justified?",
        choices=[("yes", "Yes, it was justified"), ("no", "No, it was not justified")],
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether this use was justified"},
    )
    note = forms.CharField(
        label="Why was it not justified?",
        help_text="What follows is the council's own procedure: say what you found.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    reveals = {"justified": {"no": ("note",)}}
    reveal_required = {"note": "Enter why it was not justified"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = gds_helper(
            RevealingRadios("justified", {"no": [Field.textarea("note", rows=3)]}, legend_size=Size.MEDIUM),
            button="Record the review",
        )


class BreakGlassFindForm(ChildFindForm):
    """Find a child of a council that lists the person's team for break-glass: which council, then the
    search of find a child (a GET form)."""

    council = forms.ModelChoiceField(
        label="Which council's child?",
        queryset=LocalAuthority.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the council whose child you need",
            "invalid_choice": "Select one of the councils that list your team",
        },
    )

    def __init__(self, *args: Any, councils: QuerySet[LocalAuthority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["council"]).queryset = councils.order_by("name")
        self.helper.layout.insert(0, Field.radios("council", legend_size=Size.SMALL))


@require_GET
def find_elsewhere(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A partner council's emergency duty team finds a child of a council that lists it (Settled
    question 24), to open the record with break-glass. 403 for anyone no other council lists."""
    councils = policies.break_glass_partner_councils(request.user)
    if not councils.exists():
        raise PermissionDenied("No other council lists your team for break-glass.")
    submitted = any(name in request.GET for name in ("first_name", "last_name"))
    form = BreakGlassFindForm(request.GET if submitted else None, councils=councils, initial=request.GET.dict())
    matches = None
    if form.is_bound and form.is_valid():
        council = form.cleaned_data["council"]
        matches = selectors.break_glass_children_find(request.user, council, **form.search)
    context = {"form": form, "matches": matches, "councils": list(councils.order_by("name"))}
    return render(request, "caf/break_glass_find.html", context)


@require_http_methods(["GET", "POST"])
def open_record(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    """Read only, for the council's set hours, after a reason and the second factor. Anyone the council
    does not list sees the out-of-hours number instead (403)."""
    user = request.user
    # A child of the person's council, or of another council that lists their agency (a partner
    # council's emergency duty team); any other council's child does not exist for them.
    councils = policies.break_glass_partner_councils(user).values("pk")
    child = (
        Child.objects.filter(Q(council_id=user.council_id) | Q(council_id__in=councils), pk=child_id)
        .select_related("merged_into")
        .first()
    )
    if child is None or user.council_id is None:
        refusal_log(user, "Break-glass", attempted_id=child_id)
        raise Http404
    if child_may_see(user, child):
        return redirect("caf:child_detail", child_id=child.pk)
    council = LocalAuthority.objects.get(pk=child.council_id)
    if not policies.may_break_glass(user, council):
        refusal_log(user, "Break-glass", child=child, attempted_id=child_id)
        return render(request, "caf/break_glass_refused.html", {"council": council}, status=403)
    second_factor = two_factor.verified(request)
    form = BreakGlassForm(posted_or_none(request))
    if form.is_valid():
        try:
            use = break_glass_open(
                user=user, child=child, reason=form.cleaned_data["reason"], second_factor=second_factor
            )
        except Refused as error:
            refusal_show(form, error)
        else:
            until = timezone.localtime(use.ends_at)
            messages.success(request, f"You can read {child}'s record until {until:%H:%M}. Your manager has been told.")
            return redirect("caf:child_detail", child_id=use.child_id)
    context = {
        "child": child,
        "council": council,
        "form": form,
        "second_factor": second_factor,
        # Without it, the way to give it now: the step-up page, or setting up an authenticator app first.
        "has_second_factor": not second_factor and two_factor.has_second_factor(user),
        "signed_in_with_provider": bool(request.session.get(SIGNED_IN_WITH_KEY)),
    }
    return render(request, "caf/break_glass_open.html", context)


@require_GET
def reviews(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The uses waiting for this person's review, and the last they reviewed."""
    waiting = list(selectors.break_glass_to_review(request.user)[:200])
    reviewed = selectors.break_glass_reviewed_by(request.user)
    if not waiting and not reviewed and not policies.may_review_break_glass_uses(request.user):
        raise PermissionDenied("You review no uses of break-glass.")
    return render(request, "caf/break_glass_reviews.html", {"waiting": waiting, "reviewed": reviewed})


@require_http_methods(["GET", "POST"])
def review(request: AuthenticatedHttpRequest, use_id: int) -> HttpResponse:
    use = selectors.break_glass_get_for_review(request.user, use_id)
    form = BreakGlassReviewForm(posted_or_none(request))
    if form.is_valid():
        try:
            break_glass_review(
                user=request.user,
                use=use,
                justified=form.cleaned_data["justified"] == "yes",
                note=form.cleaned_data.get("note") or "",
            )
        except Refused as error:
            refusal_show(form, error)
        else:
            messages.success(request, f"Review of {use.user}'s break-glass recorded.")
            return redirect("caf:break_glass_reviews")
    return render(request, "caf/break_glass_review.html", {"use": use, "form": form})


urlpatterns = [
    path("children/<int:child_id>/break-glass/", open_record, name="break_glass_open"),
    path("break-glass/", reviews, name="break_glass_reviews"),
    path("break-glass/find/", find_elsewhere, name="break_glass_find"),
    path("break-glass/<int:use_id>/", review, name="break_glass_review"),
]
