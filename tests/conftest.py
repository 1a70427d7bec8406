"""Named councils and users per role, as DESIGN.md's people. Every test gets fresh rows."""

import os
from collections.abc import Iterator
from datetime import date

import pytest
import redis
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

from accounts.models import AgencyType, Role, User
from accounts.roles import roles_sync
from caf import services
from core.db_routers import FIGURES_DB_ALIAS
from tests.caf_helpers import complete, consent
from tests.factories import AgencyFactory, LocalAuthorityFactory, LocalityFactory, UserFactory

# Hypothesis: no per-example deadline (CI machines vary); the same examples every run under CI.
hypothesis_settings.register_profile("default", deadline=None, max_examples=150)
hypothesis_settings.register_profile("ci", deadline=None, max_examples=150, derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    # Real hashing, just a cheap algorithm: production's PBKDF2 costs ~0.3 s per sign-in.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def home_queues_kept_afresh() -> None:
    """Each test starts with no home queues kept from another (home.ready): a test's rows are rolled
    back, but a web process's memory is not."""
    from home.ready import forget_all

    forget_all()


@pytest.fixture(autouse=True)
def figures_from_default_unless_asked(request, settings) -> None:
    """`make test` configures the figures database (a second database standing in for the read
    replica), but only the tests that ask for it (`databases=["default", "figures"]`,
    tests/test_figures_replica.py) read figures from there. Every other test runs without the router
    (core/db_routers.py), so it reads its figures from default as a council without a replica does,
    and never queries a database it did not ask for (which Django refuses)."""
    if FIGURES_DB_ALIAS not in settings.DATABASES:
        return
    marker = request.node.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker else None
    if databases != "__all__" and FIGURES_DB_ALIAS not in (databases or ()):
        settings.DATABASE_ROUTERS = []


ROLE_NAMES = [role.value for role in Role]


@pytest.fixture(scope="session", autouse=True)
def roles_once(django_db_setup: None, django_db_blocker) -> Iterator[None]:
    """The roles, made once per run in the test database (about 60 queries), never assumed from migrate.

    At the end of the run, before the test database is dropped, any session still open on it is
    ended: a live server's request thread that the browser tests' Playwright ran beside can leave
    one idle, and PostgreSQL refuses to drop a database in use. Only here: mid-run, Django's own
    connection lives in more than one context (Playwright's greenlets), so no test can tell which
    idle session is a stray."""
    with django_db_blocker.unblock():
        roles_sync()
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture(autouse=True)
def roles(db: None, roles_once: None) -> None:
    # A transaction=True test flushes every table; pytest-django runs those last, and each makes the
    # roles again. Every other test finds them (one query).
    if Group.objects.filter(name__in=ROLE_NAMES).count() != len(ROLE_NAMES):
        roles_sync()


@pytest.fixture
def council():
    return LocalAuthorityFactory(name="Northbridge Borough Council", slug="northbridge")


@pytest.fixture
def other_council():
    return LocalAuthorityFactory(name="Southmoor District Council", slug="southmoor")


@pytest.fixture
def locality(council):
    return LocalityFactory(council=council, name="North")


@pytest.fixture
def school(council, locality):
    return AgencyFactory(
        council=council, locality=locality, name="Oakfield Primary School", agency_type=AgencyType.SCHOOL
    )


@pytest.fixture
def early_help_hub(council):
    return AgencyFactory(council=council, name="Early Help Hub", agency_type=AgencyType.EARLY_HELP)


@pytest.fixture
def social_care(council):
    return AgencyFactory(council=council, name="Children's Social Care", agency_type=AgencyType.CHILDRENS_SOCIAL_CARE)


@pytest.fixture
def other_council_school(other_council):
    return AgencyFactory(council=other_council, name="Southmoor High School", agency_type=AgencyType.SCHOOL)


@pytest.fixture
def school_practitioner(school) -> User:
    return UserFactory(email="priya@oakfield.example", full_name="Priya Shah", agency=school, roles=[Role.PRACTITIONER])


@pytest.fixture
def caf_admin(early_help_hub) -> User:
    return UserFactory(
        email="colin@earlyhelp.example",
        full_name="Colin Adeyemi",
        agency=early_help_hub,
        roles=[Role.CAF_ADMINISTRATOR],
    )


@pytest.fixture
def social_care_manager(social_care) -> User:
    return UserFactory(
        email="sarah@socialcare.example",
        full_name="Sarah Mitchell",
        agency=social_care,
        roles=[Role.SOCIAL_CARE_MANAGER],
    )


@pytest.fixture
def social_worker(social_care) -> User:
    return UserFactory(
        email="sam@socialcare.example", full_name="Sam Whitfield", agency=social_care, roles=[Role.SOCIAL_WORKER]
    )


@pytest.fixture
def council_admin(early_help_hub) -> User:
    return UserFactory(
        email="chris@earlyhelp.example",
        full_name="Chris Patel",
        agency=early_help_hub,
        roles=[Role.COUNCIL_ADMINISTRATOR],
    )


@pytest.fixture
def other_council_admin(other_council_school) -> User:
    return UserFactory(
        email="admin@southmoor.example",
        full_name="Southmoor Admin",
        agency=other_council_school,
        roles=[Role.COUNCIL_ADMINISTRATOR],
    )


@pytest.fixture
def other_council_user(other_council_school) -> User:
    return UserFactory(
        email="olivia@southmoor.example",
        full_name="Olivia Brennan",
        agency=other_council_school,
        roles=[Role.PRACTITIONER],
    )


@pytest.fixture
def signed_in():
    """signed_in(user) -> a test client with that user signed in. The sign-in page itself is tested in
    tests/test_sign_in.py and its neighbours; everywhere else the session is made directly."""

    def sign_in(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture
def redis_url() -> str:
    """A real Redis. Locally the tests that need one skip with the reason; under CI they fail."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        message = f"this test needs a real Redis broker at {url} and none answers ({error})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def reference_models(db) -> dict:
    """The six councils' published threshold models from the source documents, by council slug. Only
    for a test that needs them all (a list of every council's model, the loader itself): a test that
    needs one council's model asks `reference_model` for it."""
    from thresholds.services import reference_models_load

    return {model.council.slug: model for model in reference_models_load()}


@pytest.fixture
def reference_model(db):
    """reference_model(slug) -> that council's published model from the source documents, loaded
    alone (about a third of the time `reference_models` takes; asking again returns the same model)."""
    from thresholds.services import reference_models_load

    def load(slug: str):
        (model,) = reference_models_load(only=[slug])
        return model

    return load


@pytest.fixture
def council_model(council, reference_model):
    """Northbridge's (the `council` fixture's) published model: a copy of Leicestershire's, the only
    reference model it loads."""
    from thresholds.services import threshold_model_draft_start, threshold_model_publish

    draft = threshold_model_draft_start(user=None, council=council, copy_from=reference_model("leicestershire"))
    return threshold_model_publish(user=None, threshold_model=draft)


# CAFs -------------------------------------------------------------------------------------------


@pytest.fixture
def health_visiting(council):
    return AgencyFactory(council=council, name="Health Visiting North", agency_type=AgencyType.HEALTH_VISITING)


@pytest.fixture
def police(council):
    return AgencyFactory(council=council, name="Neighbourhood Policing", agency_type=AgencyType.POLICE)


@pytest.fixture
def health_visitor(health_visiting):
    return UserFactory(full_name="Hannah Okoro", agency=health_visiting, roles=[Role.PRACTITIONER])


@pytest.fixture
def health_colleague(health_visiting):
    return UserFactory(full_name="Harriet Colleague", agency=health_visiting, roles=[Role.PRACTITIONER])


@pytest.fixture
def police_officer(police):
    return UserFactory(full_name="Pat Officer", agency=police, roles=[Role.PRACTITIONER])


@pytest.fixture
def school_colleague(school):
    return UserFactory(full_name="Sam Teacher", agency=school, roles=[Role.PRACTITIONER])


@pytest.fixture
def child(school_practitioner):
    return services.child_create(
        user=school_practitioner,
        first_name="Jayden",
        last_name="Smith",
        date_of_birth=date(2016, 5, 4),
        postcode="nb1 2ab",
    )


@pytest.fixture
def draft(school_practitioner, child, council_model):
    return services.caf_start(user=school_practitioner, children=[child])


@pytest.fixture
def active(draft, school_practitioner, health_visiting):
    consent(draft, school_practitioner, health_visiting)
    complete(draft, school_practitioner)
    return services.caf_submit(user=school_practitioner, caf=draft)
