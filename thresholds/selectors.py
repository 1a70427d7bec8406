"""Reads of threshold models: the snapshot the classifier applies, what the screens list, the policy
cases' outcomes, and one read per administrators' page (`versions_page`, `model_page`,
`comparison_page`, `publish_page`) that gathers everything that page shows."""

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.parsing import parse_id
from thresholds.classifier import Answers, IndicatorSpec, LevelSpec, ModelSnapshot, RuleSpec, classify
from thresholds.models import Domain, Indicator, Level, PolicyCase, Rule, SubDomainNote, ThresholdModel


def current_models() -> QuerySet[ThresholdModel]:
    """Each council's published model, for the threshold guide (any signed-in user may read any
    council's published guidance: it is public policy, not a child's record)."""
    return ThresholdModel.objects.published().select_related("council").order_by("council__name")


def models_for_administration(user: User) -> QuerySet[ThresholdModel]:
    return ThresholdModel.objects.for_user(user).select_related("council", "published_by", "created_by")


def model_snapshot(threshold_model: ThresholdModel) -> ModelSnapshot:
    """Everything the classifier needs, in four queries whatever the model's size."""
    levels = tuple(
        LevelSpec(
            id=level.pk,
            order=level.order,
            code=level.code,
            name=level.name,
            label=level.label,
            description=level.description,
            caf_use=level.caf_use,
            social_care_referral=level.social_care_referral,
            key_services=tuple(level.key_service_list),
        )
        for level in Level.objects.filter(threshold_model=threshold_model).order_by("order")
    )
    indicators = {
        indicator.pk: IndicatorSpec(
            id=indicator.pk,
            text=indicator.text,
            level_id=indicator.level_id,
            sub_domain=indicator.sub_domain.name,
            kind=indicator.kind,
            immediate_harm=indicator.immediate_harm,
            child_protection=indicator.child_protection,
            min_age=indicator.min_age,
            max_age=indicator.max_age,
        )
        for indicator in Indicator.objects.filter(threshold_model=threshold_model).select_related("sub_domain")
    }
    rules = tuple(
        RuleSpec(
            kind=rule.kind,
            count=rule.count,
            at_level_id=rule.at_level_id,
            suggests_level_id=rule.suggests_level_id,
            text=rule.text,
        )
        for rule in Rule.objects.filter(threshold_model=threshold_model).order_by("pk")
    )
    council = threshold_model.council
    return ModelSnapshot(
        id=threshold_model.pk,
        council_name=council.name,
        name=threshold_model.name,
        version=threshold_model.version,
        front_door_phone=council.front_door_phone,
        out_of_hours_phone=council.out_of_hours_phone,
        levels=levels,
        indicators=indicators,
        rules=rules,
    )


@dataclass(frozen=True)
class SubDomainGroup:
    name: str
    indicators: list[Indicator]
    notes: list[str]


@dataclass(frozen=True)
class DomainGroup:
    name: str
    sub_domains: list[SubDomainGroup]


@dataclass(frozen=True)
class LevelGuide:
    level: Level
    domains: list[DomainGroup]


def model_guide(threshold_model: ThresholdModel) -> list[LevelGuide]:
    """The model as the threshold guide shows it: each level, its indicators by domain and
    sub-domain, and the document's notes. A fixed number of queries whatever the model's size."""
    indicators = list(Indicator.objects.filter(threshold_model=threshold_model).select_related("sub_domain__domain"))
    notes = list(SubDomainNote.objects.filter(threshold_model=threshold_model))
    domains = list(Domain.objects.prefetch_related(Prefetch("sub_domains")))
    guide = []
    for level in Level.objects.filter(threshold_model=threshold_model).order_by("order"):
        domain_groups = []
        for domain in domains:
            groups = []
            for sub_domain in domain.sub_domains.all():
                chosen = [i for i in indicators if i.level_id == level.pk and i.sub_domain_id == sub_domain.pk]
                texts = [n.text for n in notes if n.level_id == level.pk and n.sub_domain_id == sub_domain.pk]
                if chosen or texts:
                    groups.append(SubDomainGroup(sub_domain.name, chosen, texts))
            if groups:
                domain_groups.append(DomainGroup(domain.name, groups))
        guide.append(LevelGuide(level, domain_groups))
    return guide


