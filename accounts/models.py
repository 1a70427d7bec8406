"""Councils, their localities and agencies, and the people who use the service.

Every record in the service belongs to one local authority (council); a user belongs to one agency
and so to one council. Council scoping (accounts.scoping) keeps each council's records to itself.
"""

from datetime import time
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.email_address import email_normalise
from accounts.scoping import CouncilScopedQuerySet


class Role(models.TextChoices):
    """The roles of DESIGN.md, each a Django group whose permissions come from accounts/data/roles.yaml."""

    PRACTITIONER = "Practitioner", "Practitioner"
    CAF_ADMINISTRATOR = "CAF administrator", "CAF administrator"
    SOCIAL_CARE_MANAGER = "Social care manager", "Social care manager"
    SOCIAL_WORKER = "Social worker", "Social worker"
    COUNCIL_ADMINISTRATOR = "Council administrator", "Council administrator"


class AgencyType(models.TextChoices):
    SCHOOL = "school", "School"
    EARLY_YEARS = "early_years", "Early years"
    CHILDRENS_CENTRE = "childrens_centre", "Children's centre"
    HEALTH_VISITING = "health_visiting", "Health visiting"
    SCHOOL_NURSING = "school_nursing", "School nursing"
    GP = "gp", "GP"
    HOSPITAL = "hospital", "Hospital"
    CAMHS = "camhs", "Child and adolescent mental health"
    ADULT_MENTAL_HEALTH = "adult_mental_health", "Adult mental health"
    POLICE = "police", "Police"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    EARLY_HELP = "early_help", "Early help"
    YOUTH_SERVICE = "youth_service", "Youth service"
    YOUTH_OFFENDING = "youth_offending", "Youth offending"
    HOUSING = "housing", "Housing"
    EDUCATION_WELFARE = "education_welfare", "Education welfare"
    VOLUNTARY = "voluntary", "Voluntary and community"
    OTHER = "other", "Other"


TIME_ZONE_CHOICES = [(name, name) for name in sorted(available_timezones()) if name.startswith("Europe/")]


class LocalAuthorityQuerySet(CouncilScopedQuerySet):
    council_lookup = "pk"


class LocalAuthority(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True, help_text="Short name used in addresses and commands.")
    child_population = models.PositiveIntegerField(
        "child population aged 0 to 17",
        null=True,
        blank=True,
        help_text="Used for rates per 10,000 children; the figures show no rates until it is set.",
    )
    default_review_interval_weeks = models.PositiveSmallIntegerField(
        "default weeks between TAF reviews", default=6, validators=[MinValueValidator(1)]
    )
    referral_decision_deadline_working_hours = models.PositiveSmallIntegerField(
        "working hours to decide a step-up referral",
        default=8,
        validators=[MinValueValidator(1)],
        help_text="8 working hours is one working day with the default 09:00 to 17:00 working day.",
    )
    front_door_phone = models.CharField(
        "front door phone number",
        max_length=40,
        blank=True,
        help_text="Where staff call children's social care today about a child at risk of significant harm.",
    )
    out_of_hours_phone = models.CharField(
        "emergency duty team phone number",
        max_length=40,
        blank=True,
        help_text="Out of office hours, urgent safeguarding calls go here.",
    )
    review_reminder_working_days = models.PositiveSmallIntegerField(
        "working days before a review that reminders go", default=7
    )
    overdue_escalation_working_days = models.PositiveSmallIntegerField(
        "working days after a missed review before it escalates", default=5, validators=[MinValueValidator(1)]
    )
    step_down_pick_up_working_days = models.PositiveSmallIntegerField(
        "working days early help has to pick up a step-down", default=5, validators=[MinValueValidator(1)]
    )
    social_worker_leads_caf = models.BooleanField(
        "the allocated social worker becomes the CAF's lead professional",
        default=True,
        help_text=(
            "When social care takes a referral on (Child in Need or child protection), the CAF continues as one "
            "record, social-work led. Clear this if the council's social care cases live in another system: the "
            "CAF then closes as stepped up to children's social care."
        ),
    )
    no_lead_flag_working_days = models.PositiveSmallIntegerField(
        "working days an active CAF may wait for a lead professional", default=10, validators=[MinValueValidator(1)]
    )
    early_help_lead = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Overdue reviews escalate to them when the lead professional's agency has no manager.",
    )
    working_day_starts = models.TimeField(default=time(9, 0))
    working_day_ends = models.TimeField(default=time(17, 0))
    time_zone = models.CharField(max_length=60, default="Europe/London", choices=TIME_ZONE_CHOICES)

    objects = LocalAuthorityQuerySet.as_manager()

    class Meta:
        verbose_name = "council"
        verbose_name_plural = "councils"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_day_ends__gt=models.F("working_day_starts")),
                name="council_working_day_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(child_population__gt=0), name="council_child_population_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(default_review_interval_weeks__gt=0), name="council_review_interval_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(referral_decision_deadline_working_hours__gt=0),
                name="council_referral_deadline_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.working_day_starts and self.working_day_ends and self.working_day_ends <= self.working_day_starts:
            raise ValidationError({"working_day_ends": "The working day must end after it starts."})


class Locality(models.Model):
    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="localities")
    name = models.CharField(max_length=120)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "localities"
        ordering = ["council__name", "name"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="locality_name_unique_in_council")]

    def __str__(self) -> str:
        return self.name


