"""Children, families and their CAFs: consent, assessment, plan, Team Around the Family, lead
professional, closure, and the access log.

Nothing about a child is deleted by a user: closure, withdrawal, leaving a TAF and corrections are
new rows or end dates. The rules that change these records live in caf/services.py.
"""

from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from accounts.models import Agency, LocalAuthority
from accounts.scoping import CouncilScopedQuerySet
from core.forms import children_names
from thresholds.models import Indicator, Level, SubDomain, ThresholdModel


def nhs_number_validate(value: str) -> None:
    """An NHS number is 10 digits whose last is a modulus 11 check digit."""
    digits = value.replace(" ", "")
    if not (len(digits) == 10 and digits.isdigit()):
        raise ValidationError("Enter an NHS number of 10 digits, like 943 476 5919.")
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise ValidationError("This is not a valid NHS number: check it against the child's records.")


def upn_validate(value: str) -> None:
    """A unique pupil number: a letter and 12 more characters, letters or digits."""
    if not (len(value) == 13 and value[0].isalpha() and value.isalnum()):
        raise ValidationError("Enter a unique pupil number of 13 characters, starting with a letter.")


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NOT_KNOWN = "not_known", "Not known (for example, not yet born)"


class Child(models.Model):
    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="children")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    known_as = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    expected_date_of_birth = models.DateField(
        null=True, blank=True, help_text="For an unborn child. Keep it after the birth, for the record."
    )
    sex = models.CharField(max_length=20, choices=Sex.choices, default=Sex.NOT_KNOWN)
    gender = models.CharField(max_length=60, blank=True, help_text="How the child describes their gender, if known.")
    ethnicity = models.CharField(max_length=100, blank=True)
    first_language = models.CharField(max_length=60, blank=True)
    interpreter_needed = models.BooleanField(default=False)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    school_or_setting = models.CharField(max_length=200, blank=True)
    nhs_number = models.CharField("NHS number", max_length=12, blank=True, validators=[nhs_number_validate])
    upn = models.CharField("unique pupil number", max_length=13, blank=True, validators=[upn_validate])
    send = models.BooleanField(
        "special educational needs or disability",
        default=False,
        help_text="A CAF can then continue up to age 25.",
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_records",
        help_text="Set when a CAF administrator merged this record into another; both are kept.",
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "children"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__isnull=False) | Q(expected_date_of_birth__isnull=False),
                name="child_has_a_birth_date",
                violation_error_message="Enter a date of birth, or an expected date of birth for an unborn child.",
            ),
            models.UniqueConstraint(
                fields=["council", "nhs_number"],
                condition=~Q(nhs_number="") & Q(merged_into__isnull=True),
                name="child_nhs_number_unique_in_council",
                violation_error_message="A child with this NHS number is already recorded: use that record.",
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="child_not_merged_into_itself"),
        ]
        indexes = [
            # Find-before-create: trigram similarity on names, tolerant of spelling.
            GinIndex(OpClass(Lower("first_name"), name="gin_trgm_ops"), name="child_first_name_trgm"),
            GinIndex(OpClass(Lower("last_name"), name="gin_trgm_ops"), name="child_last_name_trgm"),
            # ... and on sound: fuzzystrmatch's double metaphone (immutable), as caf.selectors.children_find asks.
            models.Index(Func(Lower("first_name"), function="dmetaphone"), name="child_first_name_sound"),
            models.Index(Func(Lower("last_name"), function="dmetaphone"), name="child_last_name_sound"),
            models.Index(Upper("postcode"), name="child_postcode"),
            models.Index(fields=["council", "date_of_birth"], name="child_council_birth_date"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_unborn(self) -> bool:
        return self.date_of_birth is None

    def age_on(self, day: date) -> int | None:
        if self.date_of_birth is None:
            return None
        birthday_passed = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if birthday_passed else 1)


class Adult(models.Model):
    """A parent, carer or other adult in a child's household."""

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    children = models.ManyToManyField(
        Child,
        blank=True,
        related_name="household_adults",
        help_text="The children whose household this adult is part of.",
    )
    full_name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=100, help_text='To the children, e.g. "mother", "stepfather".')
    parental_responsibility = models.BooleanField(default=False)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.full_name} ({self.relationship})"


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
    next_review_on = models.DateField(
        null=True, blank=True, help_text="Set when the TAF forms and after every review (caf.services)."
    )

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

    def __str__(self) -> str:
        return f"CAF {self.reference or self.pk}"

    @property
    def children_names(self) -> str:
        """The CAF's children in a heading or a queue ("Amy Jones, Ben Jones"); prefetch children for lists."""
        return children_names(self.children.all())

    def review_subject_key(self, review_on: date) -> str:
        """The subject of one review date's reminders: the reminder jobs record under it, and moving
        the date cancels the old date's unsent ones by it, so both must build it here."""
        return f"review:{self.pk}:{review_on.isoformat()}"


class CafUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Caf, on_delete=models.CASCADE)


class CafGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Caf, on_delete=models.CASCADE)


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


class SharingBasis(models.TextChoices):
    """Why information about the family may be shared: kept as data so that later bases (the 2026
    Act's duty to share, break-glass) and recorded decisions not to share fit without a redesign.
    The last three are the recorded exceptions to a family's exclusion (Settled question 10)."""

    CONSENT = "consent", "Consent"
    SAFEGUARDING_OVERRIDE = "safeguarding_override", "Safeguarding: risk of significant harm"
    CHILD_PROTECTION = "child_protection", "Child protection enquiry (section 47)"
    SOCIAL_WORK_LED = "social_work_led", "Allocated social worker of social-work-led support"


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

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.action


class AccessLog(models.Model):
    """Who read or changed which child's record, when, from which agency. Written by the services
    and views; nobody can edit it (no admin, no update paths; a CAF administrator reads it)."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CHANGE = "change", "Changed"
        REFUSED = "refused", "Refused access"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+", null=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, null=True, related_name="+")
    child = models.ForeignKey(Child, on_delete=models.PROTECT, null=True, related_name="access_log")
    caf = models.ForeignKey(Caf, on_delete=models.PROTECT, null=True, related_name="access_log")
    action = models.CharField(max_length=10, choices=Action.choices)
    what = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Settled question 17: every child a row is about (a list page or search: every child shown;
    # a CAF: its children at the time), and the id asked for when it matched nothing.
    child_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    attempted_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [GinIndex(fields=["child_ids"], name="access_log_child_ids")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user}: {self.what}"


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
