"""Two-factor sign-in: an authenticator app (TOTP, django-otp) after the password, and recovery codes.

Who must: the roles that see many children (CAF administrator, social care manager, council
administrator) and service administrators, whenever they sign in with a password. Anyone else may
set one up (their account's "Two-factor sign-in" page), and then is asked for it at every sign-in.

Until the code is right nobody is signed in: the password step keeps only the person's id, the time
and where they were going in the session (`pending_start`), for TWO_FACTOR_PENDING_MINUTES, and
Django's login() runs after the second factor (`sign_in_complete`). A wrong code counts towards the
account's lock-out exactly as a wrong password does (django-axes, per account).

Enforcement is here, in the sign-in flow, not in a middleware that refuses every unverified
session: the one way in with a password is the sign-in page. `verified(request)` says whether this
session passed the second factor (for break-glass, Settled question 24).
"""

import re
import time
from base64 import b32encode
from dataclasses import dataclass
from typing import Any

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import login, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import sign_in_sessions
from accounts.models import Notification, Role, TwoFactorReset, User
from accounts.notifications import notification_record

# The roles that see many children's records (issue 15): a password alone is not enough for them.
REQUIRED_ROLES = frozenset(
    {Role.CAF_ADMINISTRATOR.value, Role.SOCIAL_CARE_MANAGER.value, Role.COUNCIL_ADMINISTRATOR.value}
)
RECOVERY_CODES = 10
PENDING_KEY = "two_factor_pending"
VERIFIED_KEY = "two_factor_verified"
VERIFIED_BY_KEY = "two_factor_verified_by"  # the provider's issuer, when it did the second factor
TOTP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")  # django-otp's StaticToken.random_token: 5 random bytes, base32


# Who must, who has ----------------------------------------------------------------------------------


def required_for(user: User) -> bool:
    """Must this person give a second factor when they sign in with a password?"""
    return user.is_superuser or bool(user.role_names & REQUIRED_ROLES)


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def asked_at_sign_in(user: User) -> bool:
    """A second step after the password: for everyone whose role requires it, and everyone who set one up."""
    return required_for(user) or has_second_factor(user)


def verified(request: HttpRequest) -> bool:
    """Did this session's person pass the second factor when they signed in, or since (setting it up,
    the step-up page, or their organisation's provider when the council trusts it to enforce one)?
    The one predicate for what needs it (break-glass, Settled question 24)."""
    return bool(request.user.is_authenticated and request.session.get(VERIFIED_KEY))


def may_reset(actor: User, person: User) -> bool:
    """A council administrator for the people of their council (never a service administrator's
    account), or a service administrator for anyone."""
    if actor.is_superuser:
        return True
    if not actor.is_active or not actor.has_role(Role.COUNCIL_ADMINISTRATOR) or person.is_superuser:
        return False
    return actor.council_id is not None and actor.council_id == person.council_id


@dataclass(frozen=True)
class Status:
    """What the person's own "Two-factor sign-in" page shows."""

    required: bool
    device: TOTPDevice | None
    recovery_codes_left: int


def status_of(user: User) -> Status:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    left = StaticToken.objects.filter(device__user=user, device__confirmed=True).count() if device else 0
    return Status(required=required_for(user), device=device, recovery_codes_left=left)


# Between the password and the code -----------------------------------------------------------------


def pending_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    """The password was right: remember who (not signed in yet), when, and where they were going."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "at": time.time(),
        "backend": getattr(user, "backend", "django.contrib.auth.backends.ModelBackend"),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> User | None:
    """Who gave the right password in this browser in the last few minutes, if still active."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if time.time() - float(pending.get("at", 0)) > settings.TWO_FACTOR_PENDING_MINUTES * 60:
        pending_end(request)
        return None
    return User.objects.filter(pk=pending.get("user"), is_active=True).first()


