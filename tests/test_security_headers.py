"""Security headers on every kind of page, and templates a Content Security Policy without
'unsafe-inline' can serve: no inline scripts, event handlers or style attributes."""

import re
from pathlib import Path

import pytest
from django.test import Client

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

CSP_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'self'",
    "object-src": "'none'",
}


def assert_security_headers(response) -> None:
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy == CSP_DIRECTIVES
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


def assert_no_inline_script(page: str) -> None:
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page), "a script with a body"
    assert not re.search(r"\son[a-z]+\s*=", page), "an inline event handler"
    assert not re.search(r"\sstyle\s*=", page), "a style attribute"


@pytest.mark.parametrize("path", ["/sign-in/", "/password-reset/", "/no-such-page/"])
def test_pages_for_everyone_carry_the_headers(db, path):
    response = Client().get(path)
    assert response.status_code in (200, 302, 404)
    assert_security_headers(response)


def test_a_signed_in_persons_pages_carry_the_headers_and_no_inline_script(school_practitioner, signed_in):
    client = signed_in(school_practitioner)
    for path in ["/", "/notifications/", "/change-password/", "/thresholds/check/"]:
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert_no_inline_script(response.content.decode())


def test_the_administration_pages_carry_the_headers_and_no_inline_script(council_admin, school_practitioner, signed_in):
    client = signed_in(council_admin)
    for path in ["/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{school_practitioner.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert_no_inline_script(response.content.decode())


def test_the_sign_in_page_has_no_inline_script(db):
    assert_no_inline_script(Client().get("/sign-in/").content.decode())


def test_no_template_has_an_inline_script_event_handler_or_style_attribute():
    for template in TEMPLATES.rglob("*.html"):
        assert_no_inline_script(template.read_text(encoding="utf-8").replace("{{", " ").replace("}}", " "))
