"""The grants in force of one person or agency as one range of an index (caf.models.caf.GRANT_ENDS_SQL):
a social care team held some 97,000 grants at county size, 1,700 of them in force, and every list
read them all. A plain CREATE INDEX (about a second each at county size, holding off writes to the
grant tables meanwhile): CONCURRENTLY cannot run inside a transaction, and the migration tests step
back through this one inside one."""

from django.conf import settings
from django.db import migrations, models

import caf.models.caf


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("caf", "0012_caf_list_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="cafgroupobjectpermission",
            index=models.Index(
                models.F("group"),
                models.F("permission"),
                caf.models.caf.GrantEnds("valid_until"),
                models.F("content_object"),
                name="caf_group_grant_live",
            ),
        ),
        migrations.AddIndex(
            model_name="cafuserobjectpermission",
            index=models.Index(
                models.F("user"),
                models.F("permission"),
                caf.models.caf.GrantEnds("valid_until"),
                models.F("content_object"),
                name="caf_user_grant_live",
            ),
        ),
    ]
