from typing import Any

from django.core.management.base import BaseCommand

from home.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo council, agencies and one user per role. Safe to run again: it adds only what is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        users = demo_load()
        self.stdout.write(f"Demo data is loaded. Sign in with any of these (password for all: {DEMO_PASSWORD}):")
        for user in users:
            self.stdout.write(f"  {user.role.label:<22} {user.email:<36} {user.full_name}, {user.agency}")
