"""Writes to threshold models. Every rule about versions lives here: only a draft changes; a new
version starts as a copy of the latest; publishing runs the policy cases and refuses while any
fails (thresholds.selectors.publish_problems says why); publishing retires the version it replaces.
Each function checks who may do it."""

import functools
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import LocalAuthority, Role, User
from core.errors import Refused
from thresholds.models import Domain, Indicator, Level, PolicyCase, Rule, SubDomain, SubDomainNote, ThresholdModel
from thresholds.selectors import publish_problems

DATA_DIR = Path(__file__).resolve().parent / "data"


def _check_administrator(user: User | None, council: LocalAuthority) -> None:
    if user is None:  # loading reference data from the command line
        return
    if user.is_superuser:
        return
    if not user.is_active or user.council_id != council.pk or not user.has_role(Role.COUNCIL_ADMINISTRATOR):
        raise PermissionDenied("Only the council's own administrators may change its threshold model.")


def _check_draft(threshold_model: ThresholdModel) -> None:
    if not threshold_model.is_editable:
        raise Refused(
            f"Version {threshold_model.version} is {threshold_model.get_status_display().lower()} and cannot change. "
            "Start a new draft version to make changes."
        )


# Reference data -----------------------------------------------------------------------------------


@functools.cache
def _read(name: str) -> Any:
    """A data file, parsed once per process (callers copy before changing anything)."""
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (a safe loader)


@transaction.atomic
def domains_load() -> None:
    """The Assessment Framework's domains and sub-domains, from data/domains.yaml. Idempotent."""
    for domain_order, spec in enumerate(_read("domains.yaml")["domains"], start=1):
        domain, _ = Domain.objects.update_or_create(
            key=spec["key"], defaults={"name": spec["name"], "order": domain_order}
        )
        for order, sub in enumerate(spec["sub_domains"], start=1):
            SubDomain.objects.update_or_create(
                key=sub["key"], defaults={"name": sub["name"], "order": order, "domain": domain}
            )


def _level_fields(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": spec["name"],
        "description": (spec.get("description") or "").strip(),
        "features": (spec.get("features") or "").strip(),
        "assessment_process": (spec.get("assessment_process") or "").strip(),
        "key_services": "\n".join(spec.get("key_services") or []),
        "caf_use": spec["caf_use"],
        "social_care_referral": spec["social_care_referral"],
    }


@transaction.atomic
def reference_models_load(*, only: list[str] | None = None) -> list[ThresholdModel]:
    """Load the councils' published models from the source documents (data/councils.yaml).

    Idempotent: a council that already has a version 1 keeps it untouched (a published version
    never changes). Creates the council if the instance does not have it yet.
    """
    domains_load()
    sub_domains = {sub.key: sub for sub in SubDomain.objects.all()}
    loaded = []
    for spec in _read("councils.yaml")["councils"]:
        if only and spec["slug"] not in only:
            continue
        council, _ = LocalAuthority.objects.get_or_create(
            slug=spec["slug"],
            defaults={"name": spec["council"], "front_door_phone": spec.get("front_door_phone") or ""},
        )
        existing = ThresholdModel.objects.filter(council=council, version=1).first()
        if existing:
            loaded.append(existing)
            continue
        common = _read(spec["indicators_from"]) if spec.get("indicators_from") else None
        level_specs = [dict(level) for level in (common["levels"] if common else spec["levels"])]
        if common:
            overrides = {override["code"]: override for override in spec.get("levels") or []}
            for level in level_specs:
                level.update(
                    {k: v for k, v in overrides.get(level["code"], {}).items() if k in ("name", "description")}
                )
        now = timezone.now()
        threshold_model = ThresholdModel.objects.create(
            council=council,
            name=spec["model_name"],
            version=1,
            status=ThresholdModel.Status.PUBLISHED,
            source=spec["source"],
            published_at=now,
        )
        levels = {
            level["code"]: Level.objects.create(
                threshold_model=threshold_model, order=level["order"], code=level["code"], **_level_fields(level)
            )
            for level in level_specs
        }
        if common:
            Indicator.objects.bulk_create(
                [
                    Indicator(
                        threshold_model=threshold_model,
                        level=levels[item["level"]],
                        sub_domain=sub_domains[item["sub_domain"]],
                        text=item["text"],
                        kind=item["kind"],
                        immediate_harm=item["immediate_harm"],
                        child_protection=item["child_protection"],
                        min_age=item["min_age"],
                        max_age=item["max_age"],
                        about_unborn_child=item["unborn"],
                        source_document=f"{item['source']['document']} {item['source']['section']}",
                        source_level=item["source"]["level"],
                        source_sub_domain=item["source"]["sub_domain"],
                        position=position,
                    )
                    for position, item in enumerate(common["indicators"])
                ]
            )
            SubDomainNote.objects.bulk_create(
                [
                    SubDomainNote(
                        threshold_model=threshold_model,
                        level=levels[note["level"]],
                        sub_domain=sub_domains[note["sub_domain"]],
                        text=note["text"],
                    )
                    for note in common.get("sub_domain_notes") or []
                ]
            )
        Rule.objects.create(threshold_model=threshold_model, kind=Rule.Kind.HIGHEST_LEVEL)
        Rule.objects.create(threshold_model=threshold_model, kind=Rule.Kind.IMMEDIATE_HARM)
        for rule in spec.get("rules") or []:
            Rule.objects.create(
                threshold_model=threshold_model,
                kind=Rule.Kind.COUNT,
                count=rule["count"],
                at_level=levels[rule["at_level"]],
                suggests_level=levels[rule["suggests_level"]],
                text=rule["text"].strip(),
            )
        loaded.append(threshold_model)
    return loaded


