"""Children's screens (see caf/urls.py): find before create, record a new child and their household,
the child's page (CAFs, levels, chronology), the access log, merging duplicates and the CAF
administrators' queue of possible duplicates (each pair merged field by field, or kept apart).

Every page that shows a child's record gets it through caf.selectors (child_get_for_user, or
child_get_for_caf_administrator for the administrators' pages): 404 for anyone without access,
with the attempt logged, and every read logged.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.models import LocalAuthority
from accounts.parsing import parse_id
from caf import policies
from caf.forms_children import ChildFindForm, ChildForm, ChooseDuplicateForm, MergeChoicesForm, merge_value
from caf.found import found_children_remember
from caf.models import Caf, Child
from caf.selectors import (
    AccessLogKey,
    access_log_for_child,
    access_log_page,
    break_glass_in_force,
    break_glass_uses_of,
    child_cafs,
    child_chronology,
    child_get_for_caf_administrator,
    child_get_for_user,
    child_household,
    child_level_history,
    children_find,
    possible_duplicate_get,
    possible_duplicates_page,
)
from caf.selectors.retention import legal_hold_in_force, social_care_stages_of
from caf.services import child_create, child_merge, household_record
from caf.services import possible_duplicate_dismiss as possible_duplicate_dismiss_service
from caf.services import possible_duplicate_merge as possible_duplicate_merge_service
from caf.services.duplicates import MERGE_FIELDS, field_label, fields_that_differ
from core.forms import posted_or_none, refusal_show
from core.paging import pagination

# The search answers, as the find form sends them and the new-child form takes them.
SEARCH_FIELDS = ("first_name", "last_name", "date_of_birth_0", "date_of_birth_1", "date_of_birth_2", "postcode")
ACCESS_LOG_PAGE_SIZE = 50


def _require_council_staff(request: AuthenticatedHttpRequest) -> None:
    if request.user.agency_id is None or request.user.council_id is None:
        raise PermissionDenied("Only the staff of a council's agencies can find and record children.")


def _search_answers(query: QueryDict) -> QueryDict:
    answers = QueryDict(mutable=True)
    for name in SEARCH_FIELDS:
        if query.get(name, "").strip():
            answers[name] = query[name].strip()
    return answers


# Find before create -------------------------------------------------------------------------------


@require_GET
def find(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Search the council's children by name (tolerant of spelling and of name order), date of
    birth and postcode; show only enough to recognise a child."""
    _require_council_staff(request)
    submitted = any(name in request.GET for name in SEARCH_FIELDS)
    form = ChildFindForm(request.GET if submitted else None)
    matches = None
    if form.is_bound and form.is_valid():
        matches = children_find(request.user, **form.search)
        found_children_remember(request, [match.child.pk for match in matches])
    answers = _search_answers(request.GET)
    create_url = reverse("caf:child_create") + (f"?{answers.urlencode()}" if answers else "")
    # Break-glass is offered beside a record the searcher may not open, if the council lists them.
    may_break_glass = bool(matches) and any(not match.may_open for match in matches or [])
    if may_break_glass and request.user.council_id is not None:
        may_break_glass = policies.may_break_glass(request.user, LocalAuthority.objects.get(pk=request.user.council_id))
    context = {
        "form": form,
        "matches": matches,
        "create_url": create_url,
        "may_break_glass": may_break_glass,
        # A partner council's emergency duty team finds that council's children on their own page.
        "partner_councils": list(policies.break_glass_partner_councils(request.user)),
    }
    return render(request, "caf/child_find.html", context)


