"""Councils (local authorities), their localities and their agencies.

Every record in the service belongs to one council; council scoping (accounts.scoping) keeps each
council's records to itself.
"""

from datetime import date, time
from zoneinfo import available_timezones

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.models.roles import Role
from accounts.scoping import CouncilScopedQuerySet

# The duty to share (Children Act 2004 s.16LA) came with the Children's Wellbeing and Schools Act 2026.
DUTY_TO_SHARE_EARLIEST = date(2026, 1, 1)
DUTY_TO_SHARE_LATEST = date(2099, 12, 31)


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
    caf_target_rate_per_10000 = models.DecimalField(
        "target: CAFs started per 10,000 children a year",
        max_digits=6,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="The council's annual target (Kent's was 58.9); the figures show each financial year against it.",
    )
    step_down_pick_up_target_percent = models.DecimalField(
        "target: step-downs picked up within the deadline (per cent)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=(
            "The share of each month's step-downs that early help should pick up by their pick-up day, for example "
            "90; the figures draw it as the target line on the step-downs picked up in time."
        ),
    )
    shares_figures_with_councils = models.BooleanField(
        "share our figures with the other councils of this instance",
        default=False,
        help_text=(
            "When ticked, this council's CAF administrators, social care managers and council administrators may "
            "open the comparison across councils, which shows only the councils that share, each rounded to 5 with "
            "small numbers hidden. Off by default."
        ),
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
    closed_caf_read_months = models.PositiveSmallIntegerField(
        "months the team keeps read access to a closed CAF",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=(
            "At closure every member and agency loses change rights and keeps read access this long; after it, "
            "their chronology shows only that the CAF existed and asks them to contact the CAF administrator."
        ),
    )
    social_care_read_working_days = models.PositiveSmallIntegerField(
        "working days social care keeps a referred CAF after a Child in Need or child protection decision",
        default=45,
        validators=[MinValueValidator(1), MaxValueValidator(260)],
        help_text=(
            "45 working days is the statutory assessment's timescale. While a social worker leads the CAF, they "
            "and their agency keep it as its team; an earlier CAF opens to social care again when any of its "
            "children is referred."
        ),
    )
    drafts_kept_days = models.PositiveSmallIntegerField(
        "days an unsaved form is kept",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=(
            "What someone typed into a long form and did not save (or that arrived after they were signed out) "
            "is kept for them this long after they last touched it, then deleted."
        ),
    )
    # Retention (Settled question 25): how long a closed family's records are kept before the nightly
    # job anonymises them (caf.selectors.retention, caf.services.retention).
    retention_years_after_closure = models.PositiveSmallIntegerField(
        "years a closed early help record is kept after closure",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Early help records are kept until this long after closure, or the age below, whichever is later.",
    )
    retention_until_age = models.PositiveSmallIntegerField(
        "age of the youngest child until which early help records are kept",
        default=25,
        validators=[MinValueValidator(18), MaxValueValidator(100)],
        help_text="For an unborn child, counted from the expected date of birth.",
    )
    retention_child_in_need_age = models.PositiveSmallIntegerField(
        "age until which the records of a child who reached Child in Need (section 17) are kept",
        default=25,
        validators=[MinValueValidator(18), MaxValueValidator(120)],
    )
    retention_child_protection_age = models.PositiveSmallIntegerField(
        "age until which the records of a child who reached a child protection enquiry (section 47) are kept",
        default=35,
        validators=[MinValueValidator(18), MaxValueValidator(120)],
    )
    retention_looked_after_age = models.PositiveSmallIntegerField(
        "age until which the records of a looked-after child are kept",
        default=75,
        validators=[MinValueValidator(18), MaxValueValidator(120)],
        help_text="A social care manager records that a child became looked after, on the child's record.",
    )
    retention_adoption_age = models.PositiveSmallIntegerField(
        "age until which the records of an adopted child are kept",
        default=100,
        validators=[MinValueValidator(18), MaxValueValidator(120)],
        help_text="A social care manager records that a child was adopted, on the child's record.",
    )
    access_log_retention_months = models.PositiveSmallIntegerField(
        "months the access log is kept",
        default=84,
        validators=[MinValueValidator(12), MaxValueValidator(1200)],
        help_text=(
            "7 years by default: the 6 years in which a claim may be brought, and a year to answer it. The log is "
            "kept by month for every council of the service, so the longest council's setting applies to all."
        ),
    )
    no_lead_flag_working_days = models.PositiveSmallIntegerField(
        "working days an active CAF may wait for a lead professional", default=10, validators=[MinValueValidator(1)]
    )
    break_glass_hours = models.PositiveSmallIntegerField(
        "hours a break-glass opening lasts",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="Someone who opens a child's record with break-glass reads it for this long, then loses it.",
    )
    break_glass_roles = ArrayField(
        models.CharField(max_length=60, choices=Role.choices),
        default=list,
        blank=True,
        verbose_name="roles that may use break-glass",
        help_text=(
            "Staff with one of these roles may open a child's record they cannot otherwise see, for safeguarding, "
            "after giving a reason and their second factor (for example the emergency duty team's social workers)."
        ),
    )
    break_glass_agencies = models.ManyToManyField(
        "accounts.Agency",
        blank=True,
        related_name="+",
        verbose_name="agencies whose staff may use break-glass",
        help_text="Every member of staff of these agencies may use break-glass (for example the emergency duty team).",
    )
    duty_to_share_from = models.DateField(
        "the duty to share (Children Act 2004 s.16LA) is in force from",
        null=True,
        blank=True,
        help_text=(
            "Leave blank until the duty to share for safeguarding and welfare is in force for this council. From this "
            "date, the lead professional or a CAF administrator may record a share with an agency under it, also "
            "where the family did not consent or excluded that agency."
        ),
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
                condition=models.Q(caf_target_rate_per_10000__gte=0), name="council_caf_target_rate_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(step_down_pick_up_target_percent__gte=0)
                & models.Q(step_down_pick_up_target_percent__lte=100),
                name="council_step_down_target_a_percentage",
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
        if self.duty_to_share_from and not DUTY_TO_SHARE_EARLIEST <= self.duty_to_share_from <= DUTY_TO_SHARE_LATEST:
            raise ValidationError(
                {
                    "duty_to_share_from": "The duty to share came with the Children's Wellbeing and Schools Act 2026: "
                    "enter a date from 2026 to 2099."
                }
            )

    def duty_to_share_in_force(self, on: date) -> bool:
        """Whether the duty to share (s.16LA) is in force for this council on this day."""
        return self.duty_to_share_from is not None and self.duty_to_share_from <= on


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
