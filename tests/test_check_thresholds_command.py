"""`manage.py check_thresholds`: a CSV of example cases against a council's current model."""

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import LocalAuthority
from thresholds.classifier import Answers, classify
from thresholds.matching import IndicatorIndex, MatchError, level_find, normalise
from thresholds.models import Indicator, PolicyCase, ThresholdModel
from thresholds.selectors import model_snapshot

DATA = Path(__file__).resolve().parent / "data"


def record_counts() -> tuple[int, int, int]:
    return ThresholdModel.objects.count(), Indicator.objects.count(), PolicyCase.objects.count()


def test_a_good_csv_passes_and_prints_the_summary(reference_models, capsys):
    before = record_counts()
    call_command("check_thresholds", "--council", "Rutland County Council", str(DATA / "rutland_cases_good.csv"))
    output = capsys.readouterr().out
    assert output.splitlines() == [
        "Rutland County Council, Rutland thresholds (LLR 2014), version 1: 9 cases, 9 passed, 0 failed"
    ]
    assert record_counts() == before


def test_a_bad_csv_fails_and_names_each_mismatch_and_error(reference_models, capsys):
    with pytest.raises(CommandError, match="4 of 5 cases failed"):
        call_command("check_thresholds", "--council", "rutland", str(DATA / "rutland_cases_bad.csv"))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "case wrong level expected: expected 3: Targeted, suggested 2: Early Help/CAF"
    assert (
        lines[1]
        == 'case unknown indicator: indicator "Likes ponies" matches no indicator of Rutland thresholds (LLR 2014)'
    )
    assert lines[2] == (
        'case ambiguous indicator: indicator "Concerns about parent/carer attachment" is ambiguous: it matches 2 '
        'indicators, at levels 2, 3; qualify it with its level, as "2: Concerns about parent/carer attachment" or '
        '"3: Concerns about parent/carer attachment"'
    )
    assert lines[3] == 'case age is not a number: age "ten" is not a whole number (write the age in years, or "unborn")'
    assert lines[4] == "Rutland County Council, Rutland thresholds (LLR 2014), version 1: 5 cases, 1 passed, 4 failed"
    assert len(lines) == 5


def test_the_good_csvs_count_rule_cases_rest_on_rutlands_rule(reference_models):
    # Three level-2 needs are level 2 with or without the count rule: what the rule adds is the CAF.
    model = model_snapshot(reference_models["rutland"])
    index = IndicatorIndex(model)
    overcrowding, self_esteem, truanting = (
        index.find(text).id for text in ["Overcrowding", "Poor self-esteem", "occasional truanting or NON-attendance."]
    )
    assert classify(model, Answers(frozenset({overcrowding, self_esteem, truanting}))).caf_suggested
    assert not classify(model, Answers(frozenset({overcrowding, self_esteem}))).caf_suggested
    assert classify(model, Answers(frozenset({overcrowding, self_esteem}), extra_unmet_needs=1)).caf_suggested


def test_an_unknown_council_is_a_clear_error(reference_models, capsys):
    with pytest.raises(
        CommandError, match=re.escape('No council is called "Atlantis". Give a council\'s name or slug: Halton')
    ):
        call_command("check_thresholds", "--council", "Atlantis", str(DATA / "rutland_cases_good.csv"))
    assert capsys.readouterr().out == ""


def test_a_council_without_a_published_model_is_a_clear_error(council, tmp_path):
    with pytest.raises(CommandError, match="Northbridge Borough Council has no published threshold model"):
        call_command("check_thresholds", "--council", "NORTHBRIDGE", str(DATA / "rutland_cases_good.csv"))


def test_a_file_without_the_columns_or_that_is_missing_is_a_clear_error(reference_models, tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("name,needs\nA,Overcrowding\n", encoding="utf-8")
    with pytest.raises(CommandError, match="has no case, indicators, expected level column"):
        call_command("check_thresholds", "--council", "rutland", str(wrong))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("check_thresholds", "--council", "rutland", str(tmp_path / "absent.csv"))


def test_matching_ignores_case_spacing_and_punctuation(reference_models):
    model = model_snapshot(reference_models["leicester"])
    index = IndicatorIndex(model)
    assert normalise("Parent / Carer, attachment!") == "parentcarerattachment"
    assert index.find("  BRUISING to immobile baby ").text == "Bruising to immobile baby"
    assert index.find("Targeted: Concerns about parent/carer attachment").level_id == level_find(model, "3").id
    assert level_find(model, "early help - CAF").code == "2"
    with pytest.raises(MatchError, match='level "9" is not a level'):
        level_find(model, "9")
    with pytest.raises(MatchError, match="matches no indicator"):
        index.find("5: Bruising to immobile baby")
    assert LocalAuthority.objects.filter(slug="leicester").exists()
