"""Reviews of the plan, the progress each records against the plan's actions, and the review date's history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from caf.models.caf import Caf
from caf.models.plan import PlanAction


class ReviewDateChange(models.Model):
    """Every next review date set for a CAF: when the TAF formed, after a review, or moved by the
    lead professional with a reason."""

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="review_date_changes")
    review_on = models.DateField()
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.caf}: review on {self.review_on}"


class Review(models.Model):
    """A Team Around the Family review meeting, recorded by the lead professional."""

    class Decision(models.TextChoices):
        CONTINUE = "continue", "Continue the plan"
        STEP_UP = "step_up", "Step up to children's social care"
        STEP_DOWN = "step_down", "Close: needs met, universal services continue"
        CLOSE = "close", "Close the CAF"

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="reviews")
    held_on = models.DateField()
    due_on = models.DateField(null=True, blank=True, help_text="The review date it met, for reviews on time.")
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    family_attendees = models.TextField(blank=True, help_text="Family members who took part.")
    summary = models.TextField(blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    next_review_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=["close", "step_up", "step_down"]) | Q(next_review_on__isnull=False),
                name="review_continuing_has_next_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.caf} on {self.held_on}"

    @property
    def on_time(self) -> bool | None:
        return None if self.due_on is None else self.held_on <= self.due_on


class ReviewActionProgress(models.Model):
    class Status(models.TextChoices):
        DONE = "done", "Done"
        IN_PROGRESS = "in_progress", "In progress"
        NOT_STARTED = "not_started", "Not started"
        NO_LONGER_NEEDED = "no_longer_needed", "No longer needed"

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="progress")
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="review_progress")
    status = models.CharField(max_length=20, choices=Status.choices)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["review", "action"], name="action_progress_once_per_review")]

    def __str__(self) -> str:
        return f"{self.action}: {self.get_status_display()}"


# What a review records about each open action, and the plan status it leaves the action in.
REVIEW_PROGRESS_TO_ACTION_STATUS: dict[str, str] = {
    ReviewActionProgress.Status.DONE: PlanAction.Status.DONE,
    ReviewActionProgress.Status.IN_PROGRESS: PlanAction.Status.IN_PROGRESS,
    ReviewActionProgress.Status.NOT_STARTED: PlanAction.Status.NOT_STARTED,
    ReviewActionProgress.Status.NO_LONGER_NEEDED: PlanAction.Status.STOPPED,
}
