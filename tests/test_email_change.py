"""Changing someone's e-mail address: it takes effect only when they follow the link sent to the new
address, signed in as themselves; the old address is told."""

import re

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.models import EmailChange, Notification
from accounts.notifications import notifications_for, notifications_send_pending
from accounts.services import user_email_change_request
from tests.factories import PASSWORD

NEW = "priya.shah@newschool.example"


@pytest.fixture(autouse=True)
def sending_later(monkeypatch, settings) -> None:
    settings.SITE_URL = "http://testserver"
    monkeypatch.setattr("accounts.notifications._send_soon", lambda: None)


def link_sent_to(address: str) -> str:
    assert notifications_send_pending() >= 1
    (message,) = [message for message in mail.outbox if message.to == [address]]
    return re.search(r"http://testserver(/email-change/\S+/)", message.body).group(1)


def test_the_person_confirms_the_link_sent_to_their_new_address(school_practitioner, council_admin, signed_in):
    user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    link = link_sent_to(NEW)
    client = signed_in(school_practitioner)

    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm your new e-mail address" in page.content.decode()
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == "priya@oakfield.example"  # opening the link changes nothing

    response = client.post(link)
    assert response.status_code == 302
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == NEW
    assert EmailChange.objects.get().confirmed_at is not None
    # The old address is told, and the new one signs in.
    notifications_send_pending()
    assert any(message.to == ["priya@oakfield.example"] for message in mail.outbox)
    assert Client().post("/sign-in/", {"username": NEW.upper(), "password": PASSWORD}).status_code == 302
    # The link works once.
    assert "already been used" in client.get(link).content.decode()


def test_someone_else_signed_in_cannot_use_the_link(school_practitioner, council_admin, signed_in):
    user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    link = link_sent_to(NEW)
    client = signed_in(council_admin)

    assert client.get(link).status_code == 403
    assert client.post(link).status_code == 403
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == "priya@oakfield.example"


def test_the_link_asks_a_signed_out_person_to_sign_in_first(school_practitioner, council_admin):
    user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    link = link_sent_to(NEW)
    client = Client()
    response = client.post(link)
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=")
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == "priya@oakfield.example"

    signed_in = client.post(
        "/sign-in/?next=" + link, {"username": "priya@oakfield.example", "password": PASSWORD}, follow=True
    )
    assert int(client.session[SESSION_KEY]) == school_practitioner.pk
    assert "Confirm your new e-mail address" in signed_in.content.decode()


def test_an_expired_altered_or_replaced_link_changes_nothing(school_practitioner, council_admin, signed_in, settings):
    with time_machine.travel("2026-11-23 10:00", tick=False) as traveller:
        user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
        link = link_sent_to(NEW)
        client = signed_in(school_practitioner)
        traveller.shift(settings.PASSWORD_RESET_TIMEOUT + 60)
        client = signed_in(school_practitioner)  # the earlier session ended while they waited
        assert "This link has expired" in client.post(link).content.decode()

        assert "This link has expired" in client.post(link[:-3] + "xx/").content.decode()

        mail.outbox.clear()
        user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
        first = link_sent_to(NEW)
        mail.outbox.clear()
        user_email_change_request(
            user=school_practitioner, new_email="p.shah@other.example", requested_by=council_admin
        )
        assert "a later change replaced it" in client.post(first).content.decode()
    school_practitioner.refresh_from_db()
    assert school_practitioner.email == "priya@oakfield.example"
    assert EmailChange.objects.filter(confirmed_at__isnull=True, cancelled_at__isnull=True).count() == 1


def test_the_link_is_never_listed_on_the_persons_notifications_page(school_practitioner, council_admin, signed_in):
    user_email_change_request(user=school_practitioner, new_email=NEW, requested_by=council_admin)
    assert Notification.objects.filter(recipient=school_practitioner).count() == 1
    assert not notifications_for(user=school_practitioner).exists()
    assert "/email-change/" not in signed_in(school_practitioner).get("/notifications/").content.decode()
