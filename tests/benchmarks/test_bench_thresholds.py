"""Speed goals, measured with pytest-benchmark by `make bench` (skipped by `make test`).

Goals on the project's 2-core machine: classifying one set of answers well under a millisecond;
building a model's snapshot (4 queries) well under 50 ms.
"""

import pytest

from thresholds.classifier import Answers, classify
from thresholds.selectors import model_snapshot


@pytest.fixture
def rutland(reference_model):
    return reference_model("rutland")


def test_classify_twelve_indicators(benchmark, rutland):
    snapshot = model_snapshot(rutland)
    answers = Answers(indicator_ids=frozenset(sorted(snapshot.indicators)[::10]), extra_unmet_needs=1, age=11)
    result = benchmark(classify, snapshot, answers)
    assert result.level is not None
    assert benchmark.stats["mean"] < 0.001


def test_model_snapshot(benchmark, rutland):
    snapshot = benchmark(model_snapshot, rutland)
    assert len(snapshot.indicators) == 129
    assert benchmark.stats["mean"] < 0.05
