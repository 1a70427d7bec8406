from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from home.bench.run import DOC, RESULTS_DIR, bench_run, doc_rewrite


class Command(BaseCommand):
    help = (
        "Benchmark the pages each role opens against the database DATABASE_URL names (issue 13): server"
        " time and queries per page, each list beside its SQL floor and django-guardian, query plans,"
        " indexes, and a load run against gunicorn; writes docs/benchmarks.md. Leaves the data as it"
        " found it (the in-process part is rolled back; the load run puts passwords back)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--people", type=int, default=20, help="people per role (default 20)")
        parser.add_argument("--repeat", type=int, default=5, help="measured requests per person and page")
        parser.add_argument("--load-people", type=int, default=50, help="simulated people in the load run")
        parser.add_argument("--load-seconds", type=float, default=120, help="the load run's length; 0 skips it")
        parser.add_argument("--size", default="", help="the data's size name (default: from the CAFs held)")
        parser.add_argument(
            "--doc-only",
            metavar="SIZE",
            default="",
            help="measure nothing: write docs/benchmarks.md again from the kept figures of SIZE's run (after"
            " editing docs/benchmarks/misses.md, which the page copies)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["doc_only"]:
            doc_rewrite(options["doc_only"])
            self.stdout.write(f"{DOC.relative_to(DOC.parent.parent)} written from the {options['doc_only']} run")
            return
        results = bench_run(
            people_per_role=options["people"],
            repeat=options["repeat"],
            load_people=options["load_people"],
            load_seconds=options["load_seconds"],
            size=options["size"],
        )
        self.stdout.write(
            f"{len(results['pages'])} pages and {len(results['lists'])} lists measured at {results['size']} size;"
            f" results in {RESULTS_DIR.relative_to(DOC.parent.parent)}/{results['size']}.json, the report in"
            f" {DOC.relative_to(DOC.parent.parent)}"
        )