# Versions -----------------------------------------------------------------------------------------


@transaction.atomic
def threshold_model_draft_start(
    *, user: User | None, council: LocalAuthority, copy_from: ThresholdModel | None = None
) -> ThresholdModel:
    """Start a new draft version for the council: a copy of its latest version, or of another
    council's model (a council may start from a neighbour's). Only one draft at a time."""
    _check_administrator(user, council)
    LocalAuthority.objects.select_for_update().get(pk=council.pk)  # one draft start at a time per council
    if ThresholdModel.objects.filter(council=council, status=ThresholdModel.Status.DRAFT).exists():
        raise Refused("There is already a draft version. Change or publish it first.")
    source = copy_from or ThresholdModel.objects.filter(council=council).order_by("-version").first()
    if source is None:
        raise Refused("Choose a model to copy: this council has none yet.")
    if source.status == ThresholdModel.Status.DRAFT and source.council_id != council.pk:
        raise Refused("Only a published or retired model of another council can be copied.")
    next_version = (ThresholdModel.objects.filter(council=council).aggregate(v=Max("version"))["v"] or 0) + 1
    draft = ThresholdModel.objects.create(
        council=council,
        name=source.name if source.council_id == council.pk else f"{council.name} thresholds",
        version=next_version,
        status=ThresholdModel.Status.DRAFT,
        based_on=source,
        source=source.source,
        created_by=user,
    )
    _copy_contents(source, draft)
    return draft


def _copy_contents(source: ThresholdModel, target: ThresholdModel) -> None:
    level_map: dict[int, Level] = {}
    for level in source.levels.order_by("order"):
        old_id = level.pk
        level.pk = None
        level.threshold_model = target
        level.save()
        level_map[old_id] = level
    indicator_map: dict[int, Indicator] = {}
    for indicator in source.indicators.order_by("pk"):
        old_id = indicator.pk
        indicator.pk = None
        indicator.threshold_model = target
        indicator.level = level_map[indicator.level_id]
        indicator.save()
        indicator_map[old_id] = indicator
    SubDomainNote.objects.bulk_create(
        [
            SubDomainNote(
                threshold_model=target, level=level_map[note.level_id], sub_domain_id=note.sub_domain_id, text=note.text
            )
            for note in source.notes.all()
        ]
    )
    for rule in source.rules.order_by("pk"):
        Rule.objects.create(
            threshold_model=target,
            kind=rule.kind,
            count=rule.count,
            text=rule.text,
            at_level=level_map.get(rule.at_level_id),
            suggests_level=level_map.get(rule.suggests_level_id),
        )
    if source.council_id == target.council_id:
        for case in source.policy_cases.prefetch_related("indicators"):
            copied = PolicyCase.objects.create(
                threshold_model=target,
                name=case.name,
                extra_unmet_needs=case.extra_unmet_needs,
                age=case.age,
                unborn=case.unborn,
                send=case.send,
                expected_level=level_map[case.expected_level_id],
            )
            copied.indicators.set([indicator_map[indicator.pk] for indicator in case.indicators.all()])


