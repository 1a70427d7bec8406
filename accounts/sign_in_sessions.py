"""A person's sessions: recorded at sign-in, listed for them with when each was last used, and ended
by them (one, or every other), by a password change (every other) or a password reset (all).

Ending a session deletes Django's own session row, so the browser holding it is signed out at its
next request (the sign-in page, as after a timeout). The list shows only sessions still alive: the
session row exists and has not expired (its expiry is the last request plus SESSION_IDLE_MINUTES).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils import timezone

from accounts.models import SignInSession, User


@dataclass(frozen=True)
class SessionRow:
    session: SignInSession
    last_active: datetime
    this_browser: bool


def session_record(*, sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """user_logged_in: the session just made for this sign-in (its key is new: login cycles it)."""
    if request is None or not request.session.session_key:
        return
    # The person's sessions that have ended by themselves (timed out, browser closed) are forgotten.
    alive = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    SignInSession.objects.filter(user=user).exclude(session_key__in=alive).delete()
    SignInSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "signed_in_at": timezone.now(),
            "user_agent": request.headers.get("User-Agent", "")[:200],
            "ip_address": request.META.get("REMOTE_ADDR") or None,
        },
    )


def session_forget(*, sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    """user_logged_out: the session is flushed by Django; its record goes too."""
    if request is not None and request.session.session_key:
        SignInSession.objects.filter(session_key=request.session.session_key).delete()


def sessions_of(user: User, *, current_key: str | None) -> list[SessionRow]:
    """The person's sessions still alive, this browser's first, then the most recently used. Two
    queries whatever their number."""
    recorded = list(SignInSession.objects.filter(user=user))
    expiries = dict(
        Session.objects.filter(
            session_key__in=[each.session_key for each in recorded], expire_date__gt=timezone.now()
        ).values_list("session_key", "expire_date")
    )
    idle = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = [
        SessionRow(each, expiries[each.session_key] - idle, each.session_key == current_key)
        for each in recorded
        if each.session_key in expiries
    ]
    return sorted(rows, key=lambda row: (not row.this_browser, -row.last_active.timestamp()))


@transaction.atomic
def _end(records: Any) -> int:
    keys = list(records.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    records.delete()
    return len(keys)


def session_end(*, user: User, session_id: int, current_key: str | None) -> int:
    """End one of the person's own sessions (not this browser's: that is signing out). Anyone
    else's, or one that is gone, is not found."""
    records = SignInSession.objects.filter(user=user, pk=session_id).exclude(session_key=current_key or "")
    if not records.exists():
        raise Http404("No such session of yours.")
    return _end(records)


def session_key_changed(*, old_key: str | None, new_key: str | None) -> None:
    """Django gave this browser's session a new key (a password change does): keep its record."""
    if old_key and new_key and old_key != new_key:
        SignInSession.objects.filter(session_key=old_key).update(session_key=new_key)


def sessions_end_others(*, user: User, current_key: str | None) -> int:
    """End every session of the person but this browser's (also after a password change)."""
    return _end(SignInSession.objects.filter(user=user).exclude(session_key=current_key or ""))


def sessions_end_all(*, user: User) -> int:
    """End every session of the person (a password reset: whoever had the old password is out)."""
    return _end(SignInSession.objects.filter(user=user))
