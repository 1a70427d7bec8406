"""Versions: only drafts change, publishing checks the policy cases, one published version per council."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from core.errors import Refused
from thresholds.models import Indicator, PolicyCase, Rule, SubDomain, ThresholdModel
from thresholds.selectors import comparison_page, models_compare, publish_page
from thresholds.services import (
    indicator_remove,
    indicator_save,
    level_update,
    policy_case_save,
    publish_problems,
    rule_remove,
    threshold_model_draft_start,
    threshold_model_publish,
)


@pytest.fixture
def draft(council_admin, council_model):
    return threshold_model_draft_start(user=council_admin, council=council_model.council)


def test_a_draft_is_a_full_copy_of_the_latest_version(draft, council_model, council_admin):
    assert (draft.version, draft.status, draft.based_on, draft.created_by) == (
        2,
        ThresholdModel.Status.DRAFT,
        council_model,
        council_admin,
    )
    assert draft.levels.count() == council_model.levels.count()
    assert draft.indicators.count() == council_model.indicators.count() == 129
    assert draft.rules.count() == council_model.rules.count()
    assert not draft.indicators.filter(level__threshold_model=council_model).exists()


def test_only_one_draft_at_a_time(draft, council_admin):
    with pytest.raises(Refused, match="already a draft"):
        threshold_model_draft_start(user=council_admin, council=draft.council)
    assert ThresholdModel.objects.filter(council=draft.council, status="draft").count() == 1


def test_a_published_version_refuses_every_edit(council_model, council_admin):
    level = council_model.levels.get(code="2")
    with pytest.raises(Refused, match="published and cannot change"):
        level_update(user=council_admin, level=level, name="Changed")
    indicator = council_model.indicators.first()
    with pytest.raises(Refused):
        indicator_remove(user=council_admin, indicator=indicator)
    indicator.text = "Changed text"
    with pytest.raises(Refused):
        indicator_save(user=council_admin, indicator=indicator)
    with pytest.raises(Refused):
        rule_remove(user=council_admin, rule=council_model.rules.get(kind=Rule.Kind.IMMEDIATE_HARM))
    assert council_model.levels.get(code="2").name == "Early Help"
    assert council_model.indicators.count() == 129
    assert not council_model.indicators.filter(text="Changed text").exists()
    assert council_model.rules.count() == 2


def test_a_draft_changes_and_publishing_retires_the_old_version(draft, council_model, council_admin):
    level_update(user=council_admin, level=draft.levels.get(code="2"), name="Early Help (CAF)")
    indicator_save(
        user=council_admin,
        indicator=Indicator(
            threshold_model=draft,
            level=draft.levels.get(code="3"),
            sub_domain=SubDomain.objects.get(key="health"),
            text="Missing health appointments for a long-term condition",
        ),
    )
    published = threshold_model_publish(user=council_admin, threshold_model=draft)
    council_model.refresh_from_db()
    assert published.status == ThresholdModel.Status.PUBLISHED
    assert published.published_by == council_admin
    assert council_model.status == ThresholdModel.Status.RETIRED
    assert ThresholdModel.objects.published().get(council=draft.council) == published
    difference = models_compare(council_model, published)
    assert difference.levels_changed == ["Level 2: name changed"]
    assert difference.indicators_added == ['Level 3, Health: "Missing health appointments for a long-term condition"']
    assert difference.indicators_removed == []


def test_publishing_is_refused_while_a_policy_case_fails(draft, council_model, council_admin):
    case = PolicyCase(
        threshold_model=draft, name="Truanting alone is early help", expected_level=draft.levels.get(code="2")
    )
    policy_case_save(
        user=council_admin, case=case, indicators=[draft.indicators.get(text="Occasional truanting or non-attendance")]
    )
    # Someone moves the indicator to level 3 in the draft: the case now fails.
    moved = draft.indicators.get(text="Occasional truanting or non-attendance")
    moved.level = draft.levels.get(code="3")
    indicator_save(user=council_admin, indicator=moved)

    with pytest.raises(Refused) as refused:
        threshold_model_publish(user=council_admin, threshold_model=draft)

    assert 'Policy case "Truanting alone is early help" expects 2: Early Help but the model suggests 3: Targeted.' in (
        refused.value.messages
    )
    draft.refresh_from_db()
    council_model.refresh_from_db()
    assert draft.status == ThresholdModel.Status.DRAFT
    assert council_model.status == ThresholdModel.Status.PUBLISHED


def test_policy_cases_are_carried_to_the_next_version(draft, council_admin):
    case = PolicyCase(threshold_model=draft, name="Overcrowding", expected_level=draft.levels.get(code="2"))
    policy_case_save(user=council_admin, case=case, indicators=[draft.indicators.get(text="Overcrowding")])
    assert publish_problems(draft) == []
    threshold_model_publish(user=council_admin, threshold_model=draft)
    next_draft = threshold_model_draft_start(user=council_admin, council=draft.council)
    carried = next_draft.policy_cases.get(name="Overcrowding")
    assert carried.expected_level.threshold_model == next_draft
    assert [i.threshold_model_id for i in carried.indicators.all()] == [next_draft.pk]


def test_the_highest_level_rule_cannot_be_removed(draft, council_admin):
    with pytest.raises(Refused, match="highest-level rule"):
        rule_remove(user=council_admin, rule=draft.rules.get(kind=Rule.Kind.HIGHEST_LEVEL))
    assert draft.rules.filter(kind=Rule.Kind.HIGHEST_LEVEL).exists()


def test_a_council_may_start_from_another_councils_model(council_admin, reference_model, council):
    rutland = reference_model("rutland")
    draft = threshold_model_draft_start(user=council_admin, council=council, copy_from=rutland)
    assert draft.council == council
    assert draft.version == 1
    assert draft.rules.filter(kind=Rule.Kind.COUNT).exists()
    assert rutland.council != council


def test_only_the_councils_own_administrators_may_change_its_model(
    council_model, school_practitioner, other_council_admin
):
    for user in [school_practitioner, other_council_admin]:
        with pytest.raises(PermissionDenied):
            threshold_model_draft_start(user=user, council=council_model.council)
    assert ThresholdModel.objects.filter(council=council_model.council).count() == 1


def test_the_database_refuses_two_published_versions(council_model):
    with pytest.raises(IntegrityError), transaction.atomic():
        ThresholdModel.objects.create(
            council=council_model.council,
            name="Second",
            version=9,
            status="published",
            published_at=council_model.published_at,
        )


def test_a_published_version_refuses_new_policy_cases(council_model, council_admin):
    case = PolicyCase(threshold_model=council_model, name="Late", expected_level=council_model.levels.get(code="2"))
    with pytest.raises(Refused, match="published and cannot change"):
        policy_case_save(user=council_admin, case=case, indicators=[])
    assert not council_model.policy_cases.exists()


# What the administrators' pages read --------------------------------------------------------------


def test_comparing_names_an_indicator_whose_flags_changed(draft, council_model, council_admin):
    indicator = draft.indicators.get(text="Overcrowding")
    indicator.immediate_harm = True
    indicator_save(user=council_admin, indicator=indicator)
    difference = models_compare(council_model, draft)
    assert difference.indicators_changed == [
        f'Level 2, {indicator.sub_domain.name}: "Overcrowding": immediate harm changed'
    ]
    assert not difference.is_empty


def test_comparing_a_published_version_defaults_to_the_version_before(draft, council_model, council_admin):
    published = threshold_model_publish(user=council_admin, threshold_model=draft)
    page = comparison_page(council_admin, published, "")
    council_model.refresh_from_db()
    assert (page.old, page.new, page.chosen) == (council_model, published, council_model.pk)
    older = comparison_page(council_admin, council_model, "")  # the retired one: the current is newer
    assert (older.old, older.new) == (council_model, published)


def test_comparing_with_the_model_a_draft_was_copied_from_and_with_nonsense(council, council_admin, reference_model):
    rutland = reference_model("rutland")
    copied = threshold_model_draft_start(user=council_admin, council=council, copy_from=rutland)
    page = comparison_page(council_admin, copied, str(rutland.pk))  # another council's, yet allowed: its source
    assert (page.old, page.new, page.chosen) == (rutland, copied, rutland.pk)
    assert page.difference is not None and page.difference.is_empty
    nothing = comparison_page(council_admin, copied, "not-a-number")
    assert (nothing.old, nothing.difference, nothing.chosen) == (None, None, None)


def test_a_published_version_lists_no_publish_problems(council_model, council_admin):
    page = publish_page(council_admin, council_model)
    assert page.problems == []
    assert (page.current, page.against) == (None, council_model.based_on)  # no other version of its own
