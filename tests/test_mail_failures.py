"""A mail server or broker that is down never turns a saved change into an error page: invitations
and e-mail change links wait in the notifications outbox, and a password reset that cannot be sent
still says only "if the address is known, we have sent a link"."""

import logging
import time

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from accounts.models import EmailChange, Notification, Role, User
from accounts.notifications import _send_soon, notifications_send_pending
from config.celery import app as celery_app
from referrals import services as rs
from tests.mail_backends import FailingEmailBackend

FAILING = "tests.mail_backends.FailingEmailBackend"


@pytest.fixture
def mail_server_down(settings) -> None:
    settings.EMAIL_BACKEND = FAILING
    FailingEmailBackend.attempts = 0


@pytest.fixture
def broker_down():
    """The Celery app pointed at a port where no broker listens, for the length of the test: with
    pools of its own, so the app's real pools are left untouched for the tests that follow."""
    saved = celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    celery_app._pool = celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app._pool, celery_app.amqp._producer_pool = saved


def test_a_password_reset_the_mail_server_refuses_still_says_a_link_was_sent(school_practitioner, mail_server_down):
    response = Client().post("/password-reset/", {"email": school_practitioner.email}, follow=True)
    assert response.status_code == 200
    assert "If the address belongs to an account, we have sent a link" in response.content.decode()
    assert FailingEmailBackend.attempts == 1  # it was tried, and the failure was caught
    assert mail.outbox == []


def test_adding_a_user_with_the_mail_server_and_broker_down_saves_them_and_keeps_the_invitation(
    council_admin, school, signed_in, mail_server_down, broker_down, django_capture_on_commit_callbacks
):
    client = signed_in(council_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/add/",
            {
                "email": "nia@oakfield.example",
                "full_name": "Nia Teacher",
                "agency": school.pk,
                "groups": [Group.objects.get(name=Role.PRACTITIONER).pk],
            },
        )
    assert response.status_code == 302
    user = User.objects.get(email="nia@oakfield.example")
    invitation = Notification.objects.get(recipient=user, kind=Notification.Kind.ACCOUNT_INVITATION)

    # The worker's run: the server refuses, the invitation is released for the next run, not lost.
    assert notifications_send_pending() == 0
    assert FailingEmailBackend.attempts == 1
    invitation.refresh_from_db()
    assert (invitation.sent_at, invitation.claimed_at) == (None, None)


def test_changing_an_email_with_the_mail_server_and_broker_down_is_no_error(
    council_admin, school_practitioner, signed_in, mail_server_down, broker_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(council_admin).post(
            f"/admin/accounts/user/{school_practitioner.pk}/change/",
            {
                "email": "priya.shah@newschool.example",
                "full_name": school_practitioner.full_name,
                "agency": school_practitioner.agency_id,
                "is_active": "on",
                "groups": [group.pk for group in school_practitioner.groups.filter(name__in=Role.values)],
            },
        )
    assert response.status_code == 302
    assert EmailChange.objects.get(user=school_practitioner).new_email == "priya.shah@newschool.example"
    assert notifications_send_pending() == 0
    assert Notification.objects.get(kind=Notification.Kind.EMAIL_CHANGE_CONFIRM).sent_at is None


def test_enqueueing_with_the_broker_down_logs_and_does_not_raise(broker_down, caplog):
    with caplog.at_level(logging.WARNING, logger="accounts.notifications"):
        started = time.monotonic()
        _send_soon()
        waited = time.monotonic() - started
    assert "Could not enqueue sending notifications" in caplog.text
    # Settled question 30: the request gives up within a second (kombu's own retries took 6 s).
    assert waited < 1, f"the enqueue kept the request waiting {waited:.1f} s"


def test_a_front_door_decision_with_the_broker_down_is_committed_and_no_error(
    active,
    child,
    school_practitioner,
    social_care,
    social_care_manager,
    social_worker,
    signed_in,
    broker_down,
    django_capture_on_commit_callbacks,
    caplog,
):
    """The case found under faults: with Redis down, a decision that tells the referrer and the
    social worker is saved, the page answers, and the e-mails wait for beat's sender."""
    referral = rs.referral_send(
        user=school_practitioner,
        referral=rs.referral_start(user=school_practitioner, children=[child], caf=active),
        concern="Bruising",
        consent=rs.CONSENT_NOT_SOUGHT,
        override_reason="Asking would put the child at risk",
    )
    client = signed_in(social_care_manager)
    with (
        caplog.at_level(logging.WARNING, logger="accounts.notifications"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            f"/referrals/{referral.pk}/decide/",
            {
                "decision": "child_in_need",
                "reasons": "Needs an assessment",
                "social_worker_child_in_need": social_worker.pk,
            },
        )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.decision == "child_in_need"
    waiting = Notification.objects.filter(sent_at__isnull=True, kind=Notification.Kind.SOCIAL_WORKER_ALLOCATED)
    assert waiting.filter(recipient=social_worker).exists()
    assert "Could not enqueue sending notifications" in caplog.text
