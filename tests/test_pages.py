"""Password reset and change, and the error pages, in GOV.UK style."""

import re

from django.core import mail
from django.test import Client
from django.views.defaults import server_error

from tests.factories import PASSWORD


def test_password_reset_sends_a_link_that_sets_a_new_password(school_practitioner):
    client = Client()
    response = client.post("/password-reset/", {"email": school_practitioner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "Reset your password" in mail.outbox[0].subject
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "another-long-password-1", "new_password2": "another-long-password-1"},
    )
    assert done.status_code == 302
    school_practitioner.refresh_from_db()
    assert school_practitioner.check_password("another-long-password-1")
    assert "This link has expired" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_whether_an_account_exists(db):
    response = Client().post("/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert "Check your e-mail" in response.content.decode()
    assert mail.outbox == []


def test_password_reset_with_a_bad_address_shows_an_error_summary(db):
    response = Client().post("/password-reset/", {"email": "not-an-address"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter an e-mail address in the right format" in page


def test_a_weak_new_password_is_refused(signed_in, school_practitioner):
    response = signed_in(school_practitioner).post(
        "/change-password/",
        {
            "old_password": PASSWORD,
            "new_password1": "short",
            "new_password2": "short",
        },
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    school_practitioner.refresh_from_db()
    assert school_practitioner.check_password(PASSWORD)


def test_changing_password_needs_the_current_one(signed_in, school_practitioner):
    client = signed_in(school_practitioner)
    response = client.post(
        "/change-password/",
        {
            "old_password": "not-it",
            "new_password1": "a-good-long-password",
            "new_password2": "a-good-long-password",
        },
    )
    assert response.status_code == 200
    response = client.post(
        "/change-password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-good-long-password",
            "new_password2": "a-good-long-password",
        },
    )
    assert response.status_code == 302
    school_practitioner.refresh_from_db()
    assert school_practitioner.check_password("a-good-long-password")


def test_a_missing_page_is_a_govuk_404(signed_in, school_practitioner):
    response = signed_in(school_practitioner).get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page
    assert "govuk-header" in page


def test_the_500_page_is_plain_english_and_needs_no_database(rf):
    response = server_error(rf.get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert "govuk-template" in page


def test_a_form_without_its_security_token_is_refused_politely(school_practitioner):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"username": school_practitioner.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Your form has expired" in response.content.decode()


def test_the_pages_use_the_committed_govuk_frontend(db):
    page = Client().get("/sign-in/").content.decode()
    assert "/static/govuk/govuk-frontend.min.css" in page
    assert "<script>" not in page  # no inline scripts: a Content Security Policy can forbid them
