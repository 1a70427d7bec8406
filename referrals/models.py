"""Step-up referrals to children's social care and step-down transfers back to early help.

Every step-up has a decision and every step-down a pick-up, each against a deadline in the
council's working calendar (DESIGN.md, rule 4). The allowed moves of both are tables in
referrals/services/_common.py; every move writes a timeline entry in the same transaction.
"""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Agency, LocalAuthority
from accounts.scoping import CouncilScopedQuerySet
from caf.models import Consent, SharingBasis

# A referral goes on the family's consent or under the safeguarding override: two of caf's sharing
# bases, which the referral's pages and timeline name in these words.
REFERRAL_BASIS_LABELS: dict[str, str] = {
    SharingBasis.CONSENT: "With consent",
    SharingBasis.SAFEGUARDING_OVERRIDE: "Without consent: seeking it would increase the risk",
}


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Awaiting a decision"
        DECIDED = "decided", "Decided"

    class Urgency(models.TextChoices):
        STANDARD = "standard", "Decision within the council's deadline"
        IMMEDIATE = "immediate", "Immediate risk of significant harm"

    class Decision(models.TextChoices):
        NO_FURTHER_ACTION = "no_further_action", "No further action, with advice to the referrer"
        STEP_DOWN = "step_down", "Step down to early help"
        CHILD_IN_NEED = "child_in_need", "Social care assessment as a Child in Need (section 17)"
        CHILD_PROTECTION = "child_protection", "Strategy discussion and child protection enquiry (section 47)"

    SOCIAL_CARE_DECISIONS = (Decision.CHILD_IN_NEED, Decision.CHILD_PROTECTION)

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
    referring_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="referrals_made", help_text="The referrer's agency then."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.STANDARD)

    # What the referrer says.
    concern = models.TextField(blank=True)
    tried = models.TextField("what has been tried", blank=True)
    views_of_child = models.TextField("the child's views", blank=True)
    views_of_family = models.TextField("the family's views", blank=True)
    family_informed = models.BooleanField("the family knows about the referral", null=True, blank=True)
    basis = models.CharField(
        max_length=30, choices=[(basis, SharingBasis(basis).label) for basis in REFERRAL_BASIS_LABELS], blank=True
    )
    consent_given_by = models.CharField(max_length=200, blank=True)
    consent_relationship = models.CharField(max_length=100, blank=True)
    consent_given_on = models.DateField(null=True, blank=True)
    override_reason = models.TextField(blank=True, help_text="Why consent was not sought.")

    # Immediate risk: the referrer phones the front door first, then records the call.
    front_door_called_at = models.DateTimeField(null=True, blank=True)
    front_door_spoke_to = models.CharField(max_length=200, blank=True)
    front_door_advice = models.TextField(blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    decision_due_at = models.DateTimeField(null=True, blank=True)

    # The front door's side.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    decision_reasons = models.TextField(blank=True)
    advice = models.TextField("advice to the referrer", blank=True)
    allocated_social_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="allocated_referrals"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(basis="safeguarding_override") | ~Q(override_reason=""),
                name="referral_override_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(sent_at__isnull=False) & Q(decision_due_at__isnull=False) & ~Q(basis="") & ~Q(concern="")),
                name="referral_sent_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(basis="consent") | ~Q(consent_given_by=""),
                name="referral_consent_says_who",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(urgency="immediate") | Q(front_door_called_at__isnull=False),
                name="referral_immediate_risk_called_first",
            ),
            models.CheckConstraint(
                condition=~Q(status="decided")
                | (
                    ~Q(decision="")
                    & ~Q(decision_reasons="")
                    & Q(decided_at__isnull=False)
                    & Q(decided_by__isnull=False)
                ),
                name="referral_decision_is_complete",
            ),
        ]
        indexes = [
            # A council's referrals by status, newest sent first (the figures and earlier lists).
            models.Index(fields=["council", "status", "sent_at"], name="referral_queue"),
            # The front-door queue (referrals.selectors.front_door_queue: status "sent", the earliest
            # decision deadline first).
            models.Index(fields=["council", "status", "decision_due_at"], name="referral_decision_due"),
            # The front door's "Decided in the last 7 days" (referrals_decided_recently).
            models.Index(fields=["council", "status", "decided_at"], name="referral_decided"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.pk}"

    @property
    def record_key(self) -> str:
        """How the drafts of this referral's forms name it (accounts.FormDraft.record)."""
        return f"referral:{self.pk}"

    @property
    def is_immediate(self) -> bool:
        return self.urgency == self.Urgency.IMMEDIATE

    @property
    def basis_label(self) -> str:
        """The basis in the referral's words ("With consent"); blank until it is chosen."""
        return REFERRAL_BASIS_LABELS.get(self.basis, self.basis)


class StepDown(models.Model):
    """A family sent from children's social care to early help, at one of Kent's three points (004),
    waiting to be picked up into a CAF with a lead professional (DESIGN.md, Settled question 6)."""

    class Point(models.TextChoices):
        FRONT_DOOR = "front_door", "At the front door: the threshold for social care is not met"
        AFTER_ASSESSMENT = "after_assessment", "After a social care assessment that found the threshold not met"
        CHILD_IN_NEED_CLOSURE = "child_in_need_closure", "At the closure of a Child in Need case"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be picked up"
        PICKED_UP = "picked_up", "Picked up: waiting for a lead professional"
        COMPLETED = "completed", "Picked up, with a lead professional"
        DECLINED = "declined", "Declined by the family"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="step_downs")
    point = models.CharField(max_length=30, choices=Point.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="step_downs",
        help_text="The referral it follows: decided at the front door, or the social care work it started.",
    )
    caf = models.ForeignKey(
        "caf.Caf",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="step_downs",
        help_text="The family's CAF, if they had one: continued or reopened at pick-up.",
    )
    children = models.ManyToManyField("caf.Child", related_name="step_downs")

    reason = models.TextField(help_text="Why social care is stepping down.")
    open_needs = models.TextField("needs still open")
    social_worker_summary = models.TextField("the social worker's summary")
    consent_given_by = models.CharField(max_length=200)
    consent_relationship = models.CharField(max_length=100)
    consent_given_on = models.DateField()
    consent_method = models.CharField(max_length=20, choices=Consent.Method.choices)
    consent_agencies = models.ManyToManyField(
        Agency, related_name="+", help_text="The agencies the family agreed early help may share with."
    )
    # What the family said at the step-down, recorded as given (Settled question 11): who may not
    # see their assessment, and whether storage and sharing were explained. Never set by default.
    excluded_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="+", help_text="Agencies the family does not want to see the assessment."
    )
    excluded_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    explained_storage = models.BooleanField(default=False)
    explained_sharing = models.BooleanField(default=False)

    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    pick_up_due_on = models.DateField(help_text="The last working day for pick-up (the council's setting).")

    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    picked_up_at = models.DateTimeField(null=True, blank=True)
    picked_up_caf = models.ForeignKey(
        "caf.Caf", on_delete=models.PROTECT, null=True, blank=True, related_name="step_downs_picked_up"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["waiting", "declined"])
                | (Q(picked_up_caf__isnull=False) & Q(picked_up_at__isnull=False) & Q(picked_up_by__isnull=False)),
                name="step_down_picked_up_has_caf",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="step_down_completed_has_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | (Q(declined_at__isnull=False) & ~Q(decline_reason="")),
                name="step_down_declined_has_reason",
            ),
            models.UniqueConstraint(
                fields=["referral", "point"],
                condition=Q(referral__isnull=False),
                name="step_down_once_per_referral_and_point",
                violation_error_message="This family has already been stepped down at this point.",
            ),
        ]
        indexes = [
            # The pick-up queue and social care's open step-downs (referrals.selectors.queues:
            # step_downs_to_pick_up, step_downs_open_from_social_care: by status, nearest due date
            # first) and "waiting for a lead professional" (status "picked_up").
            models.Index(fields=["council", "status", "pick_up_due_on"], name="step_down_queue"),
        ]

    def __str__(self) -> str:
        return f"Step-down {self.pk}"

    @property
    def point_phrase(self) -> str:
        """The point inside a sentence: "at the closure of a Child in Need case"."""
        label = self.get_point_display()
        return label[0].lower() + label[1:]

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.WAITING, self.Status.PICKED_UP)


