"""Writes to accounts: each function is the one place its rule lives."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Role, User


def user_staff_sync(*, user: User) -> User:
    """Only council administrators (and service administrators) may use the administration pages."""
    should_be_staff = user.is_superuser or user.groups.filter(name=Role.COUNCIL_ADMINISTRATOR).exists()
    if user.is_staff != should_be_staff:
        user.is_staff = should_be_staff
        user.save(update_fields=["is_staff"])
    return user


def user_invitation_send(*, user: User, base_url: str) -> None:
    """E-mail a new user a link to choose their own password (nobody else ever knows it).

    Sent after the transaction commits, so a user whose creation fails is never e-mailed.
    """
    token = default_token_generator.make_token(user)
    path = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )
    body = render_to_string(
        "registration/invitation_email.txt",
        {"user": user, "link": base_url.rstrip("/") + path, "service_name": settings.SERVICE_NAME},
    )
    subject = f"Your account for {settings.SERVICE_NAME}"
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
