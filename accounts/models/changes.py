"""The history of changes to people's accounts: e-mail address changes, roles given or taken away, and
second factors reset by an administrator."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models.councils import LocalAuthority
from accounts.models.users import Role, User
from accounts.scoping import CouncilScopedQuerySet


class EmailChange(models.Model):
    """A change of someone's e-mail address asked for by an administrator. It takes effect only when
    the person, signed in as themselves, follows the signed link sent to the new address
    (accounts.services.user_email_change_confirm); until then the account keeps its old address."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="email_changes")
    old_email = models.EmailField("e-mail address when asked")
    new_email = models.EmailField("new e-mail address")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="Replaced by a later change.")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(confirmed_at__isnull=True, cancelled_at__isnull=True),
                name="one_pending_email_change_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.old_email} to {self.new_email}"


class RoleChange(models.Model):
    """One role given or taken away: who, whom, which role, when. Written in the same transaction as
    the change (accounts.services.user_roles_record), and shown to the council's administrators."""

    class Action(models.TextChoices):
        ADDED = "added", "given"
        REMOVED = "removed", "taken away"

    council = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="The person's."
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_changes", verbose_name="person")
    role = models.CharField(max_length=60, choices=Role.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["council", "-changed_at"], name="role_change_council_recent")]

    def __str__(self) -> str:
        return f"{self.role} {self.get_action_display()}: {self.user}"


class TwoFactorReset(models.Model):
    """An administrator's reset of someone's second factor (their authenticator app and recovery
    codes deleted, their sessions ended): who, whom, when. Written in the same transaction as the
    reset (accounts.two_factor.two_factor_reset), and listed for the council's administrators."""

    council = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="The person's."
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="two_factor_resets", verbose_name="person")
    reset_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reset_at = models.DateTimeField(default=timezone.now)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-reset_at", "-pk"]
        indexes = [models.Index(fields=["council", "-reset_at"], name="two_factor_reset_recent")]

    def __str__(self) -> str:
        return f"Second factor of {self.user} reset by {self.reset_by}"