class TimelineEntry(models.Model):
    """What happened to a referral or a step-down, by whom and when: written by the services in the
    same transaction as the change (and by the deadline job, with nobody as the actor)."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="timeline")
    step_down = models.ForeignKey(StepDown, on_delete=models.PROTECT, null=True, blank=True, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    what = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "timeline entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(referral__isnull=False, step_down__isnull=True)
                | Q(referral__isnull=True, step_down__isnull=False),
                name="timeline_entry_has_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what}"


class SocialCareReturnMonth(models.Model):
    """A council's monthly total of referrals to children's social care from its own social care return
    (Settled question 22), typed in by its council or CAF administrator so that the figures can show the
    share of all referrals that came through this service with a CAF (Medway's "1% of about 3,400").
    A correction replaces the month's total, with who entered it and when."""

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    month = models.DateField(help_text="The first day of the month the total is for.")
    referrals = models.PositiveIntegerField()
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["council", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["council", "month"], name="social_care_return_once_a_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="social_care_return_month_starts_on_day_1"),
        ]

    def __str__(self) -> str:
        return f"{self.council}: {self.month:%B %Y}, {self.referrals}"


class FiguresJSONEncoder(DjangoJSONEncoder):
    """Keeps what a figure holds besides JSON's own types (exact decimals, dates) as itself."""

    def default(self, o: Any) -> Any:
        if isinstance(o, Decimal):
            return {"$decimal": str(o)}
        if isinstance(o, datetime):
            return {"$datetime": o.isoformat()}
        if isinstance(o, date):
            return {"$date": o.isoformat()}
        return super().default(o)


class FiguresJSONDecoder(json.JSONDecoder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, object_hook=self._revive, **kwargs)

    @staticmethod
    def _revive(value: dict[str, Any]) -> Any:
        if len(value) == 1:
            ((key, text),) = value.items()
            if key == "$decimal":
                return Decimal(text)
            if key == "$datetime":
                return datetime.fromisoformat(text)
            if key == "$date":
                return date.fromisoformat(text)
        return value


class FiguresSnapshot(models.Model):
    """The council's figures for one of the periods people open most (the last 12 months, this
    financial year), unfiltered, counted by the nightly job (referrals.services.figures_snapshots) so the
    page answers at once however many years of records the council holds (issue 16: "precompute only
    if it must, and then say on the page how fresh they are"). Counted again each night; the page uses
    one only on the day it was counted, and offers to count again now."""

    council = models.ForeignKey(LocalAuthority, on_delete=models.CASCADE, related_name="+")
    first_month = models.DateField()
    last_month = models.DateField()
    counted_at = models.DateTimeField(default=timezone.now)
    sections = models.JSONField(
        encoder=FiguresJSONEncoder,
        decoder=FiguresJSONDecoder,
        help_text="The page's sections of figures (referrals.selectors.council_figures).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["council", "first_month", "last_month"], name="figures_snapshot_once"),
        ]

    def __str__(self) -> str:
        return f"{self.council}: {self.first_month:%B %Y} to {self.last_month:%B %Y}, counted {self.counted_at}"
