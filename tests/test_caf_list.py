"""The CAF list: what each person may see, filtered and paged in the database."""

import pytest

from caf import services
from caf.models import Caf
from tests.factories import UserFactory


def start_cafs(user, count):
    cafs = []
    for number in range(count):
        child = services.child_create(
            user=user, first_name=f"Child{number}", last_name="Example", date_of_birth="2015-01-01"
        )
        cafs.append(services.caf_start(user=user, children=[child]))
    return cafs


def test_a_practitioner_sees_their_cafs_and_not_others(draft, school_practitioner, health_visitor, signed_in):
    theirs = start_cafs(health_visitor, 1)[0]
    page = signed_in(school_practitioner).get("/cafs/").content.decode()
    assert f'href="/cafs/{draft.pk}/"' in page
    assert f'href="/cafs/{theirs.pk}/"' not in page


def test_the_caf_administrator_sees_every_caf_of_the_council_only(
    draft, health_visitor, caf_admin, signed_in, other_council_user, reference_model
):
    from thresholds.services import threshold_model_draft_start, threshold_model_publish

    theirs = start_cafs(health_visitor, 1)[0]
    threshold_model_publish(
        user=None,
        threshold_model=threshold_model_draft_start(
            user=None, council=other_council_user.council, copy_from=reference_model("rutland")
        ),
    )
    elsewhere = start_cafs(other_council_user, 1)[0]
    page = signed_in(caf_admin).get("/cafs/").content.decode()
    assert "Your council's CAFs" in page
    assert f'href="/cafs/{draft.pk}/"' in page and f'href="/cafs/{theirs.pk}/"' in page
    assert f'href="/cafs/{elsewhere.pk}/"' not in page


def test_the_status_filter(active, school_practitioner, signed_in):
    other = services.caf_start(user=school_practitioner, children=[active.children.get()])
    client = signed_in(school_practitioner)
    active_page = client.get("/cafs/?status=active").content.decode()
    assert f'href="/cafs/{active.pk}/"' in active_page and f'href="/cafs/{other.pk}/"' not in active_page
    assert client.get("/cafs/?status=nonsense").status_code == 200  # an unknown filter shows everything


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(
    count, school_practitioner, council_model, signed_in, django_assert_max_num_queries
):
    start_cafs(school_practitioner, count)
    client = signed_in(school_practitioner)
    with django_assert_max_num_queries(14):
        response = client.get("/cafs/")
    assert response.status_code == 200
    assert Caf.objects.count() == count
    assert response.content.decode().count('href="/cafs/') >= min(count, 50)


def test_someone_without_an_agency_sees_no_cafs(draft, client):
    from accounts.models import User

    superuser = User.objects.create_superuser("ops@example.org", "a-long-password-for-ops")
    client.force_login(superuser)
    assert f'href="/cafs/{draft.pk}/"' not in client.get("/cafs/").content.decode()


def test_a_new_colleague_of_the_initiator_sees_the_agencys_cafs(draft, school, signed_in):
    colleague = UserFactory(agency=school)
    assert f'href="/cafs/{draft.pk}/"' in signed_in(colleague).get("/cafs/").content.decode()
