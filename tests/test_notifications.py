"""Notifications: recorded once, e-mailed once (even with two senders, a crash or a failing mail
server), listed for their recipient only, and sent by a real Celery worker on Redis."""

import threading
import time
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import notification_record, notifications_cancel, notifications_send_pending
from accounts.tasks import notifications_send
from config.celery import app
from tests.factories import UserFactory

REVIEW_DUE = Notification.Kind.REVIEW_DUE


def record(recipient, subject_key: str = "review:12:2026-12-01", **fields) -> Notification | None:
    values = {
        "title": "Review for Jayden Smith due on 1 December",
        "body": "The Team Around the Family review for Jayden Smith is due on Tuesday 1 December 2026.",
        "url": "/cafs/12/",
    }
    values.update(fields)
    return notification_record(recipient=recipient, kind=REVIEW_DUE, subject_key=subject_key, **values)


def unsent(recipient, subject_key: str) -> Notification:
    # A row as notification_record leaves it, without scheduling a send (transaction=True tests
    # commit, and an on_commit enqueue would reach the machine's Redis).
    return Notification.objects.create(
        recipient=recipient, kind=REVIEW_DUE, subject_key=subject_key, title=f"About {subject_key}", body="Details."
    )


# Recording and sending ------------------------------------------------------------------------


def test_recording_the_same_thing_twice_keeps_one_notification(school_practitioner):
    first = record(school_practitioner)

    assert first is not None
    assert record(school_practitioner) is None
    assert Notification.objects.filter(recipient=school_practitioner).count() == 1


def test_sending_e_mails_the_person_once_with_a_link_and_marks_it_sent(school_practitioner, settings):
    settings.SITE_URL = "https://caf.northbridge.example"
    notification = record(school_practitioner)

    assert notifications_send_pending() == 1

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["priya@oakfield.example"]
    assert message.subject == "Review for Jayden Smith due on 1 December"
    assert "due on Tuesday 1 December 2026." in message.body
    assert "https://caf.northbridge.example/cafs/12/" in message.body
    notification.refresh_from_db()
    assert notification.sent_at is not None


def test_running_the_sender_again_sends_nothing_more(school_practitioner):
    record(school_practitioner)
    notifications_send_pending()

    assert notifications_send_pending() == 0
    assert notifications_send.apply().get() == 0  # the task too: safe to run twice
    assert len(mail.outbox) == 1


def test_cancelled_notifications_are_never_sent(school_practitioner):
    record(school_practitioner, subject_key="review:12:2026-12-01")
    record(school_practitioner, subject_key="review:13:2026-12-08")

    assert notifications_cancel(subject_key="review:12:2026-12-01") == 1
    notifications_send_pending()

    assert [message.subject for message in mail.outbox] == ["Review for Jayden Smith due on 1 December"]
    assert len(mail.outbox) == 1
    assert Notification.objects.get(subject_key="review:12:2026-12-01").sent_at is None


def test_a_person_made_inactive_before_sending_gets_nothing(school_practitioner):
    notification = record(school_practitioner)
    school_practitioner.is_active = False
    school_practitioner.save()

    assert notifications_send_pending() == 0

    assert mail.outbox == []
    notification.refresh_from_db()
    assert notification.sent_at is None
    assert notification.cancelled_at is not None  # so it is not sent if they come back
    assert record(school_practitioner, subject_key="review:99:2027-01-05") is None  # nor recorded


def test_a_crash_after_claiming_is_retried_only_after_the_lease_then_sent_once(school_practitioner, settings):
    settings.NOTIFICATION_CLAIM_LEASE_MINUTES = 10
    with time_machine.travel("2026-11-23 10:00 +00:00", tick=False) as traveller:
        notification = record(school_practitioner)
        Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now())  # the sender died

        traveller.shift(timedelta(minutes=9))
        assert notifications_send_pending() == 0
        assert mail.outbox == []

        traveller.shift(timedelta(minutes=2))
        assert notifications_send_pending() == 1
        assert notifications_send_pending() == 0

    assert len(mail.outbox) == 1
    notification.refresh_from_db()
    assert notification.sent_at is not None


