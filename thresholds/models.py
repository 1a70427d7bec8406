"""Threshold models: each council's levels of need, example indicators and rules, as versioned data.

A council has one model history: draft versions that its administrators edit, at most one
published version that is current, and retired ones kept for the record (assessments name the
version they used). A published or retired version never changes: a change is a new version,
started as a copy of the latest.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.models import LocalAuthority
from accounts.scoping import CouncilScopedQuerySet


class Domain(models.Model):
    """One of the three domains of the Assessment Framework (national reference data)."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class SubDomain(models.Model):
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="sub_domains")
    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["domain__order", "order"]
        constraints = [models.UniqueConstraint(fields=["domain", "order"], name="sub_domain_order_unique")]

    def __str__(self) -> str:
        return self.name


class ThresholdModelQuerySet(CouncilScopedQuerySet):
    def published(self) -> "ThresholdModelQuerySet":
        return self.filter(status=ThresholdModel.Status.PUBLISHED)


class ThresholdModel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="threshold_models")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    source = models.TextField(blank=True, help_text="The documents this version was taken from.")
    based_on = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="later_versions")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ThresholdModelQuerySet.as_manager()

    class Meta:
        ordering = ["council__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["council", "version"], name="threshold_model_version_unique"),
            models.UniqueConstraint(
                fields=["council"], condition=Q(status="published"), name="one_published_threshold_model_per_council"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="threshold_model_published_has_a_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, version {self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class Level(models.Model):
    class CafUse(models.TextChoices):
        NOT_USED = "not_used", "A CAF is not used"
        OPTIONAL = "optional", "A CAF is optional"
        EXPECTED = "expected", "A CAF is expected"

    class SocialCareReferral(models.TextChoices):
        NONE = "none", "No referral to children's social care"
        CHILD_IN_NEED = "child_in_need", "Referral to children's social care: Child in Need (section 17)"
        CHILD_PROTECTION = "child_protection", "Referral to children's social care: child protection (section 47)"

    threshold_model = models.ForeignKey(ThresholdModel, on_delete=models.CASCADE, related_name="levels")
    order = models.PositiveSmallIntegerField(help_text="1 is the lowest level of need.")
    code = models.CharField(max_length=20, help_text='As the council writes it, e.g. "2" or "3b".')
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    features = models.TextField(blank=True)
    assessment_process = models.TextField(blank=True)
    key_services = models.TextField(blank=True, help_text="One service per line.")
    caf_use = models.CharField("CAF", max_length=20, choices=CafUse.choices)
    social_care_referral = models.CharField(max_length=20, choices=SocialCareReferral.choices)

    class Meta:
        ordering = ["threshold_model", "order"]
        constraints = [
            models.UniqueConstraint(fields=["threshold_model", "order"], name="level_order_unique_in_model"),
            models.UniqueConstraint(fields=["threshold_model", "code"], name="level_code_unique_in_model"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name if self.name.lower().startswith(("level", self.code.lower())) else f"{self.code}: {self.name}"

    @property
    def key_service_list(self) -> list[str]:
        return [line.strip() for line in self.key_services.splitlines() if line.strip()]


class Indicator(models.Model):
    class Kind(models.TextChoices):
        NEED = "need", "Need"
        STRENGTH = "strength", "Strength"

    threshold_model = models.ForeignKey(ThresholdModel, on_delete=models.CASCADE, related_name="indicators")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="indicators")
    sub_domain = models.ForeignKey(SubDomain, on_delete=models.PROTECT, related_name="indicators")
    text = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NEED)
    immediate_harm = models.BooleanField(
        default=False, help_text="Choosing it stops the form: refer to children's social care today."
    )
    child_protection = models.BooleanField(default=False, help_text="Describes abuse or significant harm.")
    min_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Youngest age in years it applies to.")
    max_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Oldest age in years it applies to.")
    about_unborn_child = models.BooleanField(default=False)
    source_document = models.CharField(max_length=200, blank=True)
    source_level = models.CharField(max_length=200, blank=True, help_text="The level's heading as printed.")
    source_sub_domain = models.CharField(max_length=200, blank=True, help_text="The sub-domain as printed.")
    position = models.PositiveIntegerField(default=0, help_text="Order within its level and sub-domain.")

    class Meta:
        ordering = ["level__order", "sub_domain__domain__order", "sub_domain__order", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lte=models.F("max_age")),
                name="indicator_age_range_in_order",
            ),
            models.UniqueConstraint(
                fields=["level", "sub_domain", "text"], name="indicator_text_unique_in_level_and_sub_domain"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class SubDomainNote(models.Model):
    """A note the document prints under a sub-domain (e.g. "Cultural and racial identity and
    language are taken into account"): guidance to show, never an indicator to choose."""

    threshold_model = models.ForeignKey(ThresholdModel, on_delete=models.CASCADE, related_name="notes")
    level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="notes")
    sub_domain = models.ForeignKey(SubDomain, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()

    def __str__(self) -> str:
        return self.text


class Rule(models.Model):
    class Kind(models.TextChoices):
        HIGHEST_LEVEL = "highest_level", "The highest level among the chosen indicators"
        COUNT = "count", "N or more unmet needs at one level suggest a level"
        IMMEDIATE_HARM = "immediate_harm", "An indicator of immediate harm means: refer to children's social care now"

    threshold_model = models.ForeignKey(ThresholdModel, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    count = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    at_level = models.ForeignKey(Level, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    suggests_level = models.ForeignKey(Level, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.TextField(blank=True, help_text="The document's own words for this rule.")

    class Meta:
        ordering = ["threshold_model", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="count")
                | Q(count__isnull=False, at_level__isnull=False, suggests_level__isnull=False),
                name="count_rule_is_complete",
            ),
            models.UniqueConstraint(
                fields=["threshold_model", "kind"],
                condition=~Q(kind="count"),
                name="one_highest_level_and_immediate_harm_rule_per_model",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.COUNT:
            at, suggests = self.at_level.code, self.suggests_level.code
            return f"{self.count} or more unmet needs at level {at} suggest level {suggests}"
        return self.get_kind_display()


class PolicyCase(models.Model):
    """An example case a council administrator expects the model to classify in a given way;
    publishing refuses while any case fails. Carried over to each new version."""

    threshold_model = models.ForeignKey(ThresholdModel, on_delete=models.CASCADE, related_name="policy_cases")
    name = models.CharField(max_length=200)
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="+")
    extra_unmet_needs = models.PositiveSmallIntegerField(default=0)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    unborn = models.BooleanField(default=False)
    send = models.BooleanField("special educational needs or disability", default=False)
    expected_level = models.ForeignKey(Level, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["threshold_model", "name"]
        constraints = [
            models.UniqueConstraint(fields=["threshold_model", "name"], name="policy_case_name_unique_in_model"),
        ]

    def __str__(self) -> str:
        return self.name
