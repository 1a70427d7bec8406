"""The classifier: which level of need a council's threshold model suggests, and why.

`classify` is a pure function over a snapshot of one model version (`ModelSnapshot`, built by
`thresholds.selectors.model_snapshot`), so the same answers and version always give the same
result, and later issues can store the version and the result on each assessment.

The rules it applies are rows of the model (thresholds.models.Rule), never code per council:
- highest level: the suggestion is the highest level among the chosen needs;
- count (Rutland): N or more unmet needs at level L suggest level M (and a CAF); fewer, and a
  single agency may meet them without one;
- immediate harm: an indicator of immediate harm means "refer to children's social care now".
Thresholds drive, people decide: the result is a suggestion that a practitioner may override.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

ADULT_AGE = 18
SEND_AGE_LIMIT = 25


@dataclass(frozen=True)
class LevelSpec:
    id: int
    order: int
    code: str
    name: str
    label: str
    description: str
    caf_use: str
    social_care_referral: str
    key_services: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorSpec:
    id: int
    text: str
    level_id: int
    sub_domain: str
    kind: str
    immediate_harm: bool
    child_protection: bool
    min_age: int | None
    max_age: int | None

    def applies_at(self, age: int | None, unborn: bool) -> bool:
        if unborn:
            return not self.min_age
        if age is None:
            return True
        return (self.min_age is None or age >= self.min_age) and (self.max_age is None or age <= self.max_age)

    @property
    def age_range(self) -> str:
        if self.min_age is not None and self.max_age is not None:
            return f"ages {self.min_age} to {self.max_age}"
        if self.min_age is not None:
            return f"ages {self.min_age} and over"
        return f"ages up to {self.max_age}"


@dataclass(frozen=True)
class RuleSpec:
    kind: str
    count: int | None = None
    at_level_id: int | None = None
    suggests_level_id: int | None = None
    text: str = ""


@dataclass(frozen=True)
class ModelSnapshot:
    id: int
    council_name: str
    name: str
    version: int
    front_door_phone: str
    out_of_hours_phone: str
    levels: tuple[LevelSpec, ...]
    indicators: Mapping[int, IndicatorSpec]
    rules: tuple[RuleSpec, ...]

    def level(self, level_id: int) -> LevelSpec:
        return next(level for level in self.levels if level.id == level_id)

    @property
    def lowest_level(self) -> LevelSpec:
        return min(self.levels, key=lambda level: level.order)


@dataclass(frozen=True)
class Answers:
    indicator_ids: frozenset[int] = frozenset()
    extra_unmet_needs: int = 0
    age: int | None = None
    unborn: bool = False
    send: bool = False


@dataclass(frozen=True)
class Notice:
    kind: str  # immediate_harm, child_protection, not_counted, age, no_indicators
    text: str


@dataclass(frozen=True)
class Result:
    model_id: int
    model_version: int
    level: LevelSpec | None
    reasons: tuple[str, ...]
    warnings: tuple[Notice, ...] = field(default_factory=tuple)
    caf_suggested: bool = False
    refer_now: bool = False
    key_services: tuple[str, ...] = ()


class UnknownIndicator(ValueError):
    """An indicator that is not part of the model version being applied."""


def _refer_now_text(model: ModelSnapshot) -> str:
    phone = f" on {model.front_door_phone}" if model.front_door_phone else ""
    out_of_hours = (
        f" Out of office hours, call the emergency duty team on {model.out_of_hours_phone}."
        if (model.out_of_hours_phone)
        else " Out of office hours, call the emergency duty team."
    )
    return (
        f"Refer to children's social care now: call {model.council_name}'s front door{phone} today, "
        f"then confirm in writing. Do not wait to complete a CAF.{out_of_hours} "
        "If the child is in immediate danger, call the police on 999."
    )


def _highest_level_rule(
    model: ModelSnapshot, needs: list[IndicatorSpec], strengths: list[IndicatorSpec], reasons: list[str]
) -> LevelSpec:
    """The highest level among the chosen needs (with the needs that decide it), or the lowest level
    when no need is chosen."""
    if not needs:
        level = model.lowest_level
        detail = f" ({len(strengths)} strength{'s' if len(strengths) != 1 else ''} chosen)" if strengths else ""
        reasons.append(f"Rule: with no needs chosen{detail}, the suggestion is the lowest level, {level.label}.")
        return level
    level = max((model.level(need.level_id) for need in needs), key=lambda lvl: lvl.order)
    deciding = [need for need in needs if need.level_id == level.id]
    reasons.extend(f'"{need.text}" is an example of {level.label} ({need.sub_domain}).' for need in deciding)
    lower = len(needs) - len(deciding)
    if lower:
        reasons.append(f"{lower} other chosen need{'s are' if lower > 1 else ' is'} at lower levels.")
    reasons.append(f"Rule: the suggestion is the highest level among the chosen needs, {level.label}.")
    return level


def _count_rules(
    model: ModelSnapshot, answers: Answers, needs: list[IndicatorSpec], level: LevelSpec, reasons: list[str]
) -> tuple[LevelSpec, bool, bool]:
    """Rutland's kind of rule: enough unmet needs at a level (chosen, plus others noted) suggest a
    higher level and a CAF; fewer hold a CAF back. Returns the level, and whether a count called for
    a CAF or held one back."""
    caf_from_count = caf_held_by_count = False
    for rule in model.rules:
        if rule.kind != "count":
            continue
        at_level = model.level(rule.at_level_id)
        suggests = model.level(rule.suggests_level_id)
        counted = sum(1 for need in needs if need.level_id == at_level.id)
        total = counted + answers.extra_unmet_needs
        described = f"{total} unmet need{'s' if total != 1 else ''} at {at_level.label}"
        if answers.extra_unmet_needs:
            others = answers.extra_unmet_needs
            described += f" ({counted} chosen, {others} other{'s' if others != 1 else ''})"
        if total >= rule.count:
            caf_from_count = True
            if suggests.order > level.order:
                level = suggests
            reasons.append(f"Rule: {described}; {rule.count} or more suggest {suggests.label} and a CAF.")
        elif level.id == suggests.id:
            caf_held_by_count = True
            reasons.append(
                f"Rule: {described}; fewer than {rule.count}, so a single agency may meet them without a CAF."
            )
    return level, caf_from_count, caf_held_by_count


def classify(model: ModelSnapshot, answers: Answers) -> Result:
    unknown = answers.indicator_ids - model.indicators.keys()
    if unknown:
        raise UnknownIndicator(f"indicators {sorted(unknown)} are not in {model.name} version {model.version}")
    reasons: list[str] = []
    warnings: list[Notice] = []

    if not model.indicators:
        warnings.append(
            Notice(
                "no_indicators",
                f"{model.council_name}'s threshold document gives no example indicators: choose the level from the "
                "level descriptions.",
            )
        )
        return Result(
            model.id,
            model.version,
            None,
            ("No indicator or rule applies: this model has levels but no example indicators.",),
            tuple(warnings),
        )

    if not answers.unborn and answers.age is not None and answers.age > ADULT_AGE:
        limit = SEND_AGE_LIMIT if answers.send else ADULT_AGE
        if answers.age > limit:
            warnings.append(
                Notice(
                    "age",
                    "A CAF is for children and young people up to 18, or up to 25 with special educational needs or "
                    "a disability.",
                )
            )

    chosen = [model.indicators[indicator_id] for indicator_id in sorted(answers.indicator_ids)]
    applicable = []
    for indicator in chosen:
        if indicator.applies_at(answers.age, answers.unborn):
            applicable.append(indicator)
        else:
            warnings.append(Notice("not_counted", f'Not counted: "{indicator.text}" applies to {indicator.age_range}.'))
    needs = [indicator for indicator in applicable if indicator.kind == "need"]
    strengths = [indicator for indicator in applicable if indicator.kind == "strength"]
    rule_kinds = {rule.kind for rule in model.rules}

    level = model.lowest_level
    if "highest_level" in rule_kinds:
        level = _highest_level_rule(model, needs, strengths, reasons)
    level, caf_from_count, caf_held_by_count = _count_rules(model, answers, needs, level, reasons)
    if answers.extra_unmet_needs and not any(rule.kind == "count" for rule in model.rules):
        reasons.append(
            f"{answers.extra_unmet_needs} other unmet need{'s' if answers.extra_unmet_needs != 1 else ''} noted: "
            "this model has no rule that counts them, so they do not change the suggestion."
        )

    refer_now = False
    harmful = [indicator for indicator in applicable if indicator.immediate_harm]
    if harmful and "immediate_harm" in rule_kinds:
        refer_now = True
        protection_levels = [lvl for lvl in model.levels if lvl.social_care_referral == "child_protection"]
        floor = (
            min(protection_levels, key=lambda lvl: lvl.order)
            if protection_levels
            else max(model.levels, key=lambda lvl: lvl.order)
        )
        if floor.order > level.order:
            level = floor
        reasons.extend(
            f'Rule: "{indicator.text}" is an indicator of immediate harm, so refer to children\'s '
            f"social care now ({level.label})."
            for indicator in harmful
        )
        warnings.insert(0, Notice("immediate_harm", _refer_now_text(model)))
    protection = [indicator for indicator in applicable if indicator.child_protection and not indicator.immediate_harm]
    if protection:
        warnings.append(
            Notice(
                "child_protection",
                "You chose a child protection concern: "
                + "; ".join(f'"{indicator.text}"' for indicator in protection)
                + f". Refer to children's social care today (call {model.council_name}'s front door"
                + (f" on {model.front_door_phone}" if model.front_door_phone else "")
                + "). Seek consent unless that would increase the risk of significant harm.",
            )
        )

    if not reasons:
        reasons.append(f"No rule of this model changes the suggestion, so it is the lowest level, {level.label}.")
    caf_suggested = not refer_now and (caf_from_count or (level.caf_use == "expected" and not caf_held_by_count))
    return Result(
        model_id=model.id,
        model_version=model.version,
        level=level,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        caf_suggested=caf_suggested,
        refer_now=refer_now,
        key_services=level.key_services,
    )
