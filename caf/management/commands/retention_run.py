"""python manage.py retention_run [--council SLUG] [--dry-run]: what beat's nightly retention task
does (anonymise the families past their retention date, drop the access log's old months), or, with
--dry-run, list the families that are due and change nothing. With --council, only that council's
families, and the access log is left alone (its months hold every council's rows)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import LocalAuthority
from caf.selectors.retention import retention_families
from caf.services.retention import retention_run


class Command(BaseCommand):
    help = "Anonymise the records past their retention date and drop the access log's months past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", help="Only this council's records (its slug).")
        parser.add_argument("--dry-run", action="store_true", help="List the families due; change nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        councils = None
        if options["council"]:
            councils = LocalAuthority.objects.filter(slug=options["council"])
            if not councils.exists():
                raise CommandError(f"No council has the slug {options['council']!r}.")
        if options["dry_run"]:
            for council in councils if councils is not None else LocalAuthority.objects.order_by("pk"):
                due = [family for family in retention_families(council) if family.is_due(today)]
                self.stdout.write(f"{council.slug}: {len(due)} families due")
                for family in due:
                    records = f"CAFs {family.caf_ids}" if family.caf_ids else f"children {family.child_ids} (no CAF)"
                    self.stdout.write(f"  {records}, past {family.retention_on:%d %B %Y}")
            return
        for slug, count in retention_run(today=today, councils=councils).items():
            self.stdout.write(f"{slug}: {count} families anonymised.")
