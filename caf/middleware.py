"""Every page that ends in a 403 is a refusal, and every refusal is in the access log (Settled
question 17): a service or view that raises PermissionDenied writes nothing itself, so this writes
the row, with what was asked for (the record named by the URL, or the id when it matched nothing).

The record is found from the URL's keyword arguments. caf/ knows its own (caf_id, child_id); an app
above it registers its own in its AppConfig.ready (referrals: referral_id, step_down_id), so that
caf never imports a higher app (Settled question 14)."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from caf.access_log import access_log_write
from caf.models import AccessLog, Caf, Child, SubjectAccessRequest

# A URL keyword argument → what access_log_write needs to name the record with that id (caf=,
# child= or child_ids=), or None when no record has it.
Subject = Callable[[int], dict[str, Any] | None]


def _caf(pk: int) -> dict[str, Any] | None:
    caf = Caf.objects.filter(pk=pk).first()
    return {"caf": caf} if caf else None


def _child(pk: int) -> dict[str, Any] | None:
    child = Child.objects.filter(pk=pk).first()
    return {"child": child} if child else None


def _subject_access(pk: int) -> dict[str, Any] | None:
    """A subject access request's page is about its child (an adult's request names no child's record)."""
    sar = SubjectAccessRequest.objects.filter(pk=pk).select_related("child").first()
    if sar is None:
        return None
    return {"child": sar.child} if sar.child else {"child_ids": []}


# In order: the first argument the URL has names the record (a plan action's page names its CAF).
_SUBJECTS: dict[str, Subject] = {"caf_id": _caf, "child_id": _child, "request_id": _subject_access}


def refusal_subject_register(kwarg: str, subject: Subject) -> None:
    """For apps above caf: how a refused page's URL argument names its record. Checked before
    caf's own (a referral's page is about the referral, even when the URL also names a CAF)."""
    global _SUBJECTS
    _SUBJECTS = {kwarg: subject, **{name: each for name, each in _SUBJECTS.items() if name != kwarg}}


def refusal_log(request: HttpRequest, exception: PermissionDenied) -> None:
    kwargs = request.resolver_match.kwargs if request.resolver_match else {}
    reason = f": {exception}" if str(exception) else ""
    what = f"Refused {request.method} {request.path}{reason}"
    for name, subject in _SUBJECTS.items():
        try:
            pk = int(kwargs[name])
        except (KeyError, TypeError, ValueError):
            continue
        record = subject(pk) if 0 <= pk < 2**63 else None
        if record is None:
            access_log_write(user=request.user, action=AccessLog.Action.REFUSED, what=what, attempted_id=pk)
        else:
            access_log_write(user=request.user, action=AccessLog.Action.REFUSED, what=what, **record)
        return
    access_log_write(user=request.user, action=AccessLog.Action.REFUSED, what=what)


class RefusalLogMiddleware:
    """After the authentication middleware: a PermissionDenied raised by a view (or a service it
    calls) is logged as a refusal for a signed-in user; Django then answers 403 as before."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied) and request.user.is_authenticated:
            refusal_log(request, exception)
        return None
