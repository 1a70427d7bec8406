"""What generate_scale refuses: writing into a database that already holds people or case records,
unless told to, and then only into the database whose name the user typed.

`--replace` empties the project's tables first (every council's people, children, CAFs, referrals,
access log and threshold models; the roles and threshold models are loaded again); `--force` adds
the generated council beside what is there. Either needs `--confirm-database NAME`, or the name
typed at the prompt.
"""

from django.apps import apps
from django.contrib.auth.models import Group
from django.db import connection, transaction

from accounts.models import LocalAuthority, User
from caf.models import Caf, Child
from home.scale.people import COUNCIL_SLUG
from referrals.models import Referral

EMPTIED_APPS = ("accounts", "caf", "referrals", "thresholds")


class Refused(Exception):
    pass


def database_name() -> str:
    return str(connection.settings_dict["NAME"])


def held() -> dict[str, int]:
    """What the database holds that generating would sit beside: people, children, CAFs, referrals."""
    counts = {
        "people": User.objects.count(),
        "children": Child.objects.count(),
        "CAFs": Caf.objects.count(),
        "referrals": Referral.objects.count(),
    }
    return {name: count for name, count in counts.items() if count}


def check(*, replace: bool, force: bool, confirmed_name: str | None) -> None:
    """Refuse unless the database is empty of people and records, or the user asked to replace or
    add to it and named this database."""
    name = database_name()
    if (replace or force) and confirmed_name != name:
        raise Refused(
            f"--replace and --force need the database's name confirmed: add --confirm-database {name} "
            "(only for a database you can throw away)."
        )
    if replace:
        return
    holding = held()
    if holding and not force:
        listed = ", ".join(f"{count:,} {what}" for what, count in holding.items())
        raise Refused(
            f"The database {name} already holds data ({listed}). Point DATABASE_URL at a throwaway database, "
            f"or add --replace (empties it first) or --force (adds beside it) with --confirm-database {name}."
        )
    if LocalAuthority.objects.filter(slug=COUNCIL_SLUG).exists():
        raise Refused(f"The database {name} already holds generated data: add --replace to generate it again.")


@transaction.atomic
def empty() -> None:
    """Empty the project's tables (ids restart), and the agencies' permission groups."""
    tables = sorted(
        {
            model._meta.db_table
            for label in EMPTIED_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }
    )
    existing = set(connection.introspection.table_names())
    names = ", ".join(table for table in tables if table in existing)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    Group.objects.filter(name__startswith="agency:").delete()
