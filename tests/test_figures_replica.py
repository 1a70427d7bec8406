"""The council's figures are read from the read replica (DATABASE_FIGURES_URL, core/db_routers.py);
everything else, and every write, stays on the primary.

Against a real second database: `make test` (config/devserver.py) points DATABASE_FIGURES_URL at the
same server, the database's name with `_figures`, and pytest-django makes and migrates its test
database for the tests here, which ask for it. Replication is done by hand: `replicate` copies rows
from default into it, so a test decides what has reached the replica and what has not, as lag would.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import time_machine
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet
from django.test.utils import CaptureQueriesContext

from accounts.models import LocalAuthority, Locality, User
from config.devserver import figures_database_url
from core.db_routers import FIGURES_DB_ALIAS, figures_database, figures_reads
from referrals import services as rs
from referrals.models import StepDown
from tests.test_health import BASE_DIR, current_test_database_url
from tests.test_step_down_views import child_of, figure_rows, front_door_step_down, referral_sent

FIGURES_CONFIGURED = FIGURES_DB_ALIAS in settings.DATABASES
pytestmark = pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS, FIGURES_DB_ALIAS] if FIGURES_CONFIGURED else None)


@pytest.fixture
def figures_database_configured() -> None:
    """`make test` always configures it; a bare `pytest` without DATABASE_FIGURES_URL skips these
    tests, saying why, except under CI, where they fail."""
    if not FIGURES_CONFIGURED:
        message = "these tests need DATABASE_FIGURES_URL (make test sets it to a second test database)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def replicate(queryset: QuerySet) -> None:
    """What replication does, for these rows only: the same rows, by primary key, in the figures
    database, inserted or brought up to date. A real replica holds every row; this one gets only what a
    test copies, so the rows they point at (a step-down's council, referral and people) are not there,
    and their foreign keys are not checked: `session_replication_role = replica`, PostgreSQL's setting
    for applying replicated rows, under which foreign-key triggers do not fire, for this test's
    transaction only."""
    model: type[Model] = queryset.model
    rows = list(queryset.using(DEFAULT_DB_ALIAS))
    with connections[FIGURES_DB_ALIAS].cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    model._default_manager.using(FIGURES_DB_ALIAS).bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=[model._meta.pk.name],
        update_fields=[field.name for field in model._meta.concrete_fields if not field.primary_key],
    )


def on(alias: str, queryset: QuerySet) -> int:
    return queryset.using(alias).count()


FIGURES_PAGE = "/step-downs/figures/"


# The figures page ---------------------------------------------------------------------------------


def test_the_figures_page_counts_the_step_downs_that_have_reached_the_replica(
    figures_database_configured,
    school_practitioner,
    health_visitor,
    health_visiting,
    social_care_manager,
    caf_admin,
    signed_in,
):
    with time_machine.travel("2026-11-10 10:00 +00:00", tick=False):
        mia = front_door_step_down(
            social_care_manager, referral_sent(health_visitor, [child_of(school_practitioner, "Mia")]), health_visiting
        )
        leo = front_door_step_down(
            social_care_manager, referral_sent(health_visitor, [child_of(school_practitioner, "Leo")]), health_visiting
        )
        manager = signed_in(social_care_manager)

        # Sent on the primary a moment ago, not yet on the replica: the figures do not count them yet.
        assert (on(DEFAULT_DB_ALIAS, StepDown.objects.all()), on(FIGURES_DB_ALIAS, StepDown.objects.all())) == (2, 0)
        # Front door, after assessment, Child in Need closure, total, picked up, declined, still waiting.
        assert figure_rows(manager.get(FIGURES_PAGE))[0] == ("November 2026", [0, 0, 0, 0, 0, 0, 0])

        replicate(StepDown.objects.filter(pk=mia.pk))
        assert figure_rows(manager.get(FIGURES_PAGE))[0] == ("November 2026", [1, 0, 0, 1, 0, 0, 1])

        replicate(StepDown.objects.filter(pk=leo.pk))
        assert figure_rows(manager.get(FIGURES_PAGE))[0] == ("November 2026", [2, 0, 0, 2, 0, 0, 2])

        # A decline on the primary shows once it has reached the replica, and the CAF administrator's
        # page counts the same.
        rs.step_down_decline(user=caf_admin, step_down=mia, reason="They moved in with grandparents.")
        assert figure_rows(manager.get(FIGURES_PAGE))[0] == ("November 2026", [2, 0, 0, 2, 0, 0, 2])
        replicate(StepDown.objects.filter(pk=mia.pk))
        assert figure_rows(manager.get(FIGURES_PAGE))[0] == ("November 2026", [2, 0, 0, 2, 0, 1, 1])
        assert figure_rows(signed_in(caf_admin).get(FIGURES_PAGE))[0] == ("November 2026", [2, 0, 0, 2, 0, 1, 1])


def test_only_the_counts_are_read_from_the_replica_and_who_may_see_them_from_the_primary(
    figures_database_configured, school_practitioner, social_care_manager, signed_in
):
    # The replica holds no people at all: the signed-in user, their roles and their council can only
    # come from the primary.
    assert not User.objects.using(FIGURES_DB_ALIAS).exists()
    manager, practitioner = signed_in(social_care_manager), signed_in(school_practitioner)

    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
        CaptureQueriesContext(connections[FIGURES_DB_ALIAS]) as on_figures,
    ):
        response = manager.get(FIGURES_PAGE)
    assert response.status_code == 200
    assert len(on_figures) == 1 and '"referrals_stepdown"' in on_figures[0]["sql"]
    default_sql = [query["sql"] for query in on_default]
    assert any('FROM "accounts_user"' in sql for sql in default_sql)
    assert any('"auth_group"' in sql for sql in default_sql)
    assert not any('"referrals_stepdown"' in sql for sql in default_sql)

    # Someone who may not see the figures is refused (the page is not found for them, as for any
    # other page they may not see) by the check on the primary, before the replica is asked anything.
    with CaptureQueriesContext(connections[FIGURES_DB_ALIAS]) as on_figures:
        refused = practitioner.get(FIGURES_PAGE)
    assert refused.status_code == 404
    assert len(on_figures) == 0


# Reads and writes around figures_reads() ---------------------------------------------------------


def test_reads_go_to_the_replica_only_inside_figures_reads(figures_database_configured, council):
    coastal = Locality.objects.create(council=council, name="Coastal")
    assert figures_database() == FIGURES_DB_ALIAS

    assert Locality.objects.filter(pk=coastal.pk).exists()  # from the primary
    with figures_reads():
        assert not Locality.objects.filter(pk=coastal.pk).exists()  # the replica has not got it yet
        assert Locality.objects.all().db == FIGURES_DB_ALIAS
    assert Locality.objects.filter(pk=coastal.pk).exists()  # the primary again once the block ends
    assert Locality.objects.all().db == DEFAULT_DB_ALIAS

    # The block ends even when it raises.
    with pytest.raises(LookupError), figures_reads():
        raise LookupError
    assert Locality.objects.all().db == DEFAULT_DB_ALIAS

    # An object read from the replica pulls its related rows from the primary once the block ends:
    # here its council, which the replica does not hold.
    replicate(Locality.objects.filter(pk=coastal.pk))
    with figures_reads():
        from_replica = Locality.objects.get(pk=coastal.pk)
    assert from_replica._state.db == FIGURES_DB_ALIAS
    assert not LocalAuthority.objects.using(FIGURES_DB_ALIAS).filter(pk=council.pk).exists()
    assert from_replica.council.name == "Northbridge Borough Council"


def test_a_write_inside_figures_reads_goes_to_the_primary(figures_database_configured, council):
    with figures_reads():
        coastal = Locality.objects.create(council=council, name="Coastal")
        # Written to the primary, so not yet readable here, where reads come from the replica.
        assert not Locality.objects.filter(pk=coastal.pk).exists()
    assert coastal._state.db == DEFAULT_DB_ALIAS
    assert on(DEFAULT_DB_ALIAS, Locality.objects.filter(name="Coastal")) == 1
    assert on(FIGURES_DB_ALIAS, Locality.objects.filter(name="Coastal")) == 0

    # An object read from the replica is saved to the primary, and may point at, or be pointed at by,
    # objects of the primary.
    replicate(LocalAuthority.objects.filter(pk=council.pk))
    replicate(Locality.objects.filter(pk=coastal.pk))
    with figures_reads():
        from_replica = Locality.objects.get(pk=coastal.pk)
        council_from_replica = LocalAuthority.objects.get(pk=council.pk)
        assert (from_replica._state.db, council_from_replica._state.db) == (FIGURES_DB_ALIAS, FIGURES_DB_ALIAS)
        from_replica.name = "Coastal and Marsh"
        from_replica.save()
        inland = Locality.objects.create(council=council_from_replica, name="Inland")
    assert from_replica._state.db == DEFAULT_DB_ALIAS
    assert Locality.objects.using(DEFAULT_DB_ALIAS).get(pk=coastal.pk).name == "Coastal and Marsh"
    assert Locality.objects.using(FIGURES_DB_ALIAS).get(pk=coastal.pk).name == "Coastal"
    assert inland._state.db == DEFAULT_DB_ALIAS
    assert on(DEFAULT_DB_ALIAS, Locality.objects.filter(pk=inland.pk)) == 1
    assert on(FIGURES_DB_ALIAS, Locality.objects.filter(pk=inland.pk)) == 0


# The figures database itself, and a council without one ---------------------------------------------


def test_the_figures_database_is_a_second_migrated_database(figures_database_configured):
    names = {}
    for alias in (DEFAULT_DB_ALIAS, FIGURES_DB_ALIAS):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT current_database()")
            names[alias] = cursor.fetchone()[0]
    assert names[FIGURES_DB_ALIAS] != names[DEFAULT_DB_ALIAS]
    assert names[FIGURES_DB_ALIAS].startswith("test_")
    assert on(FIGURES_DB_ALIAS, StepDown.objects.all()) == 0  # migrated: the tables are there


def test_make_test_puts_the_figures_database_beside_the_test_database():
    assert figures_database_url("postgres://postgres@127.0.0.1:5432/caf") == (
        "postgres://postgres@127.0.0.1:5432/caf_figures"
    )
    # The embedded PostgreSQL's socket folder, and any options, are kept.
    assert figures_database_url("postgres://postgres@%2Ftmp%2Fpg:5432/caf?sslmode=disable") == (
        "postgres://postgres@%2Ftmp%2Fpg:5432/caf_figures?sslmode=disable"
    )


WITHOUT_FIGURES = """
import django, json
django.setup()
from django.db import connections, router
from core.db_routers import figures_database, figures_reads
from referrals.models import StepDown
with figures_reads():
    queryset = StepDown.objects.all()
    print(json.dumps({
        "aliases": sorted(connections.databases),
        "figures_from": figures_database(),
        "read_from": router.db_for_read(StepDown),
        "step_downs": queryset.count(),
        "database": connections[queryset.db].settings_dict["NAME"],
    }))
"""


def test_without_a_figures_database_figures_are_read_from_the_primary():
    # A fresh process whose settings have no DATABASE_FIGURES_URL, as at a council without a replica:
    # inside figures_reads() it reads, for real, from the test database through default.
    environment = {name: value for name, value in os.environ.items() if name != "DATABASE_FIGURES_URL"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=current_test_database_url())
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_FIGURES],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {
        "aliases": [DEFAULT_DB_ALIAS],
        "figures_from": DEFAULT_DB_ALIAS,
        "read_from": DEFAULT_DB_ALIAS,
        "step_downs": 0,
        "database": connections[DEFAULT_DB_ALIAS].settings_dict["NAME"],
    }
    assert re.fullmatch(r"test_\w+", answer["database"])


def test_the_councils_figures_are_read_from_the_replica_after_the_check_on_the_primary(
    figures_database_configured, school_practitioner, caf_admin, signed_in
):
    with (
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
        CaptureQueriesContext(connections[FIGURES_DB_ALIAS]) as on_figures,
    ):
        response = signed_in(caf_admin).get("/figures/")
        refused = signed_in(school_practitioner).get("/figures/")

    assert (response.status_code, refused.status_code) == (200, 403)
    # Each figure's aggregate queries (13: families whose level came down by closure and the council's
    # social care return are two more), all on the replica and none for the refusal; the person, their
    # roles and the form's choices on the primary.
    assert len(on_figures) == 13
    assert all(query["sql"].startswith("SELECT") for query in on_figures)
    default_sql = [query["sql"] for query in on_default]
    assert any('"auth_group"' in sql for sql in default_sql)
    assert any('FROM "accounts_locality"' in sql for sql in default_sql)
    assert not any('"caf_caf"' in sql or '"referrals_referral"' in sql for sql in default_sql)
