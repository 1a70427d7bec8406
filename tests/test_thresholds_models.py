"""The councils' threshold models load from the source documents, complete and unchanged on reload."""

from collections import Counter

import pytest

from thresholds.models import Domain, Indicator, Level, Rule, SubDomain, SubDomainNote, ThresholdModel
from thresholds.services import reference_models_load

# Appendix A of 002, counted by hand from the document: (level code, domain key) -> indicators.
APPENDIX_A = {
    ("1", "developmental_needs"): 10, ("1", "family_environmental"): 6, ("1", "parents_carers"): 3,
    ("2", "developmental_needs"): 19, ("2", "family_environmental"): 10, ("2", "parents_carers"): 4,
    ("3", "developmental_needs"): 25, ("3", "family_environmental"): 8, ("3", "parents_carers"): 8,
    ("4", "developmental_needs"): 22, ("4", "family_environmental"): 8, ("4", "parents_carers"): 6,
}  # fmt: skip


def indicator_counts(model: ThresholdModel) -> Counter:
    return Counter(model.indicators.values_list("level__code", "sub_domain__domain__key"))


@pytest.mark.parametrize("slug", ["leicester", "leicestershire", "rutland"])
def test_each_llr_council_has_appendix_a_complete(reference_models, slug):
    model = reference_models[slug]
    assert model.status == ThresholdModel.Status.PUBLISHED
    assert list(model.levels.values_list("code", flat=True)) == ["1", "2", "3", "4"]
    assert dict(indicator_counts(model)) == APPENDIX_A
    assert model.indicators.count() == 129
    # The Universal column lists strengths, every other column needs.
    assert set(model.indicators.filter(level__code="1").values_list("kind", flat=True)) == {"strength"}
    assert set(model.indicators.exclude(level__code="1").values_list("kind", flat=True)) == {"need"}


def test_the_three_llr_models_belong_one_to_each_council(reference_models):
    councils = {reference_models[slug].council_id for slug in ["leicester", "leicestershire", "rutland"]}
    assert len(councils) == 3


def test_leicestershire_calls_level_two_early_help_and_has_its_front_door(reference_models):
    model = reference_models["leicestershire"]
    assert model.levels.get(code="2").name == "Early Help"
    assert reference_models["leicester"].levels.get(code="2").name == "Early Help/CAF"
    assert model.council.front_door_phone == "0116 305 0005"


def test_only_rutland_has_the_count_rule(reference_models):
    rule = Rule.objects.get(kind=Rule.Kind.COUNT)
    assert rule.threshold_model == reference_models["rutland"]
    assert (rule.count, rule.at_level.code, rule.suggests_level.code) == (3, "2", "2")
    assert "third unmet need" in rule.text
    for model in reference_models.values():
        assert set(model.rules.exclude(kind=Rule.Kind.COUNT).values_list("kind", flat=True)) == {
            Rule.Kind.HIGHEST_LEVEL,
            Rule.Kind.IMMEDIATE_HARM,
        }


def test_a_note_on_a_sub_domain_is_not_an_indicator(reference_models):
    model = reference_models["rutland"]
    assert not model.indicators.filter(text__icontains="Cultural and Racial identity").exists()
    assert SubDomainNote.objects.filter(threshold_model=model, text__icontains="Cultural and Racial").count() == 4


def test_a_text_listed_at_two_levels_is_two_indicators(reference_models):
    levels = reference_models["rutland"].indicators.filter(text="Concerns about parent/carer attachment")
    assert sorted(levels.values_list("level__code", flat=True)) == ["2", "3"]


def test_every_indicator_keeps_its_source(reference_models):
    model = reference_models["leicester"]
    assert not model.indicators.filter(source_document="").exists()
    indicator = model.indicators.get(text="Bruising to immobile baby")
    assert indicator.source_document == "002 Appendix A"
    assert indicator.source_sub_domain == "Health"
    assert indicator.level.code == "4"
    assert indicator.child_protection


@pytest.mark.parametrize(
    ("slug", "codes"),
    [("luton", ["1", "2", "3&4"]), ("halton", ["1", "2", "3a", "3b", "4"]), ("medway", ["1", "2", "3", "4"])],
)
def test_councils_without_indicators_have_their_levels_and_say_so(reference_models, slug, codes):
    model = reference_models[slug]
    assert list(model.levels.values_list("code", flat=True)) == codes
    assert model.indicators.count() == 0
    for level in model.levels.all():
        assert "indicators" in level.description, level.code


def test_medway_says_what_is_inferred(reference_models):
    level_one = reference_models["medway"].levels.get(code="1")
    assert "Inferred" in level_one.description


def test_caf_use_and_social_care_referral_follow_the_documents(reference_models):
    llr = {level.code: level for level in reference_models["leicester"].levels.all()}
    assert llr["1"].caf_use == Level.CafUse.NOT_USED
    assert llr["2"].caf_use == Level.CafUse.EXPECTED
    assert llr["3"].social_care_referral == Level.SocialCareReferral.CHILD_IN_NEED
    assert llr["4"].social_care_referral == Level.SocialCareReferral.CHILD_PROTECTION
    luton = {level.code: level for level in reference_models["luton"].levels.all()}
    assert luton["1"].caf_use == Level.CafUse.OPTIONAL
    assert luton["2"].caf_use == Level.CafUse.EXPECTED


def test_loading_again_changes_nothing(reference_models):
    before = (ThresholdModel.objects.count(), Level.objects.count(), Indicator.objects.count(), Rule.objects.count())
    again = reference_models_load()
    assert {model.pk for model in again} == {model.pk for model in reference_models.values()}
    after = (ThresholdModel.objects.count(), Level.objects.count(), Indicator.objects.count(), Rule.objects.count())
    assert after == before


def test_the_assessment_framework_domains_are_loaded(reference_models):
    assert list(Domain.objects.values_list("key", flat=True)) == [
        "developmental_needs",
        "family_environmental",
        "parents_carers",
    ]
    assert SubDomain.objects.count() == 11
