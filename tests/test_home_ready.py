"""Home queues kept ready (home.ready, issue 13): a council's CAF administrators share one set of
queues, and so do its front-door managers; a change to what they show is on the next page, in this
process at once and in every other once it commits; the family's exclusions are never shared; and
nothing is kept past its minute or across councils."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from caf import services
from caf.models import AccessLog
from home.models import KeptQueues, QueuesVersion
from home.ready import forget_all
from referrals import services as rs
from tests.factories import UserFactory
from tests.test_home_queues import active_caf, child_of, queue
from tests.test_queue_bounds import sent  # a referral sent under the safeguarding override

REGISTER = "New CAFs to register"
AWAITING = "Step-up referrals awaiting a decision"


@pytest.fixture
def second_caf_admin(early_help_hub):
    from accounts.models import Role

    return UserFactory(
        email="dee@earlyhelp.example", full_name="Dee Okafor", agency=early_help_hub, roles=[Role.CAF_ADMINISTRATOR]
    )


@pytest.fixture
def second_manager(social_care):
    from accounts.models import Role

    return UserFactory(
        email="sam@socialcare.example", full_name="Sam Reid", agency=social_care, roles=[Role.SOCIAL_CARE_MANAGER]
    )


def home(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return response, len(queries.captured_queries)


def counted_then_kept(client):
    """The first page counts the queues; the next is shown from what was kept, with fewer queries."""
    _, counted = home(client)
    _, kept = home(client)
    assert kept < counted
    return counted, kept


def labels(response, heading):
    """Who each row of a queue is about: its label up to the CAF's reference or the step-down's point."""
    return [label.split(" (")[0].split(":")[0] for label, *_ in queue(response, heading)]


def test_a_councils_caf_administrators_share_one_set_of_queues(
    school_practitioner, caf_admin, second_caf_admin, council_model, signed_in
):
    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    first, counted = home(signed_in(caf_admin))
    second, kept = home(signed_in(second_caf_admin))

    assert labels(first, REGISTER) == labels(second, REGISTER) == ["Nia Ward"]
    # The second page counts no queue: the council's version, the exclusions check and the page itself.
    assert kept < counted - 5
    # Each page still writes its own access-log row naming the child it showed (Settled question 17).
    rows = AccessLog.objects.filter(what="Viewed the home page", user__in=[caf_admin, second_caf_admin])
    assert sorted(row.child_ids for row in rows) == [[caf.children.get().pk]] * 2


def test_a_change_through_the_services_is_on_the_next_page_and_raises_the_councils_version(
    school_practitioner, caf_admin, second_caf_admin, council_model, signed_in, django_capture_on_commit_callbacks
):
    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    assert labels(home(signed_in(caf_admin))[0], REGISTER) == ["Nia Ward"]
    version_before = QueuesVersion.objects.filter(council=caf.council).values_list("version", flat=True).first() or 0

    with django_capture_on_commit_callbacks(execute=True):
        services.caf_register(user=caf_admin, caf=caf, reference="EH-2026-0001")

    assert labels(home(signed_in(second_caf_admin))[0], REGISTER) == []
    # Once the change committed, every other web process sees the council's version move.
    assert QueuesVersion.objects.get(council=caf.council).version > version_before


def test_a_change_another_process_committed_is_on_the_next_page(
    school_practitioner, caf_admin, council_model, signed_in
):
    from caf.models import Caf

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    client = signed_in(caf_admin)
    assert labels(home(client)[0], REGISTER) == ["Nia Ward"]
    # Another process registered it: this process saw no save, only the council's version move.
    Caf.objects.filter(pk=caf.pk).update(registered_at=timezone.now(), reference="EH-2026-0002")
    QueuesVersion.objects.update_or_create(council=caf.council, defaults={"version": 41})

    assert labels(home(client)[0], REGISTER) == []


def test_an_administrator_the_family_excluded_gets_their_own_queues_never_the_kept_ones(
    school_practitioner, caf_admin, second_caf_admin, council_model, signed_in
):
    kept_from = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    active_caf(school_practitioner, child_of(school_practitioner, "Ola", "Ward"))
    services.exclusion_record(user=caf_admin, caf=kept_from, made_by="Kelly Ward", people=[second_caf_admin])
    assert labels(home(signed_in(caf_admin))[0], REGISTER) == ["Nia Ward", "Ola Ward"]

    excluded, _ = home(signed_in(second_caf_admin))

    assert labels(excluded, REGISTER) == ["Ola Ward"]
    assert "Nia" not in excluded.content.decode()
    assert [str(q.count) for q in excluded.context["sections"][0].queues if q.heading == REGISTER] == ["1"]
    # And the other administrator's kept queues are still theirs, unchanged by the excluded one's page.
    assert labels(home(signed_in(caf_admin))[0], REGISTER) == ["Nia Ward", "Ola Ward"]


def test_an_agency_a_step_down_excludes_gets_its_own_queues(
    child, health_visitor, health_visiting, social_care_manager, caf_admin, council_model, signed_in
):
    from referrals.models import StepDown
    from tests.test_step_down_views import front_door_step_down, referral_sent

    waiting = front_door_step_down(social_care_manager, referral_sent(health_visitor, [child]), health_visiting)
    assert labels(home(signed_in(caf_admin))[0], "Step-downs from social care to pick up") == [str(child)]
    # The family asked at the step-down that the health visitors do not see it: an administrator of
    # that agency gets their own queues (without it), never the other administrator's kept ones.
    StepDown.excluded_agencies.through.objects.create(stepdown=waiting, agency=health_visiting)
    in_health = UserFactory(email="hv.admin@health.example", agency=health_visiting, roles=[Role.CAF_ADMINISTRATOR])

    response, _ = home(signed_in(in_health))

    assert labels(response, "Step-downs from social care to pick up") == []
    assert labels(home(signed_in(caf_admin))[0], "Step-downs from social care to pick up") == [str(child)]


def test_front_door_managers_share_the_queues_and_see_a_claim_at_once(
    school_practitioner, social_care_manager, second_manager, council_model, signed_in
):
    referral = sent(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    first, counted = home(signed_in(social_care_manager))
    assert "not claimed" in queue(first, AWAITING)[0][0]
    second, kept = home(signed_in(second_manager))
    assert queue(second, AWAITING) == queue(first, AWAITING) and kept < counted

    rs.referral_claim(user=social_care_manager, referral=referral)

    assert "claimed by Sarah Mitchell" in queue(home(signed_in(second_manager))[0], AWAITING)[0][0]


def test_nothing_is_kept_past_its_day_or_shown_to_another_council(
    school_practitioner, caf_admin, other_council_admin, council_model, signed_in
):
    active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    client = signed_in(caf_admin)
    counted, kept = counted_then_kept(client)
    # The CAF administrators' deadlines and overdue reviews are in days: kept through the day...
    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=5)):
        assert home(client)[1] == kept
    # ...and counted again the next (a review is overdue from the day after its date).
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert home(signed_in(caf_admin))[1] == counted  # signed in again: a day ends any session

    elsewhere = UserFactory(
        email="ed@elsewhere.example", agency=other_council_admin.agency, roles=[Role.CAF_ADMINISTRATOR]
    )
    response, _ = home(signed_in(elsewhere))
    assert labels(response, REGISTER) == []
    assert "Nia" not in response.content.decode()


def test_the_front_door_queues_are_kept_for_a_minute_and_name_a_renamed_agency(
    school_practitioner, social_care_manager, council_model, signed_in
):
    sent(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    client = signed_in(social_care_manager)
    counted, _ = counted_then_kept(client)
    # A decision's deadline is in hours and minutes: its words are counted again each minute.
    with time_machine.travel(timezone.now() + timedelta(minutes=1, seconds=5)):
        assert home(client)[1] == counted
    # The referring agency's new name is in the queue's label at once.
    agency = school_practitioner.agency
    agency.name = "Northbridge Academy"
    agency.save()
    assert "(Northbridge Academy)" in queue(home(client)[0], AWAITING)[0][0]


def test_forget_all_drops_what_was_kept(school_practitioner, caf_admin, council_model, signed_in):
    active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    client = signed_in(caf_admin)
    _, counted = home(client)
    forget_all()
    assert home(client)[1] == counted


def test_a_bulk_change_the_services_announce_is_on_the_next_page_and_empties_the_table(
    school_practitioner, caf_admin, council_model, signed_in
):
    from caf.models import Child
    from core.signals import queues_changed

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    client = signed_in(caf_admin)
    committed(caf.council_id)
    assert labels(home(client)[0], REGISTER) == ["Nia Ward"]
    assert "Nia Ward" in KeptQueues.objects.get(council_id=caf.council_id).html
    # The nightly anonymisation changes names by a bulk update (no model save) and says so.
    Child.objects.filter(cafs=caf).update(first_name="Anonymised", last_name="Child")
    queues_changed.send(sender=Child, council_id=caf.council_id)

    # What the table kept of the council, names included, went with it.
    assert not KeptQueues.objects.filter(council_id=caf.council_id).exists()
    assert labels(home(client)[0], REGISTER) == ["Anonymised Child"]


def test_a_save_of_a_row_read_on_its_own_finds_its_council(school_practitioner, caf_admin, council_model, signed_in):
    from caf.models import LeadProfessionalAssignment

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=school_practitioner)
    client = signed_in(caf_admin)
    assert labels(home(client)[0], "CAFs without a lead professional") == []
    # Read without its CAF (as a job might), ended and saved: the queues' council is looked up.
    assignment = LeadProfessionalAssignment.objects.get(caf=caf)
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])

    assert labels(home(client)[0], "CAFs without a lead professional") == ["Nia Ward"]


def test_saving_the_assessments_text_keeps_the_queues_but_a_review_date_does_not(
    school_practitioner, caf_admin, council_model, signed_in
):
    from datetime import date

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    services.lead_professional_assign(user=caf_admin, caf=caf, lead=school_practitioner)
    client = signed_in(caf_admin)
    _, counted = home(client)
    sub_domain_id = caf.threshold_model.indicators.first().sub_domain_id
    # The lead professional writes the assessment (saved often): nothing any queue shows.
    services.assessment_save(user=school_practitioner, caf=caf, entries={sub_domain_id: ("Kind", "Often late")})
    _, after_typing = home(client)
    assert after_typing < counted
    # A review date overdue is in the CAF administrators' queue at once: the queues are counted again.
    caf.refresh_from_db()
    caf.next_review_on = date(2026, 1, 5)
    caf.save(update_fields=["next_review_on"])

    response, after_the_date = home(client)
    assert after_the_date > after_typing
    assert labels(response, "Reviews overdue") == ["Nia Ward"]


def test_a_managers_role_outside_social_care_never_gets_the_front_doors_kept_queues(
    school_practitioner, social_care_manager, school, council_model, signed_in
):
    sent(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    assert len(queue(home(signed_in(social_care_manager))[0], AWAITING)) == 1
    # The role given by mistake to someone in a school: the referrals policy does not make them a
    # front-door manager, so their queues are their own (empty), never the kept ones.
    misplaced = UserFactory(email="head@school.example", agency=school, roles=[Role.SOCIAL_CARE_MANAGER])

    response, _ = home(signed_in(misplaced))

    assert queue(response, AWAITING) == []
    assert "Nia" not in response.content.decode()


# The queues kept in the database: counted by a worker once a change commits, read by every process ----


def committed(council_id):
    """The test's changes to the council committed, as its transaction's commit would (it never commits):
    each step its saves left for after the commit runs, raising the council's version and asking a
    worker to count the queues (home.ready)."""
    from home.ready import _steps_waiting, queues_changed

    queues_changed(council_id)
    for _, step in _steps_waiting(council_id):
        step()
    assert not _steps_waiting(council_id)


def kept_row(council_id, kind):
    from home.models import KeptQueues

    return KeptQueues.objects.filter(council_id=council_id, kind=kind).first()


def test_a_worker_counts_the_queues_once_a_change_commits_and_another_process_only_reads_them(
    school_practitioner, caf_admin, second_caf_admin, council_model, signed_in
):
    from home.ready import CAF_ADMINISTRATION
    from home.tasks import kept_queues_count

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    _, counting = home(signed_in(caf_admin))
    committed(caf.council_id)

    assert kept_queues_count.apply(args=[caf.council_id]).get() == [CAF_ADMINISTRATION]  # no front door here
    kept = kept_row(caf.council_id, CAF_ADMINISTRATION)
    assert kept.version == QueuesVersion.objects.get(council=caf.council).version
    assert kept.child_ids == [caf.children.get().pk]
    assert kept_queues_count.apply(args=[caf.council_id]).get() == []  # up to date: safe to run twice

    forget_all()  # another web process, which holds nothing
    response, read = home(signed_in(second_caf_admin))

    assert labels(response, REGISTER) == ["Nia Ward"]
    assert read < counting - 5  # the kept queues' row, not a queue counted
    # The page shows the queues as the page itself would have rendered them, not their HTML as text.
    page = response.content.decode()
    assert f'<h3 class="govuk-heading-s">{REGISTER}</h3>' in page and "&lt;h3" not in page
    assert ">Nia Ward (CAF number" in page
    # Its page still writes its own access-log row naming the child it showed (Settled question 17).
    row = AccessLog.objects.filter(what="Viewed the home page", user=second_caf_admin).get()
    assert row.child_ids == [caf.children.get().pk]
    # The rows and counts are the same queues, loaded from what was kept.
    assert [str(q.count) for q in response.context["sections"][0].queues if q.heading == REGISTER] == ["1"]


def test_a_page_that_finds_the_worker_behind_counts_the_queues_and_keeps_them_for_the_rest(
    school_practitioner, caf_admin, second_caf_admin, council_model, signed_in
):
    from caf.models import Caf
    from home.ready import CAF_ADMINISTRATION, version_raise

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    committed(caf.council_id)
    _, counting = home(signed_in(caf_admin))
    # Another process registered the CAF and raised the version; its worker has not counted yet (or the
    # broker is down): the next page counts the queues itself, and keeps them.
    Caf.objects.filter(pk=caf.pk).update(registered_at=timezone.now(), reference="EH-2026-0003")
    version_raise(caf.council_id)

    response, counted = home(signed_in(caf_admin))

    assert labels(response, REGISTER) == []
    assert counted >= counting
    assert (
        kept_row(caf.council_id, CAF_ADMINISTRATION).version == QueuesVersion.objects.get(council=caf.council).version
    )
    forget_all()
    response, read = home(signed_in(second_caf_admin))
    assert labels(response, REGISTER) == [] and read < counting - 5


def test_the_worker_never_counts_as_an_administrator_an_exclusion_names(
    school_practitioner, caf_admin, second_caf_admin, council_model, signed_in
):
    from home.tasks import kept_queues_count

    kept_from = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    active_caf(school_practitioner, child_of(school_practitioner, "Ola", "Ward"))
    # The first administrator the worker would pick is the one the family excluded.
    assert caf_admin.pk < second_caf_admin.pk
    services.exclusion_record(user=second_caf_admin, caf=kept_from, made_by="Kelly Ward", people=[caf_admin])
    committed(kept_from.council_id)

    kept_queues_count.apply(args=[kept_from.council_id]).get()

    forget_all()
    shared, _ = home(signed_in(second_caf_admin))
    assert labels(shared, REGISTER) == ["Nia Ward", "Ola Ward"]  # counted as the one no exclusion names
    excluded, _ = home(signed_in(caf_admin))
    assert labels(excluded, REGISTER) == ["Ola Ward"]
    assert "Nia" not in excluded.content.decode()


def test_the_kept_front_door_is_read_within_its_minute_and_counted_again_after_it(
    school_practitioner,
    social_care_manager,
    second_manager,
    council_model,
    signed_in,
):
    from home.ready import FRONT_DOOR
    from home.tasks import kept_queues_count

    referral = sent(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    at = timezone.now().replace(second=1)
    with time_machine.travel(at, tick=False):
        _, counting = home(signed_in(social_care_manager))
        committed(referral.council_id)
        assert FRONT_DOOR in kept_queues_count.apply(args=[referral.council_id]).get()
        forget_all()
        first, read = home(signed_in(second_manager))
        assert read < counting and "Nia Ward" in queue(first, AWAITING)[0][0]
    # A decision's deadline is in hours and minutes: the next minute's page counts it again, and keeps it.
    with time_machine.travel(at + timedelta(minutes=1), tick=False):
        forget_all()
        assert home(signed_in(second_manager))[1] > read
        assert kept_row(referral.council_id, FRONT_DOOR).counted_at == at + timedelta(minutes=1)
        forget_all()
        assert home(signed_in(social_care_manager))[1] == read


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_counts_the_queues_each_committed_change_asks_for(
    school_practitioner, caf_admin, council_model, redis_url
):
    import time

    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from home.ready import CAF_ADMINISTRATION

    app.conf.broker_url = redis_url
    try:
        # Every save here commits at once, and each asks the broker for a count (home.ready).
        caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                kept = kept_row(caf.council_id, CAF_ADMINISTRATION)
                if kept and kept.version == QueuesVersion.objects.get(council=caf.council).version:
                    break
                time.sleep(0.2)
    finally:
        app.conf.broker_url = None
    assert kept is not None, "no worker counted the council's queues"
    assert kept.version == QueuesVersion.objects.get(council=caf.council).version
    assert kept.child_ids == [caf.children.get().pk]
    assert "Nia Ward" in kept.html


def test_a_transactions_changes_raise_the_version_once_and_a_rolled_back_savepoint_none(
    school_practitioner, council_model, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from home.ready import _Committed

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    child = caf.children.get()

    def version():
        return QueuesVersion.objects.filter(council=caf.council).values_list("version", flat=True).first() or 0

    before = version()
    with django_capture_on_commit_callbacks(execute=True) as steps, transaction.atomic():
        caf.save()
        child.first_name = "Nya"
        child.save()
        caf.save()
    assert [type(step) for step in steps] == [_Committed]  # one step after the commit, one enqueue
    assert version() == before + 1

    # A change in a savepoint that is rolled back takes its step with it; the change after it has its own.
    with django_capture_on_commit_callbacks(execute=True) as steps, transaction.atomic():
        try:
            with transaction.atomic():
                child.save()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        caf.save()
    assert [type(step) for step in steps] == [_Committed]
    assert version() == before + 2


def test_a_change_rolled_back_leaves_the_pages_reading_the_table(
    school_practitioner, caf_admin, council_model, signed_in
):
    from django.db import transaction

    from home.tasks import kept_queues_count

    caf = active_caf(school_practitioner, child_of(school_practitioner, "Nia", "Ward"))
    committed(caf.council_id)
    kept_queues_count.apply(args=[caf.council_id]).get()
    client = signed_in(caf_admin)
    forget_all()
    _, read = home(client)
    # A request's change that failed and was rolled back: nothing changed, nothing to count again.
    with pytest.raises(RuntimeError), transaction.atomic():
        caf.next_review_on = timezone.localdate()
        caf.save(update_fields=["next_review_on"])
        raise RuntimeError("the service refused")

    forget_all()
    response, after = home(client)
    assert after == read
    assert labels(response, REGISTER) == ["Nia Ward"]
