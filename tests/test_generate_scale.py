"""The scale data generator (issue 13): at tiny size its data keeps the services' rules, the same seed
gives the same data, each role's pages work on it, and it refuses a database that holds data."""

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from caf.models import Caf
from home.scale import SCALE_PASSWORD, guard, scale_generate


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """Tiny data, generated once for the module's read-only checks, and emptied after."""
    with django_db_blocker.unblock():
        guard.empty()
        report = scale_generate(size="tiny", seed=13)
        yield report
        guard.empty()


def scalar(sql: str, params: list | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_the_tiny_size_has_the_records_each_page_needs(generated):
    assert generated.counts["caf_caf"] == 250
    assert generated.counts["caf_child"] == 300
    statuses = dict(Caf.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses["closed"] > statuses["active"] > statuses["draft"] > 0
    for role in Role:
        assert User.objects.filter(groups__name=role.value).exists(), role


@pytest.mark.django_db
def test_every_reference_points_at_a_row(generated):
    """The rows were copied without foreign-key triggers: every reference must still hold."""
    dangling = []
    for label in ("accounts", "caf", "referrals"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            for field in model._meta.concrete_fields:
                if not field.is_relation:
                    continue
                target = field.related_model._meta
                missing = scalar(
                    f"SELECT count(*) FROM {model._meta.db_table} t WHERE t.{field.column} IS NOT NULL AND NOT EXISTS "  # noqa: S608
                    f"(SELECT 1 FROM {target.db_table} r WHERE r.{target.pk.column} = t.{field.column})"
                )
                if missing:
                    dangling.append(f"{model._meta.db_table}.{field.column}: {missing}")
    assert dangling == []


@pytest.mark.django_db
def test_every_active_caf_has_a_consent_in_force_for_its_children_covering_its_agencies(generated):
    assert (
        scalar(
            """SELECT count(*) FROM caf_caf c WHERE c.status = 'active' AND NOT EXISTS (
             SELECT 1 FROM caf_consent k WHERE k.caf_id = c.id AND k.withdrawn_on IS NULL AND k.replaced_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM caf_cafchild cc WHERE cc.caf_id = c.id AND NOT EXISTS (
                     SELECT 1 FROM caf_consent_children kc WHERE kc.consent_id = k.id AND kc.child_id = cc.child_id))
               AND NOT EXISTS (SELECT 1 FROM caf_teamaroundfamilymember m WHERE m.caf_id = c.id
                     AND m.left_at IS NULL AND NOT EXISTS (SELECT 1 FROM caf_consent_agencies ka
                       WHERE ka.consent_id = k.id AND ka.agency_id = m.agency_id)))"""
        )
        == 0
    )


@pytest.mark.django_db
def test_at_most_one_current_lead_who_is_a_current_member_and_the_initiator_is_first(generated):
    assert (
        scalar(
            "SELECT count(*) FROM (SELECT caf_id FROM caf_leadprofessionalassignment WHERE ended_at IS NULL "
            "GROUP BY caf_id HAVING count(*) > 1) x"
        )
        == 0
    )
    assert (
        scalar(
            """SELECT count(*) FROM caf_leadprofessionalassignment l WHERE l.ended_at IS NULL AND NOT EXISTS (
             SELECT 1 FROM caf_teamaroundfamilymember m WHERE m.caf_id = l.caf_id AND m.user_id = l.user_id
             AND m.left_at IS NULL)"""
        )
        == 0
    )
    assert (
        scalar(
            "SELECT count(*) FROM caf_leadprofessionalassignment l JOIN caf_caf c ON c.id = l.caf_id "
            "WHERE l.ended_at IS NULL AND c.status <> 'active'"
        )
        == 0
    )
    assert (
        scalar(
            """SELECT count(*) FROM caf_caf c WHERE c.status <> 'draft' AND c.initiated_by_id <> (
             SELECT m.user_id FROM caf_teamaroundfamilymember m WHERE m.caf_id = c.id ORDER BY m.joined_at LIMIT 1)"""
        )
        == 0
    )
    without_lead = "SELECT count(*) FROM caf_caf c WHERE c.status = 'active' AND NOT EXISTS (SELECT 1 FROM caf_leadprofessionalassignment l WHERE l.caf_id = c.id AND l.ended_at IS NULL)"  # noqa: E501
    assert 0 < scalar(without_lead) < Caf.objects.filter(status="active").count()


@pytest.mark.django_db
def test_member_grants_match_current_memberships(generated):
    # Each current member of an open CAF can see it: a member view grant in force.
    assert (
        scalar(
            """SELECT count(*) FROM caf_teamaroundfamilymember m JOIN caf_caf c ON c.id = m.caf_id
           WHERE m.left_at IS NULL AND c.status = 'active' AND NOT EXISTS (
             SELECT 1 FROM caf_cafuserobjectpermission g JOIN auth_permission p ON p.id = g.permission_id
             WHERE g.content_object_id = m.caf_id AND g.user_id = m.user_id AND g.reason = 'member'
             AND p.codename = 'view_caf' AND g.valid_until IS NULL)"""
        )
        == 0
    )
    # ... and each member grant has a current membership; on a closed CAF it ends at closure + 12 months.
    assert (
        scalar(
            """SELECT count(*) FROM caf_cafuserobjectpermission g WHERE g.reason = 'member' AND NOT EXISTS (
             SELECT 1 FROM caf_teamaroundfamilymember m WHERE m.caf_id = g.content_object_id
             AND m.user_id = g.user_id AND m.left_at IS NULL)"""
        )
        == 0
    )
    assert (
        scalar(
            """SELECT count(*) FROM caf_cafuserobjectpermission g JOIN caf_caf c ON c.id = g.content_object_id
           WHERE g.reason = 'member' AND c.status = 'closed'
           AND g.valid_until IS DISTINCT FROM c.closed_at + interval '12 months'"""
        )
        == 0
    )


@pytest.mark.django_db
def test_agencies_involved_are_granted_and_staff_are_in_their_agencys_group(generated):
    assert (
        scalar(
            """SELECT count(*) FROM caf_caf c WHERE c.status = 'active' AND (
             SELECT array_agg(DISTINCT g.group_id ORDER BY g.group_id) FROM caf_cafgroupobjectpermission g
             WHERE g.content_object_id = c.id AND g.reason = 'agency_involved')
           IS DISTINCT FROM (SELECT array_agg(DISTINCT ag.id ORDER BY ag.id) FROM auth_group ag
             WHERE ag.name IN (SELECT 'agency:' || c.initiating_agency_id UNION
               SELECT 'agency:' || m.agency_id FROM caf_teamaroundfamilymember m
               WHERE m.caf_id = c.id AND m.left_at IS NULL))"""
        )
        == 0
    )
    assert (
        scalar(
            """SELECT count(*) FROM accounts_user u WHERE NOT EXISTS (SELECT 1 FROM accounts_user_groups ug
             JOIN auth_group g ON g.id = ug.group_id WHERE ug.user_id = u.id AND g.name = 'agency:' || u.agency_id)"""
        )
        == 0
    )


@pytest.mark.django_db
def test_a_closed_caf_keeps_only_view_grants_ending_after_the_councils_period(generated):
    assert (
        scalar(
            """SELECT count(*) FROM caf_cafuserobjectpermission g JOIN caf_caf c ON c.id = g.content_object_id
           JOIN auth_permission p ON p.id = g.permission_id WHERE c.status = 'closed' AND p.codename <> 'view_caf'"""
        )
        == 0
    )
    for table in ("caf_cafuserobjectpermission", "caf_cafgroupobjectpermission"):
        assert (
            scalar(
                f"""SELECT count(*) FROM {table} g JOIN caf_caf c ON c.id = g.content_object_id
                WHERE c.status = 'closed' AND g.reason <> 'referral'
                AND g.valid_until IS DISTINCT FROM c.closed_at + interval '12 months'"""  # noqa: S608
            )
            == 0
        )


@pytest.mark.django_db
def test_social_care_sees_a_referred_caf_while_the_referral_waits_and_then_only_per_the_rule(generated):
    social_care_agencies = scalar("SELECT count(*) FROM accounts_agency WHERE agency_type = 'childrens_social_care'")
    waiting_with_caf = "SELECT r.caf_id FROM referrals_referral r WHERE r.status = 'sent' AND r.caf_id IS NOT NULL"
    # Each waiting referral's CAF: a referral grant in force for every social care agency.
    assert (
        scalar(
            f"""SELECT count(*) FROM ({waiting_with_caf}) w WHERE (SELECT count(*) FROM caf_cafgroupobjectpermission g
             WHERE g.content_object_id = w.caf_id AND g.reason = 'referral' AND g.valid_until IS NULL) <> %s""",  # noqa: S608
            [social_care_agencies],
        )
        == 0
    )
    assert scalar(f"SELECT count(*) FROM ({waiting_with_caf}) w") > 0  # noqa: S608
    # No referral grant in force unless a referral of the CAF's children waits, or social care took
    # the CAF's own referral on (section 17 or 47) within the council's 45 working days.
    assert (
        scalar(
            """SELECT count(*) FROM caf_cafgroupobjectpermission g WHERE g.reason = 'referral'
           AND (g.valid_until IS NULL OR g.valid_until > now())
           AND NOT EXISTS (SELECT 1 FROM referrals_referral r
             JOIN referrals_referral_children rc ON rc.referral_id = r.id
             JOIN caf_cafchild cc ON cc.child_id = rc.child_id
             WHERE cc.caf_id = g.content_object_id AND r.status = 'sent')
           AND NOT EXISTS (SELECT 1 FROM referrals_referral r WHERE r.caf_id = g.content_object_id
             AND r.decision IN ('child_in_need', 'child_protection') AND r.decided_at > now() - interval '70 days'
             AND g.valid_until <= r.decided_at + interval '70 days')"""
        )
        == 0
    )
    # Every referral grant's CAF was itself attached to a referral that was sent.
    assert (
        scalar(
            """SELECT count(*) FROM caf_cafgroupobjectpermission g WHERE g.reason = 'referral' AND NOT EXISTS (
             SELECT 1 FROM referrals_referral r WHERE r.caf_id = g.content_object_id AND r.sent_at IS NOT NULL)"""
        )
        == 0
    )
    # A decided no-further-action referral's own CAF, with nothing else waiting, is closed to social care.
    assert (
        scalar("SELECT count(*) FROM caf_cafgroupobjectpermission WHERE reason = 'referral' AND valid_until <= now()")
        > 0
    )


CHECKSUM = """SELECT md5(
  (SELECT string_agg(concat_ws(',', id, first_name, last_name, date_of_birth, postcode), ';' ORDER BY id)
   FROM caf_child)
  || (SELECT string_agg(concat_ws(',', id, status, created_at, closed_at, next_review_on, reference), ';' ORDER BY id)
      FROM caf_caf)
  || (SELECT string_agg(concat_ws(',', user_id, permission_id, content_object_id, reason, valid_until), ';'
      ORDER BY content_object_id, user_id, permission_id, reason) FROM caf_cafuserobjectpermission)
  || (SELECT string_agg(concat_ws(',', id, status, decision, sent_at, caf_id), ';' ORDER BY id) FROM referrals_referral)
  || (SELECT count(*)::text || max(at)::text FROM caf_accesslog))"""


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_data_and_another_seed_other_data(generated):
    first = scalar(CHECKSUM)
    guard.empty()
    scale_generate(size="tiny", seed=13)
    assert scalar(CHECKSUM) == first
    guard.empty()
    scale_generate(size="tiny", seed=14)
    assert scalar(CHECKSUM) != first


@pytest.mark.django_db
def test_each_roles_home_page_and_a_practitioners_caf_list_work_on_it(generated, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # as generated
    for role in Role:
        person = User.objects.filter(groups__name=role.value).order_by("pk").first()
        assert person.check_password(SCALE_PASSWORD)
        client = Client()
        client.force_login(person, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(reverse("home")).status_code == 200, role
    busiest = (
        User.objects.filter(groups__name=Role.PRACTITIONER.value, taf_memberships__left_at__isnull=True)
        .annotate(n=Count("taf_memberships"))
        .order_by("-n", "pk")
        .first()
    )
    client = Client()
    client.force_login(busiest, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(reverse("caf:caf_list"))
    assert page.status_code == 200
    own = Caf.objects.filter(taf_members__user=busiest, taf_members__left_at__isnull=True, status="active").first()
    if own is not None and own.reference:
        assert own.reference in page.content.decode()


@pytest.mark.django_db
def test_it_refuses_a_database_that_holds_data_unless_replacing_a_named_one(generated):
    with pytest.raises(CommandError, match="already holds data"):
        call_command("generate_scale", "--size", "tiny")
    with pytest.raises(CommandError, match="need the database's name confirmed"):
        call_command("generate_scale", "--size", "tiny", "--replace", "--confirm-database", "not-this-one")
    with pytest.raises(CommandError, match="already holds generated data"):
        call_command("generate_scale", "--size", "tiny", "--force", "--confirm-database", guard.database_name())
    assert Caf.objects.count() == 250
