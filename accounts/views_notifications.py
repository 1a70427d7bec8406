"""The signed-in person's notifications: the list, and marking them read."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.notifications import notification_mark_read, notifications_for, notifications_mark_all_read

PAGE_SIZE = 50


def notification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications.html", {"page": page})


@require_POST
def notification_read(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    notification_mark_read(user=request.user, notification_id=notification_id)
    return redirect("notifications")


@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    if notifications_mark_all_read(user=request.user):
        messages.success(request, "All your notifications are marked as read.")
    return redirect("notifications")
