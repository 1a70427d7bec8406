"""Step-up referrals to children's social care. The CAF issue creates the minimal record (a
safeguarding override on a draft CAF turns it into a referral draft); the referrals issue adds
sending, the decision queue and step-down."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import LocalAuthority
from accounts.scoping import CouncilScopedQuerySet


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent to children's social care"

    class Basis(models.TextChoices):
        CONSENT = "consent", "With consent"
        SAFEGUARDING_OVERRIDE = "safeguarding_override", "Without consent: seeking it would increase the risk"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="referrals")
    caf = models.ForeignKey(
        "caf.Caf",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The CAF attached as evidence, if any.",
    )
    children = models.ManyToManyField("caf.Child", related_name="referrals")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    basis = models.CharField(max_length=30, choices=Basis.choices)
    override_reason = models.TextField(blank=True, help_text="Why consent was not sought.")
    concern = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(basis="safeguarding_override") | ~Q(override_reason=""),
                name="referral_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(sent_at__isnull=False), name="referral_sent_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"
