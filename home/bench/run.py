"""One benchmark run: the people, the pages, the lists beside their floors, the plans, the indexes,
the load run; the results are kept as JSON (docs/benchmarks/<size>.json) and docs/benchmarks.md is
written from every size's results.

The in-process part runs in one transaction that is rolled back: the pages' access-log rows and
sessions are not left behind, and a generated database is the same after the run as before."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.test.utils import override_settings

from caf.models import Caf
from home.bench import database, floors, measure, pages, report
from home.bench.load import load_run
from referrals.services.figures_snapshots import figures_snapshots_count

RESULTS_DIR = Path(settings.BASE_DIR) / "docs" / "benchmarks"
DOC = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"


def size_of_data() -> str:
    """The generator's size names, read from the CAFs held (tiny, small ~25,000, county ~250,000)."""
    cafs = Caf.objects.count()
    return "county" if cafs >= 100_000 else "small" if cafs >= 10_000 else "tiny"


def bench_run(
    *,
    people_per_role: int = 20,
    repeat: int = 5,
    load_people: int = 50,
    load_seconds: float = 120,
    size: str = "",
    results_dir: Path = RESULTS_DIR,
    doc: Path = DOC,
) -> dict[str, Any]:
    """Measure, keep the results, write the doc; `load_seconds=0` skips the load run."""
    size = size or size_of_data()
    subjects = [pages.subject_for(user, role) for role in pages.ROLES for user in pages.people(role, people_per_role)]
    results: dict[str, Any] = {
        "size": size,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": database.machine(),
        "rows": database.row_counts(),
        "people_per_role": {role.value: sum(s.role == role for s in subjects) for role in pages.ROLES},
        "repeat": repeat,
    }
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with override_settings(ALLOWED_HOSTS=hosts), transaction.atomic():
        # The figures page shows the night's count of the last 12 months, as the nightly job leaves it.
        figures_snapshots_count()
        results["pages"] = [result.summary() for result in measure.measure_pages(subjects, repeat=repeat)]
        results["lists"] = [
            floors.compare_list(spec, role, [s.user for s in subjects if s.role == role], repeat=repeat)
            for spec in floors.LISTS
            for role in spec.roles
            if any(s.role == role for s in subjects)
        ]
        transaction.set_rollback(True)
    results["indexes"] = database.indexes()
    results["load"] = load_run(subjects, people=load_people, seconds=load_seconds) if load_seconds else None
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{size}.json").write_text(json.dumps(results, indent=1, default=str) + "\n")
    runs = {path.stem: json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))}
    doc.write_text(report.render(results, runs))
    return results


def doc_rewrite(size: str, *, results_dir: Path = RESULTS_DIR, doc: Path = DOC) -> None:
    """docs/benchmarks.md again from the kept figures of the run at `size` (and the other sizes kept
    beside it), measuring nothing: after editing the misses by hand."""
    runs = {path.stem: json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))}
    if size not in runs:
        raise CommandError(f"No run at {size} size is kept in {results_dir}: run `make bench` on that data first.")
    doc.write_text(report.render(runs[size], runs))
