"""Writes to accounts: each function is the one place its rule lives."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.email_address import email_normalise
from accounts.models import EmailChange, Notification, Role, RoleChange, User
from accounts.notifications import notification_record

EMAIL_CHANGE_SALT = "accounts.email-change"


def user_staff_sync(*, user: User) -> User:
    """Only council administrators (and service administrators) may use the administration pages."""
    should_be_staff = user.is_superuser or user.groups.filter(name=Role.COUNCIL_ADMINISTRATOR).exists()
    if user.is_staff != should_be_staff:
        user.is_staff = should_be_staff
        user.save(update_fields=["is_staff"])
    return user


def user_roles_record(*, user: User, changed_by: User | None, before: set[str]) -> list[RoleChange]:
    """Record each role given to or taken from `user` since `before` (the role names they held), in
    the caller's transaction, so the history can never disagree with the roles. Shown to the
    council's administrators (the home page and the administration pages)."""
    after = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    before = before & set(Role.values)
    now = timezone.now()
    changes = [
        RoleChange(
            council_id=user.council_id, user=user, role=role, action=action, changed_by=changed_by, changed_at=now
        )
        for action, roles in ((RoleChange.Action.ADDED, after - before), (RoleChange.Action.REMOVED, before - after))
        for role in sorted(roles)
    ]
    return RoleChange.objects.bulk_create(changes)


def user_roles_of(user: User) -> set[str]:
    return set(Group.objects.filter(user=user, name__in=Role.values).values_list("name", flat=True))


def user_invitation_send(*, user: User) -> None:
    """E-mail a new user a link to choose their own password (nobody else ever knows it), through the
    notifications outbox: sent by a worker after the transaction commits, so a user whose creation
    fails is never e-mailed and a mail server that is down never fails the administrator's page."""
    token = default_token_generator.make_token(user)
    path = reverse(
        "password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token},
    )
    body = render_to_string(
        "registration/invitation_email.txt",
        {"user": user, "service_name": settings.SERVICE_NAME, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
    )
    notification_record(
        recipient=user,
        kind=Notification.Kind.ACCOUNT_INVITATION,
        subject_key=f"user:{user.pk}:invitation",
        title=f"Your account for {settings.SERVICE_NAME}",
        body=body.strip(),
        url=path,
    )


# Changing someone's e-mail address ---------------------------------------------------------------


def user_email_change_request(*, user: User, new_email: str, requested_by: User) -> EmailChange:
    """Ask to change `user`'s e-mail address. Nothing changes yet: a signed link goes to the new
    address (through the outbox), and the change takes effect only when the person follows it,
    signed in as themselves (user_email_change_confirm). A later request replaces an earlier one."""
    new_email = email_normalise(new_email)
    if new_email == user.email:
        raise ValidationError({"email": "This is already their e-mail address."})
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": "Someone already has an account with this e-mail address."})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one request per person at a time
        EmailChange.objects.filter(user=user, confirmed_at__isnull=True, cancelled_at__isnull=True).update(
            cancelled_at=timezone.now()
        )
        change = EmailChange.objects.create(
            user=user, old_email=user.email, new_email=new_email, requested_by=requested_by
        )
        token = signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).sign(str(change.pk))
        notification_record(
            recipient=user,
            kind=Notification.Kind.EMAIL_CHANGE_CONFIRM,
            subject_key=f"email-change:{change.pk}",
            title=f"Confirm your new e-mail address for {settings.SERVICE_NAME}",
            body=render_to_string(
                "registration/email_change_email.txt",
                {
                    "user": user,
                    "change": change,
                    "service_name": settings.SERVICE_NAME,
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                },
            ).strip(),
            url=reverse("email_change_confirm", args=[token]),
            email=new_email,
        )
    return change


def email_change_from_token(token: str) -> EmailChange:
    """The e-mail change a link stands for, or ValidationError when the link is altered, expired,
    replaced by a later change or already used."""
    try:
        pk = signing.TimestampSigner(salt=EMAIL_CHANGE_SALT).unsign(token, max_age=settings.PASSWORD_RESET_TIMEOUT)
        change = EmailChange.objects.select_related("user").get(pk=int(pk))
    except (signing.BadSignature, ValueError, EmailChange.DoesNotExist) as error:
        raise ValidationError("This link has expired or is not a link we sent.") from error
    if change.confirmed_at or change.cancelled_at:
        raise ValidationError("This link has already been used, or a later change replaced it.")
    return change


def user_email_change_confirm(*, user: User, token: str) -> User:
    """Make a requested e-mail change take effect: only the person it is about may, signed in as
    themselves, with the link sent to the new address. Their old address is told."""
    change = email_change_from_token(token)
    if change.user_id != user.pk:
        raise PermissionDenied("This link is for someone else's account.")
    with transaction.atomic():
        change = EmailChange.objects.select_for_update().get(pk=change.pk)
        if change.confirmed_at or change.cancelled_at:
            raise ValidationError("This link has already been used, or a later change replaced it.")
        old_email = user.email
        user.email = change.new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as error:
            user.email = old_email
            raise ValidationError("Someone else now has an account with this e-mail address.") from error
        change.confirmed_at = timezone.now()
        change.save(update_fields=["confirmed_at"])
        notification_record(
            recipient=user,
            kind=Notification.Kind.EMAIL_CHANGED,
            subject_key=f"email-change:{change.pk}",
            title=f"Your e-mail address for {settings.SERVICE_NAME} has changed",
            body=(
                f"Hello {user.full_name},\n\nYour sign-in address for {settings.SERVICE_NAME} is now "
                f"{change.new_email}; e-mails no longer come to this address.\n\nIf you did not expect this, "
                "tell your council administrator at once."
            ),
            email=old_email,
        )
    return user
