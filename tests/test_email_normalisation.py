"""One spelling of an e-mail address: stored, looked up and counted by the lock-out the same way
(strip, NFKC, casefold), so every way of typing one address is one account."""

import importlib
import logging

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client

from accounts.email_address import email_normalise
from accounts.models import User
from tests.factories import PASSWORD, UserFactory


def fullwidth(text: str) -> str:
    """The same characters as typed on a keyboard set to fullwidth (U+FF01 to U+FF5E)."""
    return "".join(chr(ord(character) + 0xFEE0) for character in text)


FULLWIDTH = fullwidth("Priya@Oakfield.example")
SPELLINGS = ["Priya@Oakfield.example", "priya@oakfield.example ", FULLWIDTH]


def test_every_spelling_normalises_to_the_stored_one():
    assert FULLWIDTH != "Priya@Oakfield.example"
    assert {email_normalise(spelling) for spelling in SPELLINGS} == {"priya@oakfield.example"}
    assert email_normalise("\u3000Stra\u00dfe@Example.org") == "strasse@example.org"


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_each_spelling_signs_in_to_the_one_account(school_practitioner, spelling):
    client = Client()
    response = client.post("/sign-in/", {"username": spelling, "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == school_practitioner.pk


def test_failures_in_every_spelling_count_against_one_account(school_practitioner, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/sign-in/", {"username": SPELLINGS[attempt % 3], "password": "guess"})

    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"priya@oakfield.example"}
    for spelling in SPELLINGS:
        assert Client().post("/sign-in/", {"username": spelling, "password": PASSWORD}).status_code == 429


def test_the_manager_and_the_model_store_the_one_spelling(school):
    made = User.objects.create_user(" Nia.Teacher@Oakfield.EXAMPLE ", full_name="Nia Teacher", agency=school)
    assert made.email == "nia.teacher@oakfield.example"
    factory_made = UserFactory(email=fullwidth("Jo") + "@Oakfield.example", agency=school)
    factory_made.refresh_from_db()
    assert factory_made.email == "jo@oakfield.example"
    assert User.objects.get_by_natural_key(fullwidth("Nia.Teacher@Oakfield.example")) == made


def test_password_reset_finds_the_account_from_any_spelling(school_practitioner):
    response = Client().post("/password-reset/", {"email": FULLWIDTH})
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["priya@oakfield.example"]]


def test_someone_invited_whose_link_expired_can_ask_for_a_new_one(school):
    invited = User.objects.create_user("nia@oakfield.example", full_name="Nia Teacher", agency=school)
    assert not invited.has_usable_password()
    Client().post("/password-reset/", {"email": "Nia@Oakfield.example"})
    assert [message.to for message in mail.outbox] == [["nia@oakfield.example"]]


def test_the_administrator_cannot_add_a_second_account_for_another_spelling(
    council_admin, school_practitioner, signed_in
):
    response = signed_in(council_admin).post(
        "/admin/accounts/user/add/",
        {"email": FULLWIDTH, "full_name": "Priya Again", "agency": school_practitioner.agency_id},
    )
    assert response.status_code == 200
    assert "Someone already has an account with this e-mail address." in response.content.decode()
    assert User.objects.filter(full_name="Priya Again").count() == 0


def test_the_data_migration_normalises_stored_addresses_and_leaves_collisions_for_a_person(school, caplog):
    ann, bob_one, bob_two = (UserFactory(agency=school) for _ in range(3))
    # Rows as an older version stored them (save() would normalise, so update the table directly).
    User.objects.filter(pk=ann.pk).update(email="  Ann@Example.ORG ")
    User.objects.filter(pk=bob_one.pk).update(email="bob@example.org ")
    User.objects.filter(pk=bob_two.pk).update(email=fullwidth("bob") + "@example.org")
    migration = importlib.import_module("accounts.migrations.0005_normalise_emails")

    with caplog.at_level(logging.WARNING, logger="accounts.migrations"):
        migration.normalise_emails(apps, None)

    emails = dict(User.objects.filter(pk__in=[ann.pk, bob_one.pk, bob_two.pk]).values_list("pk", "email"))
    assert emails == {
        ann.pk: "ann@example.org",
        bob_one.pk: "bob@example.org ",
        bob_two.pk: fullwidth("bob") + "@example.org",
    }
    assert "all normalise to 'bob@example.org'" in caplog.text
    assert str(bob_one.pk) in caplog.text and str(bob_two.pk) in caplog.text
