"""The CAF (one child or a Family CAF), its children with their levels of need and the level history,
the assessment's entries, and the object permission tables (django-guardian, direct foreign keys).
"""

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Agency, LocalAuthority
from accounts.scoping import CouncilScopedQuerySet
from caf.models.children import Adult, Child
from core.forms import children_names
from thresholds.models import Indicator, Level, SubDomain, ThresholdModel


class Caf(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    class Kind(models.TextChoices):
        CHILD = "child", "One child"
        FAMILY = "family", "Whole family (Family CAF)"

    class ClosureReason(models.TextChoices):
        NEEDS_MET = "needs_met", "Needs met, universal services continue"
        STEPPED_UP = "stepped_up", "Stepped up to children's social care"
        MOVED_OUT_OF_AREA = "moved_out_of_area", "Moved out of the area"
        CONSENT_WITHDRAWN = "consent_withdrawn", "Consent withdrawn"
        DISENGAGED = "disengaged", "Family disengaged"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="cafs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CHILD)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    children = models.ManyToManyField(Child, through="CafChild", related_name="cafs")
    adults = models.ManyToManyField(Adult, blank=True, related_name="cafs")
    initiating_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="initiated_cafs")
    initiated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="initiated_cafs")
    threshold_model = models.ForeignKey(
        ThresholdModel,
        on_delete=models.PROTECT,
        related_name="cafs",
        help_text="The version of the council's model the assessment used.",
    )
    previous_episode = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_episode"
    )
    created_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    reference = models.CharField(max_length=40, blank=True, help_text="The council's reference, given at registration.")
    registered_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)
    outcome_summary = models.TextField(blank=True)
    views_of_child = models.TextField("the child's views", blank=True)
    views_of_family = models.TextField("the views of the parents and carers", blank=True)
    assessment_submitted_at = models.DateTimeField(null=True, blank=True)
    # Each save of the assessment counts up, and its form carries the number it showed: a save from a
    # form drawn before someone else's save is refused as a conflict (caf.services.assessment_save).
    assessment_version = models.PositiveIntegerField(default=0)
    assessment_saved_at = models.DateTimeField(null=True, blank=True)
    assessment_saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    next_review_on = models.DateField(
        null=True, blank=True, help_text="Set when the TAF forms and after every review (caf.services)."
    )
    # Set when the retention job replaced the CAF's free text and its people's details.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "CAF"
        ordering = ["-created_at"]
        permissions = [
            ("change_plan", "Can change the delivery plan, TAF and reviews (lead professional)"),
            ("close_caf", "Can close the CAF (lead professional)"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(activated_at__isnull=False), name="caf_active_has_activation_date"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(closure_reason="")),
                name="caf_closed_has_date_and_reason",
            ),
            models.UniqueConstraint(
                fields=["council", "reference"], condition=~Q(reference=""), name="caf_reference_unique_in_council"
            ),
        ]
        # The queues' filters (issue 13), each partial so it holds only the rows its queue reads.
        indexes = [
            # The CAF administrator's "Reviews overdue" (caf.selectors.reviews_overdue_in_council: the
            # council's active CAFs by next review date, earliest first) and review_figures' count.
            models.Index(
                fields=["council", "next_review_on"], condition=Q(status="active"), name="caf_active_by_review"
            ),
            # "CAFs without a lead professional" and "Lead professional changes to log": the council's
            # active CAFs, longest active first (caf.selectors.queues.LONGEST_WAITING).
            models.Index(
                fields=["council", "activated_at"], condition=Q(status="active"), name="caf_active_by_activation"
            ),
            # The council's figures (referrals.selectors.council_figures): closures and families whose level
            # came down by closure, a council's CAFs closed in a period.
            models.Index(fields=["council", "closed_at"], condition=Q(status="closed"), name="caf_closed_by_closure"),
            # "New CAFs to register": the few active CAFs not yet registered, longest active first.
            models.Index(
                fields=["council", "activated_at"],
                condition=Q(status="active", registered_at__isnull=True),
                name="caf_to_register",
            ),
            # The first page of the CAF list (caf.selectors.lists: newest first) for a CAF administrator,
            # who sees every CAF of the council by role: read in order, never sorting the council's CAFs.
            models.Index(fields=["council", "-created_at", "-id"], name="caf_list_newest_first"),
        ]

    def __str__(self) -> str:
        return f"CAF {self.reference or self.pk}"

    @property
    def record_key(self) -> str:
        """How the drafts of this CAF's forms name it (accounts.FormDraft.record)."""
        return f"caf:{self.pk}"

    @property
    def children_names(self) -> str:
        """The CAF's children in a heading or a queue ("Amy Jones, Ben Jones"): from a home queue's
        names (caf.selectors.queue_children) where the row has them, else prefetch children for lists."""
        carried: list[list[Any]] | None = getattr(self, "queue_children", None)
        if carried is not None:
            return ", ".join(name for _, name in carried)
        return children_names(self.children.all())

    def review_subject_key(self, review_on: date) -> str:
        """The subject of one review date's reminders: the reminder jobs record under it, and moving
        the date cancels the old date's unsent ones by it, so both must build it here."""
        return f"review:{self.pk}:{review_on.isoformat()}"