# Editing a draft ----------------------------------------------------------------------------------


def _editable(user: User | None, threshold_model: ThresholdModel) -> ThresholdModel:
    locked = ThresholdModel.objects.select_for_update().select_related("council").get(pk=threshold_model.pk)
    _check_administrator(user, locked.council)
    _check_draft(locked)
    return locked


@transaction.atomic
def level_update(*, user: User | None, level: Level, **fields: Any) -> Level:
    _editable(user, level.threshold_model)
    for name, value in fields.items():
        setattr(level, name, value)
    level.full_clean()
    level.save()
    return level


@transaction.atomic
def indicator_save(*, user: User | None, indicator: Indicator) -> Indicator:
    """Add or change an indicator of a draft; its level must belong to the same draft."""
    threshold_model = _editable(user, indicator.threshold_model)
    if indicator.level.threshold_model_id != threshold_model.pk:
        raise Refused("Choose a level of this version.")
    indicator.full_clean()
    indicator.save()
    return indicator


@transaction.atomic
def indicator_remove(*, user: User | None, indicator: Indicator) -> None:
    """Remove an indicator from a draft (published versions keep theirs). Policy cases that used
    it lose it, and say so when they next run."""
    _editable(user, indicator.threshold_model)
    indicator.delete()


@transaction.atomic
def rule_save(*, user: User | None, rule: Rule) -> Rule:
    threshold_model = _editable(user, rule.threshold_model)
    for level in (rule.at_level, rule.suggests_level):
        if level is not None and level.threshold_model_id != threshold_model.pk:
            raise Refused("Choose levels of this version.")
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def rule_remove(*, user: User | None, rule: Rule) -> None:
    _editable(user, rule.threshold_model)
    if rule.kind == Rule.Kind.HIGHEST_LEVEL:
        raise Refused("Every model needs the highest-level rule: it is how indicators suggest a level.")
    rule.delete()


@transaction.atomic
def policy_case_save(*, user: User | None, case: PolicyCase, indicators: list[Indicator]) -> PolicyCase:
    threshold_model = _editable(user, case.threshold_model)
    if case.expected_level.threshold_model_id != threshold_model.pk or any(
        indicator.threshold_model_id != threshold_model.pk for indicator in indicators
    ):
        raise Refused("A policy case uses the levels and indicators of its own version.")
    case.full_clean()
    case.save()
    case.indicators.set(indicators)
    return case


@transaction.atomic
def policy_case_remove(*, user: User | None, case: PolicyCase) -> None:
    """Remove a policy case from a draft (a published version keeps the cases it was published with)."""
    _editable(user, case.threshold_model)
    case.delete()


# Publishing ---------------------------------------------------------------------------------------


@transaction.atomic
def threshold_model_publish(*, user: User | None, threshold_model: ThresholdModel) -> ThresholdModel:
    """Publish a draft: it becomes the council's current model and the one it replaces is retired.
    Refused while any policy case fails, or the model lacks levels or its highest-level rule."""
    locked = _editable(user, threshold_model)
    problems = publish_problems(locked)
    if problems:
        raise Refused(problems)
    ThresholdModel.objects.filter(council=locked.council, status=ThresholdModel.Status.PUBLISHED).update(
        status=ThresholdModel.Status.RETIRED
    )
    locked.status = ThresholdModel.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = user
    locked.save(update_fields=["status", "published_at", "published_by"])
    return locked