class RelaySlowerThanTheLease(EmailBackend):
    """A mail relay that takes six minutes a message: a batch of three outlasts the ten-minute lease.
    After the first sender's second message, the next sender runs (beat's next run, or a second
    worker), with the clock at twelve minutes."""

    traveller = None
    accepted = 0
    second_sender_sent: int | None = None

    def send_messages(self, messages):
        count = super().send_messages(messages)
        RelaySlowerThanTheLease.traveller.shift(timedelta(minutes=6))
        RelaySlowerThanTheLease.accepted += 1
        if RelaySlowerThanTheLease.accepted == 2:
            RelaySlowerThanTheLease.second_sender_sent = notifications_send_pending()
        return count


def test_a_batch_that_outlasts_the_lease_never_sends_a_row_the_next_sender_took_over(
    school_practitioner, caf_admin, health_visitor, settings
):
    settings.NOTIFICATION_CLAIM_LEASE_MINUTES = 10
    settings.EMAIL_BACKEND = f"{__name__}.RelaySlowerThanTheLease"
    with time_machine.travel("2026-11-23 10:00 +00:00", tick=False) as traveller:
        RelaySlowerThanTheLease.traveller, RelaySlowerThanTheLease.accepted = traveller, 0
        RelaySlowerThanTheLease.second_sender_sent = None
        people = [school_practitioner, caf_admin, health_visitor]
        for person in people:
            record(person, subject_key="review:12:2026-12-01")

        first_sender_sent = notifications_send_pending()

    # The first sender renewed its claim on each row just before sending it. At twelve minutes the
    # second took over the one row the first had not reached (claimed at 10:00, past the lease), and
    # the first, coming to it, skipped it: three people, three e-mails.
    assert (first_sender_sent, RelaySlowerThanTheLease.second_sender_sent) == (2, 1)
    assert sorted(address for message in mail.outbox for address in message.to) == sorted(
        person.email for person in people
    )
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


