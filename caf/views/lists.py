"""The list of CAFs a person may see: every CAF of the council for a CAF administrator, otherwise
the CAFs they are on (or their agency is involved in); or one home-page queue of them in full
(`?queue=`). And the list of plan actions behind the practitioner's action queues. Filtered and
paged in the database (core.paging: no count of every row)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedHttpRequest
from caf import policies, selectors
from caf.forms_lists import CafListFilterForm
from core.paging import pagination


@require_GET
def caf_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Searched and filtered by the form above the list (all kept in the address, so a filtered list
    can be bookmarked and paged)."""
    asked = any(name in request.GET for name in CafListFilterForm.base_fields)
    form = CafListFilterForm(request.GET if asked else None, user=request.user)
    filters = form.filters()
    shown = selectors.caf_list_page(
        request.user, queue=request.GET.get("queue", ""), page=request.GET.get("page"), filters=filters
    )
    return render(
        request,
        "caf/list.html",
        {
            "page": shown.page,
            "pagination": pagination(shown.page, request.GET),
            "queue": shown.queue,
            "heading": shown.heading,
            "form": form,
            "filtered": filters.any,
            "everyone": policies.is_caf_administrator(request.user, request.user.council_id),
        },
    )


@require_GET
def action_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    shown = selectors.action_list_page(
        request.user, queue=request.GET.get("queue", "due"), page=request.GET.get("page")
    )
    return render(
        request,
        "caf/action_list.html",
        {"page": shown.page, "pagination": pagination(shown.page, request.GET), "heading": shown.heading},
    )


urlpatterns = [path("cafs/", caf_list, name="caf_list"), path("actions/", action_list, name="action_list")]
