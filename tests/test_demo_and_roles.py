from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from accounts.models import Agency, LocalAuthority, Locality, Role, User
from accounts.roles import role_definitions, roles_sync
from home.demo import DEMO_PASSWORD, DEMO_USERS


def counts() -> dict[str, int]:
    return {
        "councils": LocalAuthority.objects.count(),
        "localities": Locality.objects.count(),
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "groups": Group.objects.count(),
        "memberships": User.groups.through.objects.count(),
    }


def test_load_demo_runs_twice_without_duplicates(db, capsys):
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert first["agencies"] >= 12
    assert first["localities"] >= 3
    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    assert "caf.admin@demo.example" in output


def test_the_demo_has_one_user_per_role_who_can_sign_in(db, client):
    call_command("load_demo")
    for role in Role:
        assert User.objects.filter(groups__name=role).exists(), role
    for demo_user in DEMO_USERS:
        user = User.objects.get(email=demo_user.email)
        assert user.check_password(DEMO_PASSWORD)
        assert user.has_role(demo_user.role)
    assert User.objects.get(email="council.admin@demo.example").is_staff
    response = client.post("/sign-in/", {"username": "caf.admin@demo.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302


def test_load_demo_keeps_a_changed_password(db):
    call_command("load_demo")
    user = User.objects.get(email="practitioner@demo.example")
    user.set_password("my-own-new-password")
    user.save()
    call_command("load_demo")
    user.refresh_from_db()
    assert user.check_password("my-own-new-password")


def test_the_demo_councils_keep_apart(db):
    call_command("load_demo")
    practitioner = User.objects.get(email="practitioner@demo.example")
    other = User.objects.get(email="other.council@demo.example")
    assert practitioner.council != other.council
    assert not Agency.objects.for_user(practitioner).filter(council=other.council).exists()


def test_roles_sync_sets_exactly_the_permissions_in_the_data_file(db):
    group = Group.objects.get(name=Role.PRACTITIONER)
    group.permissions.add(Permission.objects.get(codename="delete_agency"))
    roles_sync()
    roles_sync()
    assert Group.objects.filter(name__in=Role.values).count() == len(Role)
    assert not group.permissions.filter(codename="delete_agency").exists()
    council_admin = Group.objects.get(name=Role.COUNCIL_ADMINISTRATOR)
    expected = next(d["permissions"] for d in role_definitions() if d["name"] == Role.COUNCIL_ADMINISTRATOR)
    actual = {f"{p.content_type.app_label}.{p.codename}" for p in council_admin.permissions.all()}
    assert actual == set(expected)


def test_no_role_may_delete_people_or_agencies(db):
    for definition in role_definitions():
        assert not [p for p in definition["permissions"] if ".delete_" in p], definition["name"]