def pending_end(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def sign_in_complete(request: HttpRequest, user: User) -> str:
    """The second factor is right: sign the person in now (a new session key; the sign-in recorded
    and the lock-out count cleared by login()'s signal) and return where they were going."""
    pending = request.session.get(PENDING_KEY) or {}
    login(request, user, backend=pending.get("backend"))
    pending_end(request)
    _mark_verified(request)
    return str(pending.get("next") or settings.LOGIN_REDIRECT_URL)


def _mark_verified(request: HttpRequest) -> None:
    request.session[VERIFIED_KEY] = time.time()
    request.session.pop(VERIFIED_BY_KEY, None)


def verified_by_provider(request: HttpRequest, *, issuer: str) -> None:
    """A single sign-on whose provider the council trusts to enforce multi-factor, and whose ID token
    shows a second factor was used (accounts.sso): this session passed it, and the session says where."""
    request.session[VERIFIED_KEY] = time.time()
    request.session[VERIFIED_BY_KEY] = issuer


def step_up(request: HttpRequest, *, user: User, code: str) -> bool:
    """A signed-in person who has not passed the second factor in this session gives it now (a code
    from their authenticator app, or a recovery code), for what needs it (break-glass). A wrong code
    counts towards their lock-out as at sign-in."""
    if not code_check(request, user, code):
        return False
    _mark_verified(request)
    return True


# Codes ---------------------------------------------------------------------------------------------


def code_normalise(code: str) -> str:
    """What people type: spaces and hyphens anywhere (codes are shown in groups), any case."""
    return re.sub(r"[\s-]", "", code).lower()


def code_matches(user: User, code: str) -> bool:
    """Is `code` the person's authenticator code now (never one already used: django-otp keeps the
    last time step), or one of their unused recovery codes (used up by this)? The device is locked
    while checked, so two requests cannot use one code twice."""
    code = code_normalise(code)
    with transaction.atomic():
        if TOTP_CODE.fullmatch(code):
            device: Any = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        elif RECOVERY_CODE.fullmatch(code):
            device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        else:
            return False
        return device is not None and bool(device.verify_token(code))


def locked_out(request: HttpRequest, user: User) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": user.email})


def code_check(request: HttpRequest, user: User, code: str) -> bool:
    """Check a code typed by the person; a wrong one counts towards their lock-out as a wrong
    password does (django-axes, per account). After the last allowed failure the response is
    axes's lock-out page (its middleware turns `request.axes_locked_out` into it)."""
    if locked_out(request, user):
        request.axes_locked_out = True  # type: ignore[attr-defined]
        return False
    if code_matches(user, code):
        return True
    user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
    return False


# Setting up and removing ----------------------------------------------------------------------------


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator secret being set up: the same one until it is confirmed (a reload shows the
    same QR code), never one already confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def secret_text(device: TOTPDevice) -> str:
    """The secret as an authenticator app asks for it when typed: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[index : index + 4] for index in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> SafeString:
    """The otpauth:// address as a QR code, inline SVG (no JavaScript, no image request)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, light="#fff", title="QR code of your authenticator secret"
    )
    return format_html("{}", SafeString(svg))


def enrolment_confirm(request: HttpRequest, *, user: User, code: str) -> list[str] | None:
    """Confirm the secret being set up with a code from the app; on success the second factor is on
    and the new recovery codes are returned (shown once). None if the code is wrong."""
    code = code_normalise(code)
    if not TOTP_CODE.fullmatch(code):
        return None
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None or not device.verify_token(code):
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_new(user=user)
    if request.user.is_authenticated and request.user.pk == user.pk:
        _mark_verified(request)
    return codes


def recovery_codes_new(*, user: User) -> list[str]:
    """Ten new single-use recovery codes; any earlier ones stop working."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user).delete()
        device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def code_display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def second_factor_remove(request: HttpRequest, *, user: User) -> None:
    """The person turns their own second factor off (having given a current code). Not for a role
    that requires one: they would be asked to set up a new one at their next sign-in anyway."""
    if required_for(user):
        raise PermissionDenied("Your role needs two-factor sign-in: ask your council administrator to reset it.")
    _devices_delete(user)
    request.session.pop(VERIFIED_KEY, None)


def _devices_delete(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def two_factor_reset(*, person: User, reset_by: User, current_session_key: str | None = None) -> TwoFactorReset:
    """An administrator resets someone's second factor (a lost phone): their authenticator app and
    recovery codes are deleted, their sessions ended (except the administrator's own, when they
    reset themselves), they are told by e-mail, and the reset is recorded, in one transaction. They
    set up a new one at their next sign-in."""
    if not may_reset(reset_by, person):
        raise PermissionDenied("You may reset the second factor only of people in your own council.")
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=person.pk).first()
        _devices_delete(person)
        if person.pk == reset_by.pk:
            sign_in_sessions.sessions_end_others(user=person, current_key=current_session_key)
        else:
            sign_in_sessions.sessions_end_all(user=person)
        record = TwoFactorReset.objects.create(council_id=person.council_id, user=person, reset_by=reset_by)
        notification_record(
            recipient=person,
            kind=Notification.Kind.TWO_FACTOR_RESET,
            subject_key=f"two-factor-reset:{record.pk}",
            title=f"Your two-factor sign-in for {settings.SERVICE_NAME} was reset",
            body=(
                f"Hello {person.full_name},\n\n{reset_by} reset your two-factor sign-in for "
                f"{settings.SERVICE_NAME}: your authenticator app and recovery codes no longer work, and you "
                "were signed out everywhere. You will set up your authenticator app again the next time you "
                "sign in.\n\nIf you did not ask for this, tell your council administrator at once."
            ),
        )
    return record
