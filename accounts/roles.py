"""Roles as data: accounts/data/roles.yaml is the one place that says what each role may do."""

from pathlib import Path
from typing import Any

import yaml
from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.models import Role

ROLES_FILE = Path(__file__).resolve().parent / "data" / "roles.yaml"


def role_definitions() -> list[dict[str, Any]]:
    with ROLES_FILE.open(encoding="utf-8") as handle:
        definitions = yaml.safe_load(handle)["roles"]
    unknown = {definition["name"] for definition in definitions} - set(Role.values)
    if unknown:
        raise ValueError(f"roles.yaml names roles the code does not know: {sorted(unknown)}")
    return definitions


def _permission(codename: str) -> Permission:
    app_label, _, name = codename.partition(".")
    try:
        return Permission.objects.get(content_type__app_label=app_label, codename=name)
    except Permission.DoesNotExist as error:
        raise ValueError(f"roles.yaml names a permission that does not exist: {codename}") from error


@transaction.atomic
def roles_sync() -> list[Group]:
    """Create each role's group and set its permissions to exactly those in roles.yaml. Idempotent."""
    # Permissions are made after each app's migrations; make sure every app's exist before naming them.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0)
    groups = []
    for definition in role_definitions():
        group, _ = Group.objects.get_or_create(name=definition["name"])
        group.permissions.set([_permission(codename) for codename in definition["permissions"]])
        groups.append(group)
    return groups
