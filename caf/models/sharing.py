"""Decisions about sharing a family's information that are not consent (issue 15; Settled questions
1, 10d and 15): a share under the duty to share for safeguarding and welfare (Children Act 2004
s.16LA, inserted by the Children's Wellbeing and Schools Act 2026 s.4), once the council says it is
in force for them, and a decision *not* to share, with who, what and why (s.16LA's exception: where
sharing would be more detrimental to the child's welfare than not sharing). Both are records, never
edited or deleted; both are in the child's chronology and on the managers' list."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agency
from caf.models.caf import Caf
from caf.models.consent import SharingBasis


class SharingDecision(models.Model):
    class Decision(models.TextChoices):
        SHARED = "shared", "Shared"
        NOT_SHARED = "not_shared", "Not shared"

    class WhyNot(models.TextChoices):
        MORE_DETRIMENTAL = (
            "more_detrimental",
            "Sharing would be more detrimental to the child's welfare than not sharing (s.16LA exception)",
        )
        NOT_NEEDED = "not_needed", "Not needed for the child's safeguarding or welfare"
        OTHER = "other", "Another reason (say what)"

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="sharing_decisions")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", help_text="Who it was shared with, or not shared with."
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    basis = models.CharField(
        max_length=30,
        choices=SharingBasis.choices,
        blank=True,
        help_text="The basis of a share (the duty to share); blank for a decision not to share.",
    )
    why_not = models.CharField(max_length=20, choices=WhyNot.choices, blank=True)
    asked_by = models.CharField(max_length=200, blank=True, help_text="Who asked for the information, if anyone.")
    what = models.TextField(help_text="What information was shared, or asked for and not shared.")
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["caf", "recorded_at"], name="sharing_decision_caf")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(decision="shared") & ~Q(basis="") & Q(why_not=""))
                | (Q(decision="not_shared") & Q(basis="") & ~Q(why_not="")),
                name="sharing_decision_has_its_basis_or_why_not",
            ),
            models.CheckConstraint(condition=~Q(basis="consent"), name="sharing_decision_is_not_consent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} with {self.agency}: {self.caf}"
