"""python manage.py possible_duplicates_find [--council SLUG]: record the possible duplicate records
not known yet (what beat's nightly task does), and say how many are new."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import LocalAuthority
from caf.services import possible_duplicates_find


class Command(BaseCommand):
    help = "Record the possible duplicate records of children not known yet, for the CAF administrators' queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--council", help="Only this council's records (its slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        council_id = None
        if options["council"]:
            council = LocalAuthority.objects.filter(slug=options["council"]).first()
            if council is None:
                raise CommandError(f"No council has the slug {options['council']!r}.")
            council_id = council.pk
        found = possible_duplicates_find(council_id=council_id)
        self.stdout.write(f"{found} new possible duplicate pair{'s' if found != 1 else ''} recorded.")
