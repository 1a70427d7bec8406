from typing import Any

from django.core.management.base import BaseCommand

from accounts.roles import roles_sync


class Command(BaseCommand):
    help = "Create the service's roles as groups and set their permissions from accounts/data/roles.yaml."

    def handle(self, *args: Any, **options: Any) -> None:
        groups = roles_sync()
        self.stdout.write(f"{len(groups)} roles up to date: {', '.join(group.name for group in groups)}")
