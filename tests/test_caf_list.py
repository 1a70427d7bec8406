"""The CAF list: what each person may see, filtered and paged in the database."""

import re

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
    refused = client.get("/cafs/?status=nonsense")  # an unknown filter says so, and shows everything
    assert refused.status_code == 200
    assert "Choose a status from the list" in refused.content.decode()
    assert f'href="/cafs/{other.pk}/"' in refused.content.decode()


def test_search_by_a_childs_name_or_the_reference_and_filters_kept_in_the_address(
    active, caf_admin, school_practitioner, health_visitor, health_visiting, locality, signed_in
):
    """The CAF administrator's list of a whole council: a child's name (part of it, any case), a
    CAF's reference, the lead professional's agency's locality, "no lead professional yet", the
    level and an agency on the team; each page link keeps the filters."""
    others = start_cafs(school_practitioner, 2)
    services.caf_register(user=caf_admin, caf=active, reference="NB-2026-0042")
    client = signed_in(caf_admin)

    def listed(**query) -> set[int]:
        page = client.get("/cafs/", query).content.decode()
        return {int(pk) for pk in re.findall(r'href="/cafs/(\d+)/"', page)}

    jayden = active.children.get()
    assert listed(words=jayden.first_name[:3].lower()) == {active.pk}
    assert listed(words="example child1") == {others[1].pk}
    assert listed(words="nb-2026-0042") == {active.pk}
    assert listed(status="draft") == {caf.pk for caf in others}
    assert listed(lead="none") == {active.pk}  # active, and nobody logged yet
    level = active.caf_children.get().level
    assert listed(level=level.order) == {active.pk}
    services.taf_member_add(user=school_practitioner, caf=active, member=health_visitor)
    services.lead_professional_assign(user=caf_admin, caf=active, lead=health_visitor)
    health_visiting.locality = locality
    health_visiting.save()
    assert listed(locality=locality.pk) == {active.pk}
    assert listed(lead="none") == set()
    assert listed(agency=health_visiting.pk) == {active.pk}
    assert listed(agency=health_visiting.pk, status="closed") == set()

    page = client.get("/cafs/", {"words": "example", "status": "draft"}).content.decode()
    assert 'value="example"' in page and "2 CAFs" in page  # the count, and the search kept in its field
    assert 'id="clear-filters"' in page


def test_the_filters_are_the_councils_own(active, caf_admin, other_council_user, signed_in):
    from accounts.models import Agency

    elsewhere = Agency.objects.filter(council=other_council_user.council).first()
    page = signed_in(caf_admin).get("/cafs/", {"agency": elsewhere.pk}).content.decode()
    assert "Choose an agency from the list" in page
    assert elsewhere.name not in page.split('id="filters"')[1].split("</details>")[0]


@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_a_fixed_number_of_queries(
    count, school_practitioner, council_model, signed_in, django_assert_max_num_queries
):
    start_cafs(school_practitioner, count)
    client = signed_in(school_practitioner)
    # The filter form's choices are the council's own: its levels, localities and agencies (three).
    with django_assert_max_num_queries(17):
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