@require_http_methods(["GET", "POST"])
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Record a new child, and the adults of the household. The answers are searched again on
    submit: possible matches stop the form until the user ticks that none of them is this child."""
    _require_council_staff(request)
    # Recording a brother or sister from a draft CAF's "add" page: back there afterwards, ticked.
    for_caf = parse_id(request.GET.get("caf") or request.POST.get("for_caf"))
    if request.method == "GET":
        search = ChildFindForm(request.GET)
        initial = search.search if search.is_valid() else _search_answers(request.GET).dict()
        form = ChildForm(initial=initial)
        return render(request, "caf/child_create.html", {"form": form, "matches": [], "for_caf": for_caf})

    form = ChildForm(request.POST)
    if form.is_valid():
        matches = children_find(request.user, **form.search)
        if matches and not form.cleaned_data["checked_new_child"]:
            form.refuse_until_checked(matches)
        else:
            try:
                with transaction.atomic():
                    child = child_create(user=request.user, **form.child_fields)
                    household_record(user=request.user, child=child, adults=form.adults)
            except ValidationError as error:
                refusal_show(form, error)
                form.possible_matches = matches
            else:
                messages.success(request, f"{child}'s record has been created.")
                caf = Caf.objects.filter(pk=for_caf).first() if for_caf else None
                if caf is not None and policies.may_add_children(request.user, caf):
                    return redirect(reverse("caf:caf_children_add", args=[caf.pk]) + f"?child={child.pk}")
                return redirect("caf:child_detail", child_id=child.pk)
    elif form.cleaned_data.get("first_name") and form.cleaned_data.get("last_name"):
        # Keep the possible matches in view while the user corrects other answers.
        form.possible_matches = children_find(
            request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            date_of_birth=form.cleaned_data.get("date_of_birth"),
            postcode=form.cleaned_data.get("postcode", ""),
        )
    if form.possible_matches:
        found_children_remember(request, [match.child.pk for match in form.possible_matches])
        form.offer_confirmation()
    return render(
        request, "caf/child_create.html", {"form": form, "matches": form.possible_matches, "for_caf": for_caf}
    )


# The child's record -------------------------------------------------------------------------------


@require_GET
def detail(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    child = child_get_for_user(request.user, child_id)
    # The child's council's administrators: not those of a partner council reading it with break-glass.
    is_caf_administrator = policies.is_caf_administrator(request.user, child.council_id)
    if not is_caf_administrator and not hasattr(child, "break_glass_until"):
        use = break_glass_in_force(request.user, child)
        child.break_glass_until = use.ends_at if use else None  # type: ignore[attr-defined]
    context = {
        "child": child,
        "caf_children": list(child_cafs(request.user, child)),
        "level_history": list(child_level_history(request.user, child)),
        "chronology": child_chronology(request.user, child),
        "household": child_household(request.user, child),
        "merged_records": list(child.merged_records.order_by("pk")),
        # Break-glass reads, and nothing more (issue 15).
        "may_start_caf": request.user.agency_id is not None
        and child.merged_into_id is None
        and child.anonymised_at is None
        and not getattr(child, "break_glass_until", None),
        "is_caf_administrator": is_caf_administrator,
        "legal_hold": legal_hold_in_force(child),
        "social_care_stages": social_care_stages_of(child),
        "may_record_social_care_stage": child.anonymised_at is None
        and not getattr(child, "break_glass_until", None)
        and policies.may_record_social_care_stage(request.user, child),
    }
    return render(request, "caf/child_detail.html", context)


def _access_log_key(query: QueryDict, name: str) -> AccessLogKey | None:
    """The (at, id) a "Newer" or "Older" link carries, as `<name>=<ISO time>~<id>`; a key that does not
    parse shows the newest page."""
    at_text, _, id_text = query.get(name, "").rpartition("~")
    pk = parse_id(id_text)
    try:
        at = parse_datetime(at_text)
    except ValueError:
        at = None
    if at is None or pk is None:
        return None
    return AccessLogKey(at if timezone.is_aware(at) else timezone.make_aware(at), pk)


def _access_log_link(key: AccessLogKey | None, name: str) -> str:
    return urlencode({name: f"{key.at.isoformat()}~{key.pk}"}) if key else ""


@require_GET
def access_log(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    """Read-only: who read or changed the child's record (and its CAFs), newest first, paged by key
    (the time and id of the row at the page's edge); counted only up to 1,000."""
    child = child_get_for_caf_administrator(request.user, child_id, what="Viewed the access log")
    page = access_log_page(
        access_log_for_child(request.user, child),
        older_than=_access_log_key(request.GET, "older"),
        newer_than=_access_log_key(request.GET, "newer"),
        size=ACCESS_LOG_PAGE_SIZE,
    )
    context = {
        "child": child,
        "break_glass_uses": break_glass_uses_of(child),
        "page": page,
        "older_query": _access_log_link(page.older, "older"),
        "newer_query": _access_log_link(page.newer, "newer"),
    }
    return render(request, "caf/child_access_log.html", context)


def _holdings(request: AuthenticatedHttpRequest, child: Child) -> dict[str, Any]:
    """What a record holds, for the merge's confirmation page."""
    return {
        "child": child,
        "caf_children": list(child_cafs(request.user, child)),
        "level_changes": child_level_history(request.user, child).count(),
        "merged_records": list(child.merged_records.order_by("pk")),
    }


@require_http_methods(["GET", "POST"])
def merge(request: AuthenticatedHttpRequest, child_id: int) -> HttpResponse:
    """A CAF administrator merges a duplicate (chosen among this child's possible matches) into this
    record, after a page that shows what each record holds. Both records are kept."""
    child = child_get_for_caf_administrator(request.user, child_id, what="Opened the merge of the child's record")
    if child.merged_into_id:
        return render(request, "caf/child_merge.html", {"child": child, "form": None, "candidates": []})
    candidates = [
        match.child
        for match in children_find(
            request.user,
            first_name=child.first_name,
            last_name=child.last_name,
            date_of_birth=child.date_of_birth,
            postcode=child.postcode,
        )
        if match.child.pk != child.pk
    ]
    data = request.POST if request.method == "POST" else request.GET if "duplicate" in request.GET else None
    form = ChooseDuplicateForm(data, candidates=candidates)
    if form.is_bound and form.is_valid():
        duplicate = child_get_for_user(
            request.user, form.cleaned_data["duplicate"], what=f"Compared with record {child.pk} to merge"
        )
        if request.method == "POST":
            try:
                child_merge(user=request.user, keep=child, duplicate=duplicate)
            except ValidationError as error:
                refusal_show(form, error)
            else:
                messages.success(
                    request, f"Record {duplicate.pk} ({duplicate}) was merged into this record. Both records are kept."
                )
                return redirect("caf:child_detail", child_id=child.pk)
        else:
            keep, merged = _holdings(request, child), _holdings(request, duplicate)
            context = {"keep": keep, "duplicate": merged, "records": [keep, merged], "form": form}
            return render(request, "caf/child_merge_confirm.html", context)
    return render(request, "caf/child_merge.html", {"child": child, "form": form, "candidates": candidates})


@require_GET
def possible_duplicates(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The CAF administrators' queue of records that may be the same child, the most likely first."""
    page = possible_duplicates_page(request.user, page=request.GET.get("page"))
    return render(request, "caf/possible_duplicates.html", {"page": page, "pagination": pagination(page, request.GET)})


@require_http_methods(["GET", "POST"])
def possible_duplicate_merge(request: AuthenticatedHttpRequest, pair_id: int) -> HttpResponse:
    """The two records side by side, every field, with a choice of the record to keep and, for each
    field where they differ, of the answer it keeps; merging is one transaction."""
    pair = possible_duplicate_get(request.user, pair_id, what="Compared two records to merge")
    first, second = pair.child_a, pair.child_b
    differing = fields_that_differ(first, second)
    form = MergeChoicesForm(posted_or_none(request), first=first, second=second, differing=differing)
    if pair.is_open and request.method == "POST" and form.is_valid():
        keep = first if form.cleaned_data["keep"] == first.pk else second
        try:
            possible_duplicate_merge_service(
                user=request.user, pair=pair, keep=keep, taken_from_other=form.taken_from_other()
            )
        except ValidationError as error:
            refusal_show(form, error)
        else:
            other = second if keep is first else first
            messages.success(request, f"Record {other.pk} was merged into this record. Both records are kept.")
            return redirect("caf:child_detail", child_id=keep.pk)
    rows = [
        (field_label(name), merge_value(first, name), merge_value(second, name), name in differing)
        for name in MERGE_FIELDS
    ]
    context = {
        "pair": pair,
        "records": [_holdings(request, first), _holdings(request, second)],
        "rows": rows,
        "form": form,
    }
    return render(request, "caf/possible_duplicate_merge.html", context)


@require_POST
def possible_duplicate_dismiss(request: AuthenticatedHttpRequest, pair_id: int) -> HttpResponse:
    """A CAF administrator says the two records are different children."""
    pair = possible_duplicate_get(request.user, pair_id, what="Said two records are not the same child")
    try:
        possible_duplicate_dismiss_service(user=request.user, pair=pair)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("caf:possible_duplicate_merge", pair_id=pair.pk)
    messages.success(request, f"Records {pair.child_a_id} and {pair.child_b_id} are kept apart as different children.")
    return redirect("caf:possible_duplicates")


urlpatterns = [
    path("children/find/", find, name="child_find"),
    path("children/new/", create, name="child_create"),
    path("children/<int:child_id>/", detail, name="child_detail"),
    path("children/<int:child_id>/access-log/", access_log, name="child_access_log"),
    path("children/<int:child_id>/merge/", merge, name="child_merge"),
    path("children/possible-duplicates/", possible_duplicates, name="possible_duplicates"),
    path("children/possible-duplicates/<int:pair_id>/", possible_duplicate_merge, name="possible_duplicate_merge"),
    path(
        "children/possible-duplicates/<int:pair_id>/not-the-same/",
        possible_duplicate_dismiss,
        name="possible_duplicate_dismiss",
    ),
]
