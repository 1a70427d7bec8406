"""The list of CAFs a person may see: every CAF of the council for a CAF administrator, otherwise
the CAFs they are on (or their agency is involved in). Filtered and paged in the database."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from accounts.http import AuthenticatedHttpRequest
from caf import policies, selectors
from caf.models import Caf


def caf_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = selectors.caf_list_page(request.user, status=status, page=request.GET.get("page"))
    return render(
        request,
        "caf/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Caf.Status.choices,
            "everyone": policies.is_caf_administrator(request.user, request.user.council_id),
        },
    )


urlpatterns = [path("cafs/", caf_list, name="caf_list")]
