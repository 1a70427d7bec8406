"""The list of CAFs a person may see: every CAF of the council for a CAF administrator, otherwise
the CAFs they are on (or their agency is involved in). Filtered and paged in the database."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path

from accounts.http import AuthenticatedHttpRequest
from caf import permissions as perms
from caf import policies
from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, CafChild, LeadProfessionalAssignment

PAGE_SIZE = 50


def caf_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    cafs = perms.cafs_visible_to(request.user).select_related("initiating_agency").order_by("-created_at", "-pk")
    if status in Caf.Status.values:
        cafs = cafs.filter(status=status)
    cafs = cafs.prefetch_related(
        Prefetch("caf_children", queryset=CafChild.objects.select_related("child", "level").order_by("pk")),
        Prefetch(
            "lead_professionals",
            queryset=LeadProfessionalAssignment.objects.filter(ended_at__isnull=True).select_related("user"),
            to_attr="current_leads",
        ),
    )
    page = Paginator(cafs, PAGE_SIZE).get_page(request.GET.get("page"))
    # One access-log row for the page shown, with the children it listed (Settled question 17).
    access_log_write(
        user=request.user,
        action=AccessLog.Action.VIEW,
        what=f"Viewed the list of CAFs, page {page.number}",
        child_ids=[link.child_id for caf in page.object_list for link in caf.caf_children.all()],
    )
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
