"""The classifier: a table of cases per council model, and properties that must hold for any answers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from thresholds.classifier import Answers, UnknownIndicator, classify
from thresholds.selectors import model_snapshot


def ids(model, *texts: str) -> frozenset[int]:
    found = {}
    for indicator in model.indicators.values():
        if indicator.text in texts:
            found.setdefault(indicator.text, indicator.id)
    missing = set(texts) - found.keys()
    assert not missing, f"no such indicator: {missing}"
    return frozenset(found.values())


class Snapshots(dict):
    """Each council's snapshot by slug, its reference model loaded the first time a test asks for it."""

    def __init__(self, reference_model) -> None:
        super().__init__()
        self.reference_model = reference_model

    def __missing__(self, slug: str):
        self[slug] = model_snapshot(self.reference_model(slug))
        return self[slug]


@pytest.fixture
def snapshots(reference_model) -> Snapshots:
    return Snapshots(reference_model)


# (model, indicators, extra unmet needs, age, expected level code, CAF suggested, refer now)
CASES = [
    ("leicester", [], 0, 8, "1", False, False),
    ("leicester", ["Good attendance at school/college/training"], 0, 8, "1", False, False),
    ("leicester", ["Occasional truanting or non-attendance"], 0, 12, "2", True, False),
    ("leicester", ["Occasional truanting or non-attendance", "Overcrowding"], 0, 12, "2", True, False),
    ("leicester", ["Overcrowding", "Statement of special educational needs"], 0, 9, "3", True, False),
    ("leicester", ["Bruising to immobile baby"], 0, 0, "4", False, False),
    ("leicestershire", ["Parents request advice to manage their child's behaviour"], 0, 6, "2", True, False),
    ("leicestershire", ["Young carers, Privately fostered, children of prisoners, periods of LAC"], 0, 13, "3", True,
     False),
    ("rutland", ["Occasional truanting or non-attendance"], 0, 12, "2", False, False),
    ("rutland", ["Occasional truanting or non-attendance", "Overcrowding"], 0, 12, "2", False, False),
    ("rutland", ["Occasional truanting or non-attendance", "Overcrowding", "Poor self-esteem"], 0, 12, "2", True,
     False),
    ("rutland", ["Occasional truanting or non-attendance"], 2, 12, "2", True, False),
    ("rutland", [], 3, 12, "2", True, False),
    ("rutland", ["Good attendance at school/college/training"], 0, 12, "1", False, False),
    # Immediate harm: refer now, whatever else is chosen; the suggestion is the child protection level.
    ("rutland", ["Child or family need immediate support and protection due to harassment /discrimination and No "
                 "access to community resources", "Overcrowding"], 0, 10, "4", False, True),
    # Age ranges: an indicator outside its ages is not counted.
    ("leicester", ["Early onset of offending behaviour or activity (10-14)"], 0, 12, "2", True, False),
    ("leicester", ["Early onset of offending behaviour or activity (10-14)"], 0, 16, "1", False, False),
    ("leicester", ["Under 13 engaged in sexual activity"], 0, 14, "1", False, False),
]  # fmt: skip


@pytest.mark.parametrize(("slug", "texts", "extra", "age", "level", "caf", "refer_now"), CASES)
def test_the_case_table(snapshots, slug, texts, extra, age, level, caf, refer_now):
    model = snapshots[slug]
    result = classify(model, Answers(indicator_ids=ids(model, *texts), extra_unmet_needs=extra, age=age))
    assert result.level.code == level
    assert result.caf_suggested is caf
    assert result.refer_now is refer_now
    assert result.model_version == 1


@pytest.mark.parametrize("slug", ["luton", "halton", "medway"])
def test_a_model_without_indicators_says_to_choose_from_the_descriptions(snapshots, slug):
    result = classify(snapshots[slug], Answers(extra_unmet_needs=2, age=7))
    assert result.level is None
    assert [notice.kind for notice in result.warnings] == ["no_indicators"]
    assert "choose the level from the level descriptions" in result.warnings[0].text


def test_the_reasons_explain_in_plain_english(snapshots):
    model = snapshots["rutland"]
    chosen = ids(model, "Occasional truanting or non-attendance", "Overcrowding", "Poor self-esteem")
    result = classify(model, Answers(indicator_ids=chosen, age=12))
    assert '"Overcrowding" is an example of 2: Early Help/CAF (Housing, employment and finance).' in result.reasons
    assert "Rule: 3 unmet needs at 2: Early Help/CAF; 3 or more suggest 2: Early Help/CAF and a CAF." in result.reasons
    assert "Children's Centres & Early Years" in result.key_services


