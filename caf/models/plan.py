"""The Team Around the Family, the lead professional's assignments, and the delivery plan's actions."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agency
from caf.models.caf import Caf


class TeamAroundFamilyMember(models.Model):
    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="taf_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="taf_memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    role = models.CharField("role in the TAF", max_length=120, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["caf", "user"], condition=Q(left_at__isnull=True), name="one_current_taf_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.agency})"


class LeadProfessionalAssignment(models.Model):
    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="lead_professionals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_assignments")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    social_work_led = models.BooleanField(default=False)

    class Meta:
        ordering = ["started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["caf"], condition=Q(ended_at__isnull=True), name="one_current_lead_professional"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}, lead professional of {self.caf}"


class PlanAction(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        STOPPED = "stopped", "Stopped"

    # Still to do: what reviews record progress on, reminders chase and the overview counts as open.
    OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS)

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="actions")
    need = models.TextField(help_text="The need this action meets.")
    action = models.TextField(help_text="What will be done.")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="plan_actions"
    )
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    outcome = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Who last changed where the action is (an update or a review) and when; `version` counts those
    # changes, and a form drawn from an older one is a conflict, never an overwrite (issue 14).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.action
