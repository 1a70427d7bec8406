"""Run a CSV of example cases against a council's current threshold model.

    python manage.py check_thresholds --council rutland cases.csv

Columns (header row; names compared ignoring case, spacing and punctuation): case, indicators
(texts separated by "|", each optionally qualified by its level as "2: text"), extra unmet needs
(blank is 0), age (years, "unborn" or blank), expected level (a level's code or name). Prints one
line per mismatch or error and a summary; exits non-zero if any case fails.
"""

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from accounts.models import LocalAuthority
from thresholds.classifier import Answers, ModelSnapshot, classify
from thresholds.matching import IndicatorIndex, MatchError, level_find, normalise
from thresholds.selectors import current_models, model_snapshot

COLUMNS = {
    "case": "case",
    "indicators": "indicators",
    "extraunmetneeds": "extra unmet needs",
    "age": "age",
    "expectedlevel": "expected level",
}
REQUIRED = ("case", "indicators", "expectedlevel")


@dataclass(frozen=True)
class Outcome:
    name: str
    failures: tuple[str, ...]


def _whole_number(value: str, what: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise MatchError(f'{what} "{value.strip()}" is not a whole number') from None
    if number < 0:
        raise MatchError(f"{what} {number} is less than 0")
    return number


def _answers(row: dict[str, str], index: IndicatorIndex) -> Answers:
    problems = []
    indicator_ids = set()
    for text in (row.get("indicators") or "").split("|"):
        if not text.strip():
            continue
        try:
            indicator_ids.add(index.find(text).id)
        except MatchError as error:
            problems.append(str(error))
    extra = (row.get("extraunmetneeds") or "").strip()
    age_text = (row.get("age") or "").strip()
    age: int | None = None
    try:
        extra_unmet_needs = _whole_number(extra, "extra unmet needs") if extra else 0
    except MatchError as error:
        problems.append(str(error))
        extra_unmet_needs = 0
    unborn = normalise(age_text) == "unborn"
    if age_text and not unborn:
        try:
            age = _whole_number(age_text, "age")
        except MatchError as error:
            problems.append(f'{error} (write the age in years, or "unborn")')
    if problems:
        raise MatchError("; ".join(problems))
    return Answers(frozenset(indicator_ids), extra_unmet_needs, age, unborn)


def case_check(row: dict[str, str], model: ModelSnapshot, index: IndicatorIndex) -> tuple[str, ...]:
    """The problems with one case: errors in its row, or a suggestion other than the expected level."""
    problems = []
    try:
        answers = _answers(row, index)
    except MatchError as error:
        problems.append(str(error))
        answers = None
    try:
        expected = level_find(model, row.get("expectedlevel") or "")
    except MatchError as error:
        problems.append(f"expected {error}")
        expected = None
    if problems or answers is None or expected is None:
        return tuple(problems)
    result = classify(model, answers)
    if result.level is None or result.level.id != expected.id:
        suggested = result.level.label if result.level else "no level (the model has no example indicators)"
        return (f"expected {expected.label}, suggested {suggested}",)
    return ()


class Command(BaseCommand):
    help = (
        "Run a CSV of example cases (case, indicators separated by |, extra unmet needs, age, expected level) "
        "against a council's current threshold model; print each mismatch and exit non-zero if any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", required=True, help="The council's name or slug, e.g. rutland.")
        parser.add_argument("cases", type=Path, help="The CSV file of cases.")

    def handle(self, *args: Any, **options: Any) -> None:
        council = self._council(options["council"])
        threshold_model = current_models().filter(council=council).first()
        if threshold_model is None:
            raise CommandError(f"{council.name} has no published threshold model to check against.")
        model = model_snapshot(threshold_model)
        index = IndicatorIndex(model)
        outcomes = [
            Outcome(row.get("case") or f"on line {line}", case_check(row, model, index))
            for line, row in self._rows(options["cases"])
        ]
        for outcome in outcomes:
            for failure in outcome.failures:
                self.stdout.write(f"case {outcome.name}: {failure}")
        failed = sum(1 for outcome in outcomes if outcome.failures)
        self.stdout.write(
            f"{threshold_model.council.name}, {threshold_model}: "
            f"{len(outcomes)} cases, {len(outcomes) - failed} passed, {failed} failed"
        )
        if failed:
            raise CommandError(f"{failed} of {len(outcomes)} cases failed.")

    def _council(self, name: str) -> LocalAuthority:
        council = LocalAuthority.objects.filter(Q(name__iexact=name.strip()) | Q(slug__iexact=name.strip())).first()
        if council is None:
            known = ", ".join(f"{c.name} ({c.slug})" for c in LocalAuthority.objects.order_by("name"))
            raise CommandError(f'No council is called "{name}". Give a council\'s name or slug: {known}.')
        return council

    def _rows(self, path: Path) -> list[tuple[int, dict[str, str]]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                header = [normalise(name) for name in next(reader, [])]
                missing = [COLUMNS[column] for column in REQUIRED if column not in header]
                if missing:
                    raise CommandError(
                        f"{path} has no {', '.join(missing)} column: the header row must name "
                        + ", ".join(COLUMNS.values())
                    )
                # A short row leaves its last cells blank; extra cells and columns are ignored.
                return [
                    (
                        reader.line_num,
                        {name: value for name, value in zip(header, values, strict=False) if name in COLUMNS},
                    )
                    for values in reader
                    if any(value.strip() for value in values)
                ]
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        except (UnicodeDecodeError, csv.Error) as error:
            raise CommandError(f"{path} is not a CSV file in UTF-8: {error}.") from error
