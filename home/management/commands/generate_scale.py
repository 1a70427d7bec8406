import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from home.scale import SIZES, guard, scale_generate


class Command(BaseCommand):
    help = (
        "Generate a county's data for the benchmark (tiny, small or county; README, Scale data) into the "
        "database DATABASE_URL names. Refuses a database that already holds people or records, unless "
        "--replace or --force with --confirm-database NAME."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=list(SIZES), required=True)
        parser.add_argument("--seed", type=int, default=13, help="The same seed (and day) gives the same data.")
        parser.add_argument("--replace", action="store_true", help="Empty the project's tables first.")
        parser.add_argument("--force", action="store_true", help="Add the generated council beside existing data.")
        parser.add_argument("--confirm-database", metavar="NAME", help="The database's name, for --replace/--force.")

    def handle(self, *args: Any, **options: Any) -> None:
        confirmed = options["confirm_database"]
        if (options["replace"] or options["force"]) and confirmed is None and sys.stdin.isatty():
            confirmed = input(f"Type the database's name ({guard.database_name()}) to confirm: ").strip()
        try:
            guard.check(replace=options["replace"], force=options["force"], confirmed_name=confirmed)
        except guard.Refused as refusal:
            raise CommandError(str(refusal)) from refusal
        if options["replace"]:
            guard.empty()
        self.stdout.write(f"Generating {options['size']} data (seed {options['seed']}) into {guard.database_name()}")
        report = scale_generate(size=options["size"], seed=options["seed"], log=self.stdout.write)
        for table, count in sorted(report.counts.items()):
            self.stdout.write(f"  {table:<45} {count:>10,}")
        checks = "with" if report.foreign_key_checks else "without"
        self.stdout.write(f"Done in {report.seconds:.1f} s (copied {checks} foreign-key checks).")
