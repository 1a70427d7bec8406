"""Branch coverage per app, from the data `make test` leaves in var/coverage (pytest-cov).

    python -m config.coverage_check                   the table (make test prints it after every run)
    python -m config.coverage_check --fail-under 90   the same, and exit 1 if an app is under 90% (CI)

Each app's figure is coverage.py's with branch measurement, as `coverage report` totals it: lines run
and branches taken together, over lines and branches ((lines run + branches taken) / (lines + branches)).
The table also shows the branches alone. `config` is listed but not held to the floor: most of it is
settings and start-up code that the tests run once, in another process, or not at all. Nor is
`home/bench`, the benchmark harness behind `make bench`: the suite runs it end to end on the demo
(tests/test_bench_harness.py), but its county-only branches and the load run's gunicorn process are
exercised by `make bench` itself, not by `make test`; it is listed apart from home so home's own
figure stays the product's.
"""

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "thresholds", "caf", "referrals", "home"]
UNGATED = ["config", "home/bench"]


@dataclass
class Totals:
    statements: int = 0
    statements_run: int = 0
    branches: int = 0
    branches_taken: int = 0

    @property
    def percent(self) -> float:
        total = self.statements + self.branches
        return 100.0 * (self.statements_run + self.branches_taken) / total if total else 100.0

    @property
    def branch_percent(self) -> float:
        return 100.0 * self.branches_taken / self.branches if self.branches else 100.0


def app_totals() -> dict[str, Totals]:
    """Totals per app, from coverage.py's JSON report of the last run's data (files never imported count as 0%)."""
    from coverage import Coverage

    coverage = Coverage(config_file=str(BASE_DIR / "pyproject.toml"), messages=False)
    coverage.load()
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "coverage.json"
        coverage.json_report(outfile=str(report_path))
        report = json.loads(report_path.read_text())
    totals = {app: Totals() for app in [*APPS, *UNGATED]}
    for path, measured in report["files"].items():
        parts = Path(path).parts
        app = "home/bench" if parts[:2] == ("home", "bench") else parts[0]
        if app not in totals:
            continue
        summary = measured["summary"]
        row = totals[app]
        row.statements += summary["num_statements"]
        row.statements_run += summary["covered_lines"]
        row.branches += summary["num_branches"]
        row.branches_taken += summary["covered_branches"]
    return totals


def table(totals: dict[str, Totals], fail_under: float | None) -> str:
    lines = [
        "Branch coverage per app (lines run and branches taken, over lines and branches; then the branches alone):",
        f"  {'app':<12}{'cover':>7}{'lines run':>15}{'branches taken':>17}{'branches':>10}",
    ]
    for app, row in totals.items():
        mark = ""
        if app in UNGATED:
            mark = "  (not gated)"
        elif fail_under is not None and row.percent < fail_under:
            mark = f"  UNDER {fail_under:g}%"
        lines.append(
            f"  {app:<12}{row.percent:>6.1f}%{f'{row.statements_run}/{row.statements}':>15}"
            f"{f'{row.branches_taken}/{row.branches}':>17}{row.branch_percent:>9.1f}%{mark}"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Branch coverage per app, from make test's coverage data.")
    parser.add_argument("--fail-under", type=float, help="exit 1 when an app's coverage is under this percentage")
    arguments = parser.parse_args(argv)
    os.chdir(BASE_DIR)  # the configured sources and the data file are relative to the project
    from coverage.exceptions import NoDataError

    try:
        totals = app_totals()
    except NoDataError:
        print("No coverage data: run make test first (a full run, for the figures CI checks).")
        return 1
    print(table(totals, arguments.fail_under))
    under = [app for app in APPS if arguments.fail_under is not None and totals[app].percent < arguments.fail_under]
    if under:
        print(f"Branch coverage under {arguments.fail_under:g}% in: {', '.join(under)}.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
