"""Store every e-mail address in its one spelling (accounts.email_address.email_normalise): strip,
NFKC and casefold. Addresses that would become the same are left as they are and logged, for an
administrator to settle; the migration never fails on them."""

import logging
from collections import defaultdict

from django.db import IntegrityError, migrations, transaction

from accounts.email_address import email_normalise

logger = logging.getLogger("accounts.migrations")


def normalise_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    by_spelling = defaultdict(list)
    for pk, email in User.objects.order_by("pk").values_list("pk", "email"):
        by_spelling[email_normalise(email)].append((pk, email))
    for spelling, users in by_spelling.items():
        if len(users) > 1:
            logger.warning(
                "E-mail addresses of users %s all normalise to %r: left as they are for an administrator to settle",
                ", ".join(str(pk) for pk, _ in users),
                spelling,
            )
            continue
        ((pk, email),) = users
        if email == spelling:
            continue
        try:
            with transaction.atomic():
                User.objects.filter(pk=pk).update(email=spelling)
        except IntegrityError:
            logger.warning("E-mail address of user %s not normalised to %r: another account has it", pk, spelling)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_security_email_and_role_changes")]

    operations = [migrations.RunPython(normalise_emails, migrations.RunPython.noop)]
