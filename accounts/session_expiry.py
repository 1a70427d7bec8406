"""Only what a person does keeps them signed in (Settled question 19).

A session ends SESSION_IDLE_MINUTES after the last request (SESSION_SAVE_EVERY_REQUEST moves the
expiry on each one). A page's own background requests, an autosave of a form or the timeout
warning's check of the time left, must not count as the person doing something, or a form left open
would keep the session alive for ever. `untouched(request)` marks such a request, and
`SessionMiddleware` (Django's, with that one exception) then leaves the session as it was.
"""

from datetime import datetime

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers

_UNTOUCHED = "_session_expiry_untouched"


def untouched(request: HttpRequest) -> None:
    """This request does not move the session's expiry."""
    setattr(request, _UNTOUCHED, True)


def session_ends_at(request: HttpRequest) -> datetime | None:
    """When the session ends if the person does nothing more: its expiry as stored, not as this
    request would set it."""
    key = request.session.session_key
    if not key:
        return None
    return Session.objects.filter(session_key=key).values_list("expire_date", flat=True).first()


def seconds_left(request: HttpRequest) -> int:
    ends = session_ends_at(request)
    return max(0, int((ends - timezone.now()).total_seconds())) if ends else 0


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, _UNTOUCHED, False):
            patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
