"""Children and the adults of their households, with the NHS number and UPN checks."""

from datetime import date

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone

from accounts.models import LocalAuthority
from accounts.scoping import CouncilScopedQuerySet


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
    # Set when the retention job replaced the child's personal details (caf.services.retention).
    anonymised_at = models.DateTimeField(null=True, blank=True)
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
            # Possible duplicates (caf.services.duplicates): records sharing a unique pupil number.
            models.Index(fields=["council", "upn"], name="child_council_upn", condition=~Q(upn="")),
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
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = CouncilScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.full_name} ({self.relationship})"


class PossibleDuplicate(models.Model):
    """Two records of the council that may be the same child, for the CAF administrators' queue
    (caf.services.duplicates finds them: the same unique pupil number, or names that sound alike
    with the same date of birth). The pair is stored once, the lower record first; it stays open
    until an administrator merges the records or says they are different children."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a CAF administrator"
        MERGED = "merged", "Merged"
        NOT_DUPLICATE = "not_duplicate", "Not the same child"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="+")
    child_a = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    child_b = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(max_digits=4, decimal_places=2)
    reasons = models.CharField(max_length=200)
    found_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["child_a", "child_b"], name="possible_duplicate_once"),
            models.CheckConstraint(condition=Q(child_a__lt=F("child_b")), name="possible_duplicate_in_order"),
        ]
        indexes = [
            models.Index(
                "council",
                F("score").desc(),
                F("found_at").desc(),
                name="possible_duplicate_queue",
                condition=Q(status="open"),
            ),
            models.Index(fields=["child_b"], name="possible_duplicate_child_b"),
        ]

    def __str__(self) -> str:
        return f"Records {self.child_a_id} and {self.child_b_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class ChildCorrection(models.Model):
    """A change to a child's record made by a merge (Settled question 18): which field, what it was
    and what it became, taken from which record, by whom and when. The kept record holds the new
    value; this is its history."""

    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="corrections")
    field = models.CharField(max_length=40)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    taken_from = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="+")
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-made_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.field} of record {self.child_id}"
