"""The list of CAFs a person may see: every CAF of the council for a CAF administrator, otherwise
the CAFs they are on (or their agency is involved in). Filtered and paged in the database."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from accounts.models import Role
from caf import permissions as perms
from caf.models import Caf, CafChild, LeadProfessionalAssignment

PAGE_SIZE = 50


def caf_list(request: HttpRequest) -> HttpResponse:
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
    return render(
        request,
        "caf/list.html",
        {
            "page": page,
            "status": status,
            "statuses": Caf.Status.choices,
            "everyone": request.user.has_role(Role.CAF_ADMINISTRATOR),
        },
    )


urlpatterns = [path("cafs/", caf_list, name="caf_list")]
