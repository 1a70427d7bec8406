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
from caf.models import Caf
from core.paging import pagination


def caf_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    shown = selectors.caf_list_page(
        request.user, status=status, queue=request.GET.get("queue", ""), page=request.GET.get("page")
    )
    return render(
        request,
        "caf/list.html",
        {
            "page": shown.page,
            "pagination": pagination(shown.page, request.GET),
            "queue": shown.queue,
            "heading": shown.heading,
            "status": status,
            "statuses": Caf.Status.choices,
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
