"""Retention (Settled question 25): a legal hold on a child, which stops their family's records
being anonymised, and the record of each anonymisation (what was done, never the old values)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import LocalAuthority
from accounts.scoping import CouncilScopedQuerySet
from caf.models.children import Child


class LegalHold(models.Model):
    """A child's records must be kept whatever their retention date says (a claim, an inquiry, a
    police investigation): placed and lifted by a CAF administrator of the child's council, each
    with who, when and why. While a hold is in force nothing of the child's family is anonymised and
    the access log's months that mention the child are archived, not dropped."""

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField()
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="legal_hold_has_reason"),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_reason="")
                | (Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_reason="")),
                name="legal_hold_lifted_says_who_and_why",
            ),
            models.UniqueConstraint(
                fields=["child"], condition=Q(lifted_at__isnull=True), name="one_legal_hold_in_force_per_child"
            ),
        ]

    def __str__(self) -> str:
        return f"Legal hold on record {self.child_id}"

    @property
    def is_in_force(self) -> bool:
        return self.lifted_at is None


class Anonymisation(models.Model):
    """One family's records anonymised by the retention job: which records, how many of each kind,
    when, and the retention date that was passed. Never the values it replaced."""

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    run_on = models.DateField(help_text="The day the job ran for (its 'today').")
    retention_date = models.DateField(help_text="The family's retention date: the latest of its records'.")
    caf_ids = ArrayField(models.BigIntegerField())
    child_ids = ArrayField(models.BigIntegerField())
    adult_ids = ArrayField(models.BigIntegerField(), default=list)
    counts = models.JSONField(help_text="Rows changed, by kind of record.")

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"Anonymised CAFs {self.caf_ids} on {self.run_on}"


class SocialCareStage(models.Model):
    """A social care stage a child reached, recorded by a social care manager of the child's council
    (Settled question 25): above all "became looked after" and "adopted", which no referral decision
    says, and Child in Need or child protection where the social care case lives in another system.
    Decisions made here (a referral decided as Child in Need or child protection) count without a
    row (referrals answers through caf.hooks). The stage's period (a council setting) extends the
    retention date of every record of the child's family. Never deleted by a user."""

    class Stage(models.TextChoices):
        CHILD_IN_NEED = "child_in_need", "Child in Need (section 17)"
        CHILD_PROTECTION = "child_protection", "Child protection (section 47 enquiry)"
        LOOKED_AFTER = "looked_after", "Became looked after"
        ADOPTED = "adopted", "Adopted"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="social_care_stages")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    reached_on = models.DateField(help_text="The day the child reached the stage.")
    note = models.TextField(blank=True, help_text="Where the social care record is, for example its reference.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["reached_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["child", "stage"], name="social_care_stage_once_per_child"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} (record {self.child_id})"
