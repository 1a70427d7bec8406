"""The threshold services' refusals, called directly as a script, the shell or another app would: the
wrong person, another council, a version that can no longer change, and parts of another version.
Each refusal says what to do (or is a 403) and writes nothing."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Role
from core.errors import Refused
from tests.factories import UserFactory
from thresholds.models import Indicator, PolicyCase, Rule, SubDomain, ThresholdModel
from thresholds.services import (
    indicator_remove,
    indicator_save,
    level_update,
    policy_case_remove,
    policy_case_save,
    rule_remove,
    rule_save,
    threshold_model_draft_start,
    threshold_model_publish,
)

CHANGE_REFUSED = "Only the council's own administrators may change its threshold model."


@pytest.fixture
def draft(council_admin, council_model) -> ThresholdModel:
    """Northbridge's version 2, a draft copy of its published version 1, with one policy case."""
    draft = threshold_model_draft_start(user=council_admin, council=council_model.council)
    case = PolicyCase(threshold_model=draft, name="Overcrowding", expected_level=draft.levels.get(code="2"))
    policy_case_save(user=council_admin, case=case, indicators=[draft.indicators.get(text="Overcrowding")])
    return draft


def contents(threshold_model: ThresholdModel) -> dict:
    """Everything a version holds, as its page would show it, to show a refusal wrote nothing."""
    threshold_model.refresh_from_db()
    return {
        "status": threshold_model.status,
        "published_at": threshold_model.published_at,
        "levels": list(threshold_model.levels.order_by("order").values_list("name", "description")),
        "indicators": sorted(threshold_model.indicators.values_list("text", "level__code", "kind")),
        "rules": sorted(str(rule) for rule in threshold_model.rules.all()),
        "policy_cases": sorted(
            (case.name, case.expected_level.code, tuple(sorted(i.text for i in case.indicators.all())))
            for case in threshold_model.policy_cases.all()
        ),
        "versions": list(
            ThresholdModel.objects.filter(council=threshold_model.council).values_list("version", "status")
        ),
    }


def every_change(draft: ThresholdModel, user) -> dict:
    """Each change a council administrator may make to a draft, made by `user`."""
    level = draft.levels.get(code="2")
    indicator = draft.indicators.get(text="Overcrowding")
    count_rule = Rule(
        threshold_model=draft, kind=Rule.Kind.COUNT, count=3, at_level=level, suggests_level=draft.levels.get(code="3")
    )
    new_case = PolicyCase(threshold_model=draft, name="Hunger", expected_level=level)
    new_indicator = Indicator(
        threshold_model=draft, level=level, sub_domain=SubDomain.objects.get(key="health"), text="Often hungry"
    )
    return {
        "edit a level": lambda: level_update(user=user, level=level, name="Changed"),
        "add an indicator": lambda: indicator_save(user=user, indicator=new_indicator),
        "remove an indicator": lambda: indicator_remove(user=user, indicator=indicator),
        "add a rule": lambda: rule_save(user=user, rule=count_rule),
        "remove a rule": lambda: rule_remove(user=user, rule=draft.rules.get(kind=Rule.Kind.IMMEDIATE_HARM)),
        "add a policy case": lambda: policy_case_save(user=user, case=new_case, indicators=[indicator]),
        "remove a policy case": lambda: policy_case_remove(user=user, case=draft.policy_cases.get()),
        "publish": lambda: threshold_model_publish(user=user, threshold_model=draft),
    }


# The wrong person ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["practitioner", "caf administrator", "another council's administrator", "inactive"])
def test_nobody_but_the_councils_active_administrators_changes_a_draft(
    who, draft, council_model, school_practitioner, caf_admin, other_council_admin, early_help_hub
):
    user = {
        "practitioner": school_practitioner,
        "caf administrator": caf_admin,
        "another council's administrator": other_council_admin,
        "inactive": UserFactory(agency=early_help_hub, roles=[Role.COUNCIL_ADMINISTRATOR], is_active=False),
    }[who]
    before, published_before = contents(draft), contents(council_model)
    for change, make in every_change(draft, user).items():
        with pytest.raises(PermissionDenied, match=re.escape(CHANGE_REFUSED)):
            make()
        assert contents(draft) == before, change
    with pytest.raises(PermissionDenied, match=re.escape(CHANGE_REFUSED)):
        threshold_model_draft_start(user=user, council=draft.council)
    assert contents(draft) == before
    assert contents(council_model) == published_before


