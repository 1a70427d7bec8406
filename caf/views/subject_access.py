"""Subject access screens (issue 15; Settled question 26), for the council's CAF administrators: a
child's requests (from the child's record), the council's requests with a search for an adult among
the consenting people, recording a request, its page, the draft export (a zip) and the release
decision.

Every page gets its record through caf.selectors' checks (child_for_subject_access,
subject_access_get_for_user): 404 for anyone who may not see the child (a family's exclusion
included), 403 for the others who may, each attempt logged; every export is in the access log.
"""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from accounts.http import AuthenticatedHttpRequest
from accounts.parsing import parse_id
from caf import selectors, services
from caf.forms_subject_access import AdultSearchForm, SubjectAccessDecisionForm, SubjectAccessStartForm
from caf.models import Child
from caf.selectors.subject_access import adult_cafs, adult_refuse_if_excluded, caf_administrators_only, family_adults
from caf.services.subject_access import is_young_person_on
from core.errors import Refused
from core.forms import posted_or_none, refusal_show


def _may_be_young_person(child: Child | None) -> bool:
    """Whether a request about this child may be a young person's, on any date the form takes."""
    today = timezone.localdate()
    return is_young_person_on(child, today) or is_young_person_on(child, today - timedelta(days=2 * 366))


@require_GET
def child_requests(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    child = selectors.child_for_subject_access(
        request.user, child_id, what="Viewed the child's subject access requests"
    )
    requests = selectors.subject_access_requests_for_child(request.user, child)
    context = {"child": child, "requests": requests, "family_adults": family_adults(child)}
    return render(request, "caf/subject_access/child_requests.html", context)


@require_http_methods(["GET", "POST"])
def start_for_child(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    child = selectors.child_for_subject_access(
        request.user, child_id, what="Opened a subject access request about the child"
    )
    form = SubjectAccessStartForm(posted_or_none(request), young_person=_may_be_young_person(child))
    if form.is_bound and form.is_valid():
        try:
            sar = services.subject_access_request_start(user=request.user, child=child, **form.answers)
        except Refused as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The subject access request is recorded. Download the draft export below.")
            return redirect("caf:subject_access_detail", request_id=sar.pk)
    context = {"form": form, "child": child, "subject": child, "family": None}
    return render(request, "caf/subject_access/start.html", context)


@require_GET
def council_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The council's requests, and a search for an adult among the people who gave consent."""
    requests = selectors.subject_access_requests_of_council(request.user)
    search = AdultSearchForm(request.GET if "name" in request.GET else None)
    people: list[selectors.ConsentingPerson] = []
    more = False
    if search.is_bound and search.is_valid():
        people, more = selectors.consenting_people_named(request.user, search.cleaned_data["name"])
    context = {"requests": requests, "search": search, "people": people, "more": more}
    return render(request, "caf/subject_access/council_requests.html", context)


@require_http_methods(["GET", "POST"])
def start_for_adult(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A request about an adult: found by name across the council's consent records, or (`family`,
    a child's id) picked from that child's family, whose records alone are then theirs."""
    name = " ".join(request.GET.get("adult", "").split())[:200]
    caf_administrators_only(request.user, "a subject access request about an adult")
    family = None
    if "family" in request.GET:
        family_id = parse_id(request.GET["family"])
        if family_id is None:
            raise Http404("No child matches the given query.")
        family = selectors.child_for_subject_access(
            request.user, family_id, what="Opened a subject access request about an adult of the family"
        )
    council_id = request.user.council_id
    if council_id is None or not name or "\x00" in name or not adult_cafs(council_id, name, family).exists():
        raise Http404("Nobody of that name gave consent or is in a household on the council's CAFs.")
    adult_refuse_if_excluded(request.user, council_id, name, family)
    form = SubjectAccessStartForm(posted_or_none(request), young_person=False)
    if form.is_bound and form.is_valid():
        try:
            sar = services.subject_access_request_start(
                user=request.user, adult_name=name, family_child=family, **form.answers
            )
        except Refused as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The subject access request is recorded. Download the draft export below.")
            return redirect("caf:subject_access_detail", request_id=sar.pk)
    context = {"form": form, "child": None, "subject": name, "family": family}
    return render(request, "caf/subject_access/start.html", context)


@require_GET
def detail(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    sar = selectors.subject_access_get_for_user(request.user, request_id, what="Viewed a subject access request")
    return render(request, "caf/subject_access/detail.html", {"sar": sar})


@require_GET
def export(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    """The draft export, a zip: each download is in the access log as an export of the record."""
    sar = selectors.subject_access_get_for_user(request.user, request_id, what="Downloaded a subject access export")
    content = services.subject_access_export(user=request.user, request=sar)
    response = HttpResponse(content, content_type="application/zip")
    state = "draft" if sar.is_draft else sar.status
    response["Content-Disposition"] = f'attachment; filename="subject-access-{sar.pk}-{state}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def decide(request: AuthenticatedHttpRequest, request_id: int) -> HttpResponse:
    sar = selectors.subject_access_get_for_user(
        request.user, request_id, what="Opened the decision on a subject access request"
    )
    form = SubjectAccessDecisionForm(posted_or_none(request))
    if sar.is_draft and form.is_bound and form.is_valid():
        try:
            services.subject_access_decide(
                user=request.user, request=sar, status=form.cleaned_data["status"], reason=form.cleaned_data["reason"]
            )
        except Refused as error:
            refusal_show(form, error)
        else:
            messages.success(request, "The decision is recorded.")
            return redirect("caf:subject_access_detail", request_id=sar.pk)
    return render(request, "caf/subject_access/decide.html", {"sar": sar, "form": form})


urlpatterns = [
    path("children/<int:child_id>/subject-access/", child_requests, name="child_subject_access"),
    path("children/<int:child_id>/subject-access/new/", start_for_child, name="subject_access_start_child"),
    path("subject-access/", council_requests, name="subject_access_requests"),
    path("subject-access/new/", start_for_adult, name="subject_access_start_adult"),
    path("subject-access/<int:request_id>/", detail, name="subject_access_detail"),
    path("subject-access/<int:request_id>/export/", export, name="subject_access_export"),
    path("subject-access/<int:request_id>/decision/", decide, name="subject_access_decide"),
]
