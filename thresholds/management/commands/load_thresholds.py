from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from thresholds.services import reference_models_load


class Command(BaseCommand):
    help = (
        "Load the published threshold models of Leicester, Leicestershire, Rutland, Luton, Halton and Medway "
        "from the source documents (thresholds/data/). Safe to run again: a loaded version is never changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", action="append", help="Only this council (its slug, e.g. rutland).")

    def handle(self, *args: Any, **options: Any) -> None:
        for model in reference_models_load(only=options["council"]):
            self.stdout.write(
                f"{model.council.name}: {model.name}, version {model.version} "
                f"({model.levels.count()} levels, {model.indicators.count()} indicators)"
            )