def test_immediate_harm_says_what_to_do_now_with_the_front_door_number(reference_model):
    model = model_snapshot(reference_model("leicestershire"))
    harm = ids(
        model,
        "Child or family need immediate support and protection due to harassment /discrimination and "
        "No access to community resources",
    )
    result = classify(model, Answers(indicator_ids=harm))
    assert result.refer_now
    assert result.warnings[0].kind == "immediate_harm"
    assert "0116 305 0005" in result.warnings[0].text
    assert "Refer to children's social care now" in result.warnings[0].text


def test_a_child_protection_concern_is_flagged(snapshots):
    model = snapshots["leicester"]
    result = classify(model, Answers(indicator_ids=ids(model, "Bruising to immobile baby"), age=0))
    assert [notice.kind for notice in result.warnings] == ["child_protection"]
    assert "Refer to children's social care today" in result.warnings[0].text


def test_the_age_limits_of_a_caf_are_explained(snapshots):
    model = snapshots["leicester"]
    assert [n.kind for n in classify(model, Answers(age=20)).warnings] == ["age"]
    assert classify(model, Answers(age=20, send=True)).warnings == ()
    assert [n.kind for n in classify(model, Answers(age=26, send=True)).warnings] == ["age"]


def test_an_unborn_child_is_not_matched_to_age_limited_indicators(snapshots):
    model = snapshots["leicester"]
    chosen = ids(
        model, "Concealed pregnancy - multiple risk factors", "Early onset of offending behaviour or activity (10-14)"
    )
    result = classify(model, Answers(indicator_ids=chosen, unborn=True))
    assert result.level.code == "4"
    assert [n.kind for n in result.warnings] == ["not_counted"]


def test_an_indicator_of_another_model_is_refused(snapshots):
    other = next(iter(snapshots["rutland"].indicators))
    with pytest.raises(UnknownIndicator):
        classify(snapshots["leicester"], Answers(indicator_ids=frozenset([other])))


# Properties, for any answers -------------------------------------------------------------------

answers_strategy = st.builds(
    dict,
    extra=st.integers(min_value=0, max_value=6),
    age=st.one_of(st.none(), st.integers(min_value=0, max_value=25)),
    unborn=st.booleans(),
    send=st.booleans(),
)


@pytest.mark.parametrize("slug", ["leicester", "rutland"])
def test_adding_an_indicator_never_lowers_the_level(snapshots, slug):
    model = snapshots[slug]
    all_ids = sorted(model.indicators)

    @given(
        chosen=st.sets(st.sampled_from(all_ids), max_size=8), extra_id=st.sampled_from(all_ids), other=answers_strategy
    )
    def check(chosen, extra_id, other):
        base = Answers(frozenset(chosen), other["extra"], other["age"], other["unborn"], other["send"])
        more = Answers(frozenset(chosen | {extra_id}), other["extra"], other["age"], other["unborn"], other["send"])
        before, after = classify(model, base), classify(model, more)
        assert after.level.order >= before.level.order
        assert after.refer_now >= before.refer_now

    check()


@pytest.mark.parametrize("slug", ["leicester", "rutland", "luton"])
def test_every_result_names_an_indicator_or_a_rule(snapshots, slug):
    model = snapshots[slug]
    all_ids = sorted(model.indicators) or [0]

    @given(chosen=st.sets(st.sampled_from(all_ids), max_size=8), other=answers_strategy)
    def check(chosen, other):
        chosen = frozenset(chosen) & model.indicators.keys()
        result = classify(model, Answers(chosen, other["extra"], other["age"], other["unborn"], other["send"]))
        assert result.reasons
        texts = [model.indicators[i].text for i in chosen]
        assert any(
            reason.startswith("Rule:") or "rule" in reason or any(t in reason for t in texts)
            for reason in result.reasons
        )

    check()


def test_identical_answers_give_identical_results(reference_model):
    model = reference_model("rutland")
    all_ids = sorted(model_snapshot(model).indicators)

    @given(chosen=st.lists(st.sampled_from(all_ids), max_size=10), other=answers_strategy)
    def check(chosen, other):
        # A fresh snapshot of the same version, and the indicators in another order: the same answer.
        first = classify(
            model_snapshot(model),
            Answers(frozenset(chosen), other["extra"], other["age"], other["unborn"], other["send"]),
        )
        second = classify(
            model_snapshot(model),
            Answers(frozenset(reversed(chosen)), other["extra"], other["age"], other["unborn"], other["send"]),
        )
        assert first == second

    check()