class Agency(models.Model):
    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="agencies")
    locality = models.ForeignKey(
        Locality,
        on_delete=models.PROTECT,
        related_name="agencies",
        null=True,
        blank=True,
        help_text="Leave empty for an agency that works across the whole council.",
    )
    name = models.CharField(max_length=200)
    agency_type = models.CharField("type", max_length=40, choices=AgencyType.choices)
    manager = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Overdue reviews of CAFs led from this agency escalate to them.",
    )

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["council__name", "name"]
        constraints = [models.UniqueConstraint(fields=["council", "name"], name="agency_name_unique_in_council")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.locality_id and self.council_id and self.locality.council_id != self.council_id:
            raise ValidationError({"locality": "Choose a locality of the agency's own council."})


class UserQuerySet(CouncilScopedQuerySet):
    council_lookup = "agency__council"


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return email_normalise(email or "")

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address")
        user = self.model(email=self.normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("full_name", "Service administrator")
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Addresses are stored normalised (accounts.email_address), so one exact match finds the
        # account that the lock-out counts against, whatever the case, spaces or width typed.
        return self.get(email=email_normalise(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text="Every user except a service administrator belongs to one agency, and so to one council.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Clear this instead of deleting someone: their history stays readable."
    )
    is_staff = models.BooleanField(
        "can use the administration pages",
        default=False,
        help_text="Set from the council administrator role.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False) | models.Q(is_superuser=True),
                name="user_belongs_to_an_agency",
                violation_error_message="Choose the agency this person works for.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @classmethod
    def normalize_username(cls, username: str) -> str:
        return email_normalise(username)

    def clean(self) -> None:
        super().clean()
        self.email = email_normalise(self.email)

    def save(self, *args: object, **kwargs: object) -> None:
        # Stored normalised however the row was made (a form, the manager, a factory, the shell).
        self.email = email_normalise(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def council_id(self) -> int | None:
        return self.agency.council_id if self.agency_id else None

    @property
    def council(self) -> LocalAuthority | None:
        return self.agency.council if self.agency_id else None

    def has_role(self, role: Role) -> bool:
        return role.value in self.role_names

    @property
    def role_names(self) -> frozenset[str]:
        # Cached on the instance: the header and the home page ask several times per request.
        if not hasattr(self, "_role_names"):
            self._role_names = frozenset(self.groups.values_list("name", flat=True))
        return self._role_names


class Notification(models.Model):
    """Something a person must be told, by e-mail and in their notifications list.

    Exactly once: a notification is recorded before it is sent, unique per (recipient, kind,
    subject), so a job that runs twice records nothing new; the worker claims unsent rows with
    SKIP LOCKED and marks each sent after the mail server accepts it (README: the one window).
    """

    class Kind(models.TextChoices):
        REVIEW_DUE = "review_due", "Review coming up"
        REVIEW_TODAY = "review_today", "Review today"
        REVIEW_OVERDUE = "review_overdue", "Review overdue"
        REVIEW_ESCALATED = "review_escalated", "Overdue review escalated"
        ACTION_DUE = "action_due", "Action due"
        NO_LEAD_PROFESSIONAL = "no_lead_professional", "CAF without a lead professional"
        REFERRAL_IMMEDIATE = "referral_immediate", "Referral: immediate risk"
        REFERRAL_DECIDED = "referral_decided", "Referral decided"
        REFERRAL_OVERDUE = "referral_overdue", "Referral decision overdue"
        REFERRAL_STILL_OVERDUE = "referral_still_overdue", "Referral decision still overdue"
        SOCIAL_WORKER_ALLOCATED = "social_worker_allocated", "Allocated as social worker"
        STEP_DOWN_SENT = "step_down_sent", "Step-down to pick up"
        STEP_DOWN_OVERDUE = "step_down_overdue", "Step-down not picked up in time"
        STEP_DOWN_PICKED_UP = "step_down_picked_up", "Step-down picked up"
        ACCOUNT_INVITATION = "account_invitation", "Invitation to choose a password"
        EMAIL_CHANGE_CONFIRM = "email_change_confirm", "Confirm a new e-mail address"
        EMAIL_CHANGED = "email_changed", "E-mail address changed"
        CAF_REQUESTED = "caf_requested", "Another agency asks to work with a child known to early help"

    recipient = models.ForeignKey(User, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    subject_key = models.CharField(max_length=120, help_text='What it is about, e.g. "review:12:2026-12-01".')
    title = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    email = models.EmailField(
        blank=True,
        help_text="Sent to this address instead of the recipient's (a new address to confirm, an old one to warn); "
        "such a notification is not listed on the recipient's notifications page.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "subject_key"], name="notification_once"),
        ]
        indexes = [
            models.Index(
                fields=["sent_at", "cancelled_at"],
                name="notification_unsent",
                condition=Q(sent_at__isnull=True, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} for {self.recipient}"


class EmailChange(models.Model):
    """A change of someone's e-mail address asked for by an administrator. It takes effect only when
    the person, signed in as themselves, follows the signed link sent to the new address
    (accounts.services.user_email_change_confirm); until then the account keeps its old address."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="email_changes")
    old_email = models.EmailField("e-mail address when asked")
    new_email = models.EmailField("new e-mail address")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="Replaced by a later change.")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(confirmed_at__isnull=True, cancelled_at__isnull=True),
                name="one_pending_email_change_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.old_email} to {self.new_email}"


class RoleChange(models.Model):
    """One role given or taken away: who, whom, which role, when. Written in the same transaction as
    the change (accounts.services.user_roles_record), and shown to the council's administrators."""

    class Action(models.TextChoices):
        ADDED = "added", "given"
        REMOVED = "removed", "taken away"

    council = models.ForeignKey(
        LocalAuthority, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="The person's."
    )
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_changes", verbose_name="person")
    role = models.CharField(max_length=60, choices=Role.choices)
    action = models.CharField(max_length=10, choices=Action.choices)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["council", "-changed_at"], name="role_change_council_recent")]

    def __str__(self) -> str:
        return f"{self.role} {self.get_action_display()}: {self.user}"