@dataclass(frozen=True)
class ModelDifference:
    """What changes from one version to another, in words an administrator can check before publishing."""

    levels_added: list[str]
    levels_removed: list[str]
    levels_changed: list[str]
    indicators_added: list[str]
    indicators_removed: list[str]
    indicators_changed: list[str]
    rules_added: list[str]
    rules_removed: list[str]

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)


_LEVEL_FIELDS = [
    "name",
    "order",
    "description",
    "features",
    "assessment_process",
    "key_services",
    "caf_use",
    "social_care_referral",
]
_INDICATOR_FLAGS = ["kind", "immediate_harm", "child_protection", "min_age", "max_age", "about_unborn_child"]


def models_compare(old: ThresholdModel, new: ThresholdModel) -> ModelDifference:
    old_levels = {level.code: level for level in old.levels.all()}
    new_levels = {level.code: level for level in new.levels.all()}
    levels_changed = []
    for code in sorted(old_levels.keys() & new_levels.keys()):
        changed = [
            Level._meta.get_field(name).verbose_name
            for name in _LEVEL_FIELDS
            if getattr(old_levels[code], name) != getattr(new_levels[code], name)
        ]
        if changed:
            levels_changed.append(f"Level {code}: {', '.join(changed)} changed")

    def keyed(model: ThresholdModel) -> dict[tuple[str, str, str], Indicator]:
        return {
            (indicator.level.code, indicator.sub_domain.name, indicator.text): indicator
            for indicator in model.indicators.select_related("level", "sub_domain")
        }

    def describe(key: tuple[str, str, str]) -> str:
        return f'Level {key[0]}, {key[1]}: "{key[2]}"'

    old_indicators, new_indicators = keyed(old), keyed(new)
    indicators_changed = []
    for key in sorted(old_indicators.keys() & new_indicators.keys()):
        changed = [
            Indicator._meta.get_field(name).verbose_name
            for name in _INDICATOR_FLAGS
            if getattr(old_indicators[key], name) != getattr(new_indicators[key], name)
        ]
        if changed:
            indicators_changed.append(f"{describe(key)}: {', '.join(changed)} changed")

    old_rules = {str(rule) for rule in old.rules.select_related("at_level", "suggests_level")}
    new_rules = {str(rule) for rule in new.rules.select_related("at_level", "suggests_level")}
    return ModelDifference(
        levels_added=[
            f"Level {code}: {new_levels[code].name}" for code in sorted(new_levels.keys() - old_levels.keys())
        ],
        levels_removed=[
            f"Level {code}: {old_levels[code].name}" for code in sorted(old_levels.keys() - new_levels.keys())
        ],
        levels_changed=levels_changed,
        indicators_added=[describe(key) for key in sorted(new_indicators.keys() - old_indicators.keys())],
        indicators_removed=[describe(key) for key in sorted(old_indicators.keys() - new_indicators.keys())],
        indicators_changed=indicators_changed,
        rules_added=sorted(new_rules - old_rules),
        rules_removed=sorted(old_rules - new_rules),
    )


# Policy cases -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyCaseOutcome:
    case: PolicyCase
    expected: str
    suggested: str

    @property
    def passed(self) -> bool:
        return self.expected == self.suggested


def policy_cases_run(threshold_model: ThresholdModel) -> list[PolicyCaseOutcome]:
    snapshot = model_snapshot(threshold_model)
    outcomes = []
    for case in threshold_model.policy_cases.select_related("expected_level").prefetch_related("indicators"):
        result = classify(
            snapshot,
            Answers(
                indicator_ids=frozenset(indicator.pk for indicator in case.indicators.all()),
                extra_unmet_needs=case.extra_unmet_needs,
                age=case.age,
                unborn=case.unborn,
                send=case.send,
            ),
        )
        outcomes.append(
            PolicyCaseOutcome(
                case=case,
                expected=case.expected_level.label,
                suggested=result.level.label if result.level else "none",
            )
        )
    return outcomes