def test_another_councils_administrator_cannot_start_a_draft_for_it_even_by_copying(
    council_model, other_council_admin, reference_model
):
    with pytest.raises(PermissionDenied, match=re.escape(CHANGE_REFUSED)):
        threshold_model_draft_start(
            user=other_council_admin, council=council_model.council, copy_from=reference_model("rutland")
        )
    assert list(ThresholdModel.objects.filter(council=council_model.council)) == [council_model]


def test_a_service_administrator_may_change_any_councils_model(draft, council_model):
    superuser = UserFactory(agency=None, is_superuser=True, is_staff=True)
    level_update(user=superuser, level=draft.levels.get(code="2"), name="Early Help (CAF)")
    published = threshold_model_publish(user=superuser, threshold_model=draft)
    assert (published.status, published.published_by) == (ThresholdModel.Status.PUBLISHED, superuser)
    assert published.levels.get(code="2").name == "Early Help (CAF)"


# The wrong state ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["published", "retired"])
def test_a_published_or_retired_version_refuses_every_change_and_says_to_start_a_draft(
    status, draft, council_model, council_admin
):
    if status == "retired":
        threshold_model_publish(user=council_admin, threshold_model=draft)
    council_model.refresh_from_db()
    assert council_model.status == status
    # A version keeps the policy cases it was published with (made here as an import would).
    PolicyCase.objects.create(
        threshold_model=council_model, name="Kept", expected_level=council_model.levels.get(code="2")
    )
    before = contents(council_model)
    for change, make in every_change(council_model, council_admin).items():
        with pytest.raises(Refused) as refused:
            make()
        assert refused.value.messages == [
            f"Version 1 is {status} and cannot change. Start a new draft version to make changes."
        ], change
        assert contents(council_model) == before, change


def test_only_one_draft_at_a_time_even_when_copying_another_councils_model(draft, council_admin, reference_model):
    before = contents(draft)
    with pytest.raises(Refused) as refused:
        threshold_model_draft_start(user=council_admin, council=draft.council, copy_from=reference_model("rutland"))
    assert refused.value.messages == ["There is already a draft version. Change or publish it first."]
    assert contents(draft) == before


def test_a_council_with_no_model_must_choose_one_to_copy(council, council_admin):
    with pytest.raises(Refused) as refused:
        threshold_model_draft_start(user=council_admin, council=council)
    assert refused.value.messages == ["Choose a model to copy: this council has none yet."]
    assert not ThresholdModel.objects.filter(council=council).exists()


def test_another_councils_draft_cannot_be_copied(council, council_admin, other_council, reference_model):
    their_draft = threshold_model_draft_start(user=None, council=other_council, copy_from=reference_model("rutland"))
    with pytest.raises(Refused) as refused:
        threshold_model_draft_start(user=council_admin, council=council, copy_from=their_draft)
    assert refused.value.messages == ["Only a published or retired model of another council can be copied."]
    assert not ThresholdModel.objects.filter(council=council).exists()


def test_publishing_a_draft_without_its_highest_level_rule_is_refused(draft, council_model, council_admin):
    Rule.objects.filter(threshold_model=draft, kind=Rule.Kind.HIGHEST_LEVEL).delete()  # as a broken import might
    before = contents(draft)
    with pytest.raises(Refused) as refused:
        threshold_model_publish(user=council_admin, threshold_model=draft)
    assert refused.value.messages == [
        "The model has no highest-level rule.",
        'Policy case "Overcrowding" expects 2: Early Help but the model suggests 1: Universal.',
    ]
    assert contents(draft) == before
    council_model.refresh_from_db()
    assert council_model.status == ThresholdModel.Status.PUBLISHED


