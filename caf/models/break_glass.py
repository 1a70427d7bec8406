"""Break-glass (issue 15; Settled question 24): someone who may not see a child's record, and who
needs it now for the child's safety (an out-of-hours duty social worker, say), opens it read only
after giving a reason and their second factor. It lasts the council's set hours; the CAF
administrators and the person's manager are told at once; the manager marks each use justified or
not; the child's access log shows it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import LocalAuthority
from caf.models.children import Child


class BreakGlass(models.Model):
    class Review(models.TextChoices):
        WAITING = "waiting", "Waiting for review"
        JUSTIFIED = "justified", "Justified"
        NOT_JUSTIFIED = "not_justified", "Not justified"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="break_glass_uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_uses")
    reason = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="break_glass_reviews",
        help_text="The person's agency manager, else the council's early help lead; the CAF administrators if neither.",
    )
    review = models.CharField(max_length=20, choices=Review.choices, default=Review.WAITING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["child", "user", "ends_at"], name="break_glass_child_user"),
            models.Index(
                fields=["council", "opened_at"], condition=models.Q(review="waiting"), name="break_glass_to_review"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("opened_at")), name="break_glass_ends_after")
        ]

    def __str__(self) -> str:
        return f"Break-glass by {self.user} on {self.opened_at:%-d %B %Y %H:%M}"
