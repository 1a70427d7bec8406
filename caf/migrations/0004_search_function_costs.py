"""Tell the planner that the name-matching functions are expensive, so that find-before-create
reads the trigram and sound indexes instead of computing every child's codes (measured with
`make bench`: 190 ms to under 40 ms at 20,000 children). Where the database user may not alter the
extension's functions (a trusted extension installed by a non-superuser), the search still works,
only slower: the migration says so and goes on."""

from django.db import migrations

SQL = """
DO $$
BEGIN
    ALTER FUNCTION dmetaphone(text) COST 1000;
    ALTER FUNCTION similarity_op(text, text) COST 1000;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'Could not set the cost of dmetaphone and similarity_op: find-before-create will be slower';
END
$$;
"""

REVERSE = """
DO $$
BEGIN
    ALTER FUNCTION dmetaphone(text) COST 1;
    ALTER FUNCTION similarity_op(text, text) COST 1;
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("caf", "0003_name_sound_indexes")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