def test_publishing_an_empty_draft_is_refused_with_every_reason(council, council_admin):
    empty = ThresholdModel.objects.create(council=council, name="Empty", version=1, status=ThresholdModel.Status.DRAFT)
    with pytest.raises(Refused) as refused:
        threshold_model_publish(user=council_admin, threshold_model=empty)
    assert refused.value.messages == ["The model has no levels.", "The model has no highest-level rule."]
    empty.refresh_from_db()
    assert (empty.status, empty.published_at, empty.published_by) == (ThresholdModel.Status.DRAFT, None, None)


def test_the_highest_level_rule_stays_even_for_a_service_administrator(draft):
    superuser = UserFactory(agency=None, is_superuser=True, is_staff=True)
    with pytest.raises(Refused) as refused:
        rule_remove(user=superuser, rule=draft.rules.get(kind=Rule.Kind.HIGHEST_LEVEL))
    assert refused.value.messages == ["Every model needs the highest-level rule: it is how indicators suggest a level."]
    assert draft.rules.filter(kind=Rule.Kind.HIGHEST_LEVEL).count() == 1


# Parts of another version, and bad input ----------------------------------------------------------


def test_an_indicator_at_a_level_of_another_version_is_refused(draft, council_model, council_admin):
    before = contents(draft)
    indicator = Indicator(
        threshold_model=draft,
        level=council_model.levels.get(code="2"),  # the published version's level, not the draft's
        sub_domain=SubDomain.objects.get(key="health"),
        text="Often hungry",
    )
    with pytest.raises(Refused) as refused:
        indicator_save(user=council_admin, indicator=indicator)
    assert refused.value.messages == ["Choose a level of this version."]
    assert contents(draft) == before
    assert not Indicator.objects.filter(text="Often hungry").exists()


def test_a_rule_with_levels_of_another_version_is_refused(draft, council_model, council_admin):
    before, published_before = contents(draft), contents(council_model)
    rule = Rule(
        threshold_model=draft,
        kind=Rule.Kind.COUNT,
        count=3,
        at_level=draft.levels.get(code="2"),
        suggests_level=council_model.levels.get(code="3"),
    )
    with pytest.raises(Refused) as refused:
        rule_save(user=council_admin, rule=rule)
    assert refused.value.messages == ["Choose levels of this version."]
    assert contents(draft) == before
    assert contents(council_model) == published_before


@pytest.mark.parametrize("foreign", ["expected level", "indicator"])
def test_a_policy_case_with_parts_of_another_version_is_refused(foreign, draft, council_model, council_admin):
    before = contents(draft)
    source = council_model if foreign == "expected level" else draft
    case = PolicyCase(threshold_model=draft, name="Mixed", expected_level=source.levels.get(code="2"))
    indicators = [(draft if foreign == "expected level" else council_model).indicators.get(text="Overcrowding")]
    with pytest.raises(Refused) as refused:
        policy_case_save(user=council_admin, case=case, indicators=indicators)
    assert refused.value.messages == ["A policy case uses the levels and indicators of its own version."]
    assert contents(draft) == before


def test_a_level_without_a_name_is_refused_on_its_field(draft, council_admin):
    before = contents(draft)
    level = draft.levels.get(code="2")
    with pytest.raises(ValidationError) as refused:
        level_update(user=council_admin, level=level, name="")
    assert "name" in refused.value.message_dict
    assert contents(draft) == before


def test_a_count_rule_without_its_count_is_refused(draft, council_admin):
    before = contents(draft)
    rule = Rule(threshold_model=draft, kind=Rule.Kind.COUNT, at_level=draft.levels.get(code="2"))
    with pytest.raises(ValidationError):
        rule_save(user=council_admin, rule=rule)
    assert contents(draft) == before


def test_the_same_indicator_twice_at_one_level_is_refused(draft, council_admin):
    before = contents(draft)
    existing = draft.indicators.get(text="Overcrowding")
    twin = Indicator(threshold_model=draft, level=existing.level, sub_domain=existing.sub_domain, text=existing.text)
    with pytest.raises(ValidationError):
        indicator_save(user=council_admin, indicator=twin)
    assert contents(draft) == before