class GrantReason(models.TextChoices):
    """Why a grant exists (Settled question 12): a grant ends when its reason ends, so each reason
    is its own row, and ending one never touches another."""

    INITIATOR = "initiator", "Started the CAF"
    MEMBER = "member", "Member of the Team Around the Family"
    LEAD_PROFESSIONAL = "lead_professional", "Lead professional"
    AGENCY_INVOLVED = "agency_involved", "Agency involved (initiating agency or a member's agency)"
    REFERRAL = "referral", "Children's social care: a referral of the CAF or of its children"
    BREAK_GLASS = "break_glass", "Break-glass: opened for safeguarding, read only, for a few hours"
    DUTY_TO_SHARE = "duty_to_share", "Shared under the duty to share (Children Act 2004 s.16LA)"


# When a grant ends, for comparing with now: its end, or never (an open-ended grant). The grant
# tables index it after the holder and permission ("live" indexes), so the grants in force of one
# person or agency are one range of an index however many have ended; caf.permissions compares with
# this same text, which is what lets PostgreSQL use the index.
GRANT_ENDS_SQL = "COALESCE({valid_until}, 'infinity'::timestamptz)"


class GrantEnds(models.Func):
    """GRANT_ENDS_SQL as an expression, for the indexes."""

    template = GRANT_ENDS_SQL.format(valid_until="%(expressions)s")
    output_field = models.DateTimeField()


class Grant(models.Model):
    """The fields every grant row carries besides guardian's: its reason and when it ends. The
    permission check and the list querysets compare `valid_until` with now, so access ends on time
    without waiting for a job; an open-ended grant has none."""

    content_object = models.ForeignKey(Caf, on_delete=models.CASCADE)
    reason = models.CharField(max_length=20, choices=GrantReason.choices)
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


class CafUserObjectPermission(Grant, UserObjectPermissionBase):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "permission", "content_object", "reason"], name="caf_user_grant_once_per_reason"
            )
        ]
        indexes = [
            models.Index(
                models.F("user"),
                models.F("permission"),
                GrantEnds("valid_until"),
                models.F("content_object"),
                name="caf_user_grant_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.permission.codename} on CAF {self.content_object_id} ({self.reason})"


class CafGroupObjectPermission(Grant, GroupObjectPermissionBase):
    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "permission", "content_object", "reason"], name="caf_group_grant_once_per_reason"
            )
        ]
        indexes = [
            models.Index(
                models.F("group"),
                models.F("permission"),
                GrantEnds("valid_until"),
                models.F("content_object"),
                name="caf_group_grant_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.permission.codename} on CAF {self.content_object_id} ({self.reason})"


class CafChild(models.Model):
    """A child in a CAF, with their own level of need (Settled question 4)."""

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="caf_children")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="caf_links")
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="+")
    extra_unmet_needs = models.PositiveSmallIntegerField(default=0)
    suggested_level = models.ForeignKey(Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    suggestion_reasons = models.JSONField(default=list, blank=True)
    level = models.ForeignKey(Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    level_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caf", "child"], name="child_once_per_caf")]

    def __str__(self) -> str:
        return f"{self.child} in {self.caf}"


class LevelChange(models.Model):
    """Every level set for a child, with who, when, why: the child's level history."""

    caf_child = models.ForeignKey(CafChild, on_delete=models.PROTECT, related_name="level_changes")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="level_changes")
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    suggested_level = models.ForeignKey(Level, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    review = models.ForeignKey("Review", on_delete=models.PROTECT, null=True, blank=True, related_name="level_changes")

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.child}: {self.level}"


class AssessmentEntry(models.Model):
    """Strengths and needs for one sub-domain of the Assessment Framework."""

    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, related_name="assessment_entries")
    sub_domain = models.ForeignKey(SubDomain, on_delete=models.PROTECT, related_name="+")
    strengths = models.TextField(blank=True)
    needs = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caf", "sub_domain"], name="assessment_entry_once")]

    def __str__(self) -> str:
        return f"{self.caf}: {self.sub_domain}"