class WorkerKilledAfterTheServerAccepts(EmailBackend):
    """The mail server accepts the message, then the worker dies before marking it sent."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise SystemExit("worker killed")


def test_a_crash_after_the_server_accepts_is_the_one_window_for_a_repeat(school_practitioner, settings):
    # The documented window (README, "Notifications, exactly once"): the person may get the
    # message twice, and not before the lease has run out.
    with time_machine.travel("2026-11-23 10:00 +00:00", tick=False) as traveller:
        notification = record(school_practitioner)
        settings.EMAIL_BACKEND = f"{__name__}.WorkerKilledAfterTheServerAccepts"
        with pytest.raises(SystemExit):
            notifications_send_pending()
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert len(mail.outbox) == 1

        traveller.shift(timedelta(minutes=5))
        assert notifications_send_pending() == 0
        traveller.shift(timedelta(minutes=6))
        assert notifications_send_pending() == 1
        assert notifications_send_pending() == 0

    assert len(mail.outbox) == 2
    notification.refresh_from_db()
    assert notification.sent_at is not None


class MailServerDownOnce(EmailBackend):
    """A mail server that drops the connection the first time it is used."""

    failed = False

    def send_messages(self, messages):
        if not MailServerDownOnce.failed:
            MailServerDownOnce.failed = True
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_failing_mail_server_leaves_the_message_for_a_later_run(school_practitioner, caf_admin, settings, caplog):
    MailServerDownOnce.failed = False
    settings.EMAIL_BACKEND = f"{__name__}.MailServerDownOnce"
    refused = record(school_practitioner)
    accepted = record(caf_admin)

    assert notifications_send_pending() == 1  # one bad send does not stop the rest

    assert [message.to for message in mail.outbox] == [["colin@earlyhelp.example"]]
    refused.refresh_from_db()
    assert refused.sent_at is None and refused.claimed_at is None
    assert "not sent" in caplog.text

    assert notifications_send_pending() == 1
    assert [message.to for message in mail.outbox] == [["colin@earlyhelp.example"], ["priya@oakfield.example"]]
    accepted.refresh_from_db()
    refused.refresh_from_db()
    assert accepted.sent_at is not None and refused.sent_at is not None


class SlowMailServer(EmailBackend):
    def send_messages(self, messages):
        time.sleep(0.01)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(school, settings):
    settings.EMAIL_BACKEND = f"{__name__}.SlowMailServer"
    people = UserFactory.create_batch(30, agency=school)
    for person in people:
        unsent(person, "review:12:2026-12-01")
    start = threading.Barrier(2)
    sent: list[int] = []

    def sender() -> None:
        try:
            start.wait()
            while count := notifications_send_pending(limit=4):
                sent.append(count)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(mail.outbox) == 30
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in people)
    assert sum(sent) == 30
    assert not Notification.objects.filter(sent_at__isnull=True).exists()


# A real worker ----------------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_what_a_job_records(redis_url, school_practitioner):
    previous = app.conf.broker_url
    app.conf.broker_url = redis_url
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            with transaction.atomic():
                notification = record(school_practitioner)  # enqueues notifications_send on commit
            deadline = time.monotonic() + 30
            while not mail.outbox and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        app.conf.broker_url = previous
    assert [message.to for message in mail.outbox] == [["priya@oakfield.example"]]
    notification.refresh_from_db()
    assert notification.sent_at is not None


def test_beat_sends_whatever_is_left_every_minute():
    entry = app.conf.beat_schedule["send-notifications"]
    assert entry["task"] == notifications_send.name
    assert entry["schedule"] == 60


def test_a_lost_workers_task_is_redelivered_not_lost():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert notifications_send.acks_late is True


# The list ---------------------------------------------------------------------------------------


def test_the_list_shows_my_notifications_newest_first_with_unread_marked(signed_in, school_practitioner, caf_admin):
    with time_machine.travel("2026-11-20 09:00 +00:00", tick=False):
        older = record(school_practitioner, subject_key="review:12:2026-12-01", title="Older one")
    with time_machine.travel("2026-11-23 09:00 +00:00", tick=False):
        record(school_practitioner, subject_key="review:13:2026-12-08", title="Newer one", url="/cafs/13/")
    Notification.objects.filter(pk=older.pk).update(read_at=timezone.now())
    record(caf_admin, subject_key="review:14:2026-12-09", title="Colin's own")

    response = signed_in(school_practitioner).get("/notifications/")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Newer one") < page.index("Older one")
    assert "Colin&#x27;s own" not in page and "Colin's own" not in page
    assert page.count(">New</strong>") == 1
    assert 'href="/cafs/13/"' in page
    assert "23 November 2026" in page
    assert "(1 unread)" in page  # the header's count, for screen readers too


def test_marking_one_read(signed_in, school_practitioner):
    notification = record(school_practitioner)
    client = signed_in(school_practitioner)

    response = client.post(f"/notifications/{notification.pk}/read/")

    assert response.status_code == 302 and response.url == "/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert "unread" not in client.get("/notifications/").content.decode()


def test_someone_elses_notification_is_not_found(signed_in, school_practitioner, caf_admin):
    theirs = record(caf_admin)

    response = signed_in(school_practitioner).post(f"/notifications/{theirs.pk}/read/")

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post(signed_in, school_practitioner):
    notification = record(school_practitioner)

    assert signed_in(school_practitioner).get(f"/notifications/{notification.pk}/read/").status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_leaves_other_peoples_alone(signed_in, school_practitioner, caf_admin):
    record(school_practitioner, subject_key="review:12:2026-12-01")
    record(school_practitioner, subject_key="review:13:2026-12-08")
    theirs = record(caf_admin)

    response = signed_in(school_practitioner).post("/notifications/read-all/", follow=True)

    assert "All your notifications are marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=school_practitioner, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_signing_in_is_needed(client):
    response = client.get("/notifications/")

    assert response.status_code == 302
    assert response.url.startswith("/sign-in/")


@pytest.mark.parametrize("count", [3, 60])
def test_the_list_runs_a_fixed_number_of_queries(count, signed_in, school_practitioner, django_assert_max_num_queries):
    for number in range(count):
        record(school_practitioner, subject_key=f"review:{number}:2026-12-01")
    client = signed_in(school_practitioner)

    # Session, user, agency and council (the header), the session's idle clock (3), the unread
    # count, the page count and the page itself, at any size.
    with django_assert_max_num_queries(10):
        response = client.get("/notifications/")

    assert response.status_code == 200
    assert f"({count} unread)" in response.content.decode()