def publish_problems(threshold_model: ThresholdModel) -> list[str]:
    """Why this draft cannot be published yet; empty when it can (threshold_model_publish refuses
    with these)."""
    problems = []
    levels = list(threshold_model.levels.all())
    if not levels:
        problems.append("The model has no levels.")
    if not threshold_model.rules.filter(kind=Rule.Kind.HIGHEST_LEVEL).exists():
        problems.append("The model has no highest-level rule.")
    problems.extend(
        f'Policy case "{outcome.case.name}" expects {outcome.expected} but the model suggests {outcome.suggested}.'
        for outcome in policy_cases_run(threshold_model)
        if not outcome.passed
    )
    return problems


# The administrators' pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionsPage:
    """The council's versions, newest first, and the other councils' published models it may copy."""

    versions: QuerySet[ThresholdModel]
    copyable: QuerySet[ThresholdModel]


def versions_page(user: User) -> VersionsPage:
    return VersionsPage(
        versions=models_for_administration(user).filter(council_id=user.council_id).order_by("-version"),
        copyable=current_models().exclude(council_id=user.council_id),
    )


@dataclass(frozen=True)
class ModelPage:
    """One version as its page shows it: the guide, the rules and each policy case's outcome."""

    guide: list[LevelGuide]
    rules: QuerySet[Rule]
    outcomes: list[PolicyCaseOutcome]


def model_page(threshold_model: ThresholdModel) -> ModelPage:
    return ModelPage(
        guide=model_guide(threshold_model),
        rules=threshold_model.rules.select_related("at_level", "suggests_level"),
        outcomes=policy_cases_run(threshold_model),
    )


def _other_versions(user: User, threshold_model: ThresholdModel) -> QuerySet[ThresholdModel]:
    """The other versions of the same council, fetched with the user's check like the version itself."""
    return (
        models_for_administration(user)
        .filter(council_id=threshold_model.council_id)
        .exclude(pk=threshold_model.pk)
        .order_by("-version")
    )


def _current_published(user: User, threshold_model: ThresholdModel) -> ThresholdModel | None:
    return _other_versions(user, threshold_model).filter(status=ThresholdModel.Status.PUBLISHED).first()


def _default_comparison(user: User, threshold_model: ThresholdModel) -> ThresholdModel | None:
    """A draft against the version it started from; otherwise the council's current published
    version; otherwise the version before."""
    if threshold_model.is_editable and threshold_model.based_on_id:
        return threshold_model.based_on
    return (
        _current_published(user, threshold_model)
        or _other_versions(user, threshold_model).filter(version__lt=threshold_model.version).first()
    )


@dataclass(frozen=True)
class ComparisonPage:
    """Two versions, the older first (when both are the council's), and what changes between them."""

    old: ThresholdModel | None
    new: ThresholdModel
    difference: ModelDifference | None
    versions: QuerySet[ThresholdModel]
    chosen: int | None


def comparison_page(user: User, threshold_model: ThresholdModel, chosen: str) -> ComparisonPage:
    """`chosen` is the version asked for ("with" in the address): the one the draft started from
    (perhaps another council's), or another version of the council (404 otherwise); none asked for
    compares with the default (`_default_comparison`), and one that is not a number with nothing."""
    versions = _other_versions(user, threshold_model)
    other: ThresholdModel | None = None
    chosen_id = parse_id(chosen)
    if chosen_id is not None:
        if chosen_id == threshold_model.based_on_id:  # may be another council's published model
            other = threshold_model.based_on
        else:
            other = get_object_or_404(versions, pk=chosen_id)
    elif not chosen:
        other = _default_comparison(user, threshold_model)
    old, new = other, threshold_model
    if other and other.council_id == threshold_model.council_id and other.version > threshold_model.version:
        old, new = threshold_model, other
    return ComparisonPage(
        old=old,
        new=new,
        difference=models_compare(old, new) if old and old.pk != new.pk else None,
        versions=versions,
        chosen=other.pk if other else None,
    )


@dataclass(frozen=True)
class PublishPage:
    """What publishing a draft would change: against the current published version (or, with none,
    the version it started from), and why it cannot be published yet."""

    current: ThresholdModel | None
    against: ThresholdModel | None
    difference: ModelDifference | None
    problems: list[str]


def publish_page(user: User, threshold_model: ThresholdModel) -> PublishPage:
    current = _current_published(user, threshold_model)
    against = current or threshold_model.based_on
    return PublishPage(
        current=current,
        against=against,
        difference=models_compare(against, threshold_model) if against else None,
        problems=publish_problems(threshold_model) if threshold_model.is_editable else [],
    )
