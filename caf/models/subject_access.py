"""Subject access requests (issue 15; Settled question 26): a CAF administrator records a person's
request for everything held about them, downloads the draft export for the council's information
governance officer, and records the decision to release it or withhold it (a person's recorded
decision, never a default).

The subject is a child (their record), or an adult named in the consent records (as the consent
names them: consenting people are stored by name, `Consent.given_by`). A request about a young
person (12 to 17 on the day it was made) records whether they were judged competent to make it, how,
and their view."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import LocalAuthority
from accounts.scoping import CouncilScopedQuerySet
from caf.models.children import Child

# A young person's request records their competence and view (Settled question 26): from 12 (the age
# the ICO's guidance for Scotland presumes, and the usual English practice) until they are 18.
YOUNG_PERSON_AGES = range(12, 18)


class SubjectAccessRequest(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft: for the information governance officer to review"
        RELEASED = "released", "Released"
        WITHHELD = "withheld", "Withheld"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey(
        Child, on_delete=models.PROTECT, null=True, blank=True, related_name="subject_access_requests"
    )
    adult_name = models.CharField(
        max_length=200, blank=True, help_text="An adult subject, as the consent records name them."
    )
    # An adult picked from a child's family (their household, consents, exclusions) rather than found
    # by name across the council: only that family's records are theirs, so a namesake elsewhere is not.
    family_child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For an adult picked from a child's family: that child.",
    )
    requested_by = models.CharField(max_length=200, help_text="Who made the request: the person, or who for them.")
    requested_on = models.DateField()
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # A young person's request only (YOUNG_PERSON_AGES on the day it was made).
    competent = models.BooleanField(null=True, blank=True, help_text="Judged competent to make the request.")
    competence_note = models.TextField(blank=True, help_text="How their competence was judged.")
    young_person_view = models.TextField(blank=True, help_text="The young person's view of the request.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(child__isnull=False) & Q(adult_name="")) | (Q(child__isnull=True) & ~Q(adult_name="")),
                name="subject_access_names_a_child_or_an_adult",
            ),
            models.CheckConstraint(
                condition=Q(family_child__isnull=True) | Q(child__isnull=True),
                name="subject_access_family_only_for_an_adult",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", decided_at__isnull=True, decided_by__isnull=True)
                | (
                    Q(status__in=["released", "withheld"], decided_at__isnull=False, decided_by__isnull=False)
                    & ~Q(decision_reason="")
                ),
                name="subject_access_decision_says_who_when_why",
            ),
            models.CheckConstraint(
                condition=Q(competent__isnull=True) | ~Q(young_person_view=""),
                name="subject_access_young_person_view_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Subject access request {self.pk}"

    @property
    def subject_name(self) -> str:
        return str(self.child) if self.child_id else self.adult_name

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT
