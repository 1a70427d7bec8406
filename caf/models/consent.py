"""The family's consent, their exclusions and the recorded exceptions to them, and the sharing-basis
vocabulary every app uses (Settled questions 10, 11 and 14).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agency
from caf.models.caf import Caf
from caf.models.children import Child


class SharingBasis(models.TextChoices):
    """Why information about the family may be shared: kept as data so that later bases (the 2026
    Act's duty to share, break-glass) and recorded decisions not to share fit without a redesign.
    All but the first are the recorded exceptions to a family's exclusion (Settled question 10). An
    exception is in force until `ended_at` (or for ever without one): break-glass sets its end when
    it is recorded."""

    CONSENT = "consent", "Consent"
    SAFEGUARDING_OVERRIDE = "safeguarding_override", "Safeguarding: risk of significant harm"
    CHILD_PROTECTION = "child_protection", "Child protection enquiry (section 47)"
    SOCIAL_WORK_LED = "social_work_led", "Allocated social worker of social-work-led support"
    BREAK_GLASS = "break_glass", "Break-glass: a safeguarding need, reviewed by a manager"
    DUTY_TO_SHARE = "duty_to_share", "Duty to share for safeguarding and welfare (Children Act 2004 s.16LA)"


class ConsentQuerySet(models.QuerySet):
    def current(self) -> "ConsentQuerySet":
        """Consents in force: neither withdrawn nor updated by a newer consent of the same person."""
        return self.filter(withdrawn_on__isnull=True, replaced_at__isnull=True)


class Consent(models.Model):
    class Method(models.TextChoices):
        SIGNED_FORM = "signed_form", "Signed consent form"
        VERBAL = "verbal", "Verbal, recorded by the practitioner"

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="consents")
    children = models.ManyToManyField(
        Child, related_name="+", help_text="The children this person consents for (Settled question 11)."
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
        help_text="The same person's earlier consent, which this one updates.",
    )
    replaced_at = models.DateTimeField(null=True, blank=True, help_text="Set when a newer consent updates this one.")
    given_by = models.CharField(max_length=200, help_text="The parent or carer, or the young person.")
    relationship = models.CharField(max_length=100, help_text='To the child, e.g. "mother", or "the young person".')
    is_young_person = models.BooleanField(default=False)
    competence_note = models.TextField(blank=True, help_text="For a young person: why they can consent for themselves.")
    given_on = models.DateField()
    method = models.CharField(max_length=20, choices=Method.choices)
    agencies = models.ManyToManyField(Agency, related_name="consents", help_text="The agencies it lets us share with.")
    excluded_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", help_text="Agencies the family does not want to see the assessment."
    )
    excluded_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    copy_to = models.TextField(blank=True, help_text="Who gets a copy of the assessment.")
    explained_storage = models.BooleanField(default=False)
    explained_sharing = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | ~Q(withdrawal_reason=""), name="consent_withdrawal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Consent given by {self.given_by} on {self.given_on}"

    @property
    def is_current(self) -> bool:
        return self.withdrawn_on is None and self.replaced_at is None


class FamilyExclusion(models.Model):
    """A person or an agency the family does not want to see their assessment: a deny that beats
    every grant (Settled question 10), kept as rows the permission check and the list querysets
    anti-join. Written by the consent services in the same transaction as the consent; carried to
    every later episode and CAF of the family's children; ended only by the family lifting it (a
    recorded act: who asked, who recorded it, when, why)."""

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="exclusions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    consent = models.ForeignKey(
        Consent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="exclusion_rows",
        help_text="The consent it was recorded with, if any.",
    )
    origin = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copies",
        help_text="The exclusion first recorded, when this one was carried to a later CAF of the family.",
    )
    made_by = models.CharField(max_length=200, help_text="The family member who asked for it.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agency__isnull=True, user__isnull=False) | Q(agency__isnull=False, user__isnull=True),
                name="exclusion_names_an_agency_or_a_person",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | (Q(lifted_by__isnull=False) & ~Q(lift_reason="")),
                name="exclusion_lifted_says_who_and_why",
            ),
            models.UniqueConstraint(
                fields=["caf", "agency"],
                condition=Q(lifted_at__isnull=True, agency__isnull=False),
                name="exclusion_agency_once_per_caf",
            ),
            models.UniqueConstraint(
                fields=["caf", "user"],
                condition=Q(lifted_at__isnull=True, user__isnull=False),
                name="exclusion_person_once_per_caf",
            ),
        ]
        indexes = [
            # The deny's anti-joins: by CAF and person, by CAF and agency, only rows in force.
            models.Index(fields=["user", "caf"], condition=Q(lifted_at__isnull=True), name="exclusion_in_force_person"),
            models.Index(
                fields=["agency", "caf"], condition=Q(lifted_at__isnull=True), name="exclusion_in_force_agency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency or self.user} excluded from {self.caf}"

    @property
    def is_in_force(self) -> bool:
        return self.lifted_at is None


class ExclusionException(models.Model):
    """One of the recorded exceptions to a family's exclusion (Settled question 10): the attached
    CAF goes to children's social care under a safeguarding override or a section 47 decision, and
    the allocated social worker of social-work-led support keeps it. Each has its basis, who and
    when; an agency exception beats an agency's exclusion, a person's exception a person's."""

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="exclusion_exceptions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    basis = models.CharField(max_length=30, choices=SharingBasis.choices)
    reason = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(agency__isnull=True, user__isnull=False) | Q(agency__isnull=False, user__isnull=True),
                name="exclusion_exception_names_an_agency_or_a_person",
            ),
            models.CheckConstraint(condition=~Q(basis="consent"), name="exclusion_exception_is_not_consent"),
        ]
        indexes = [
            models.Index(fields=["caf"], condition=Q(ended_at__isnull=True), name="exclusion_exception_in_force"),
        ]

    def __str__(self) -> str:
        return f"{self.agency or self.user} sees {self.caf}: {self.get_basis_display()}"
