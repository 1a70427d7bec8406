"""An e-mail backend whose mail server is always down, for the tests that a failure never becomes
an error page (settings.EMAIL_BACKEND = "tests.mail_backends.FailingEmailBackend")."""

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend


class FailingEmailBackend(BaseEmailBackend):
    attempts = 0

    def send_messages(self, email_messages: list) -> int:
        FailingEmailBackend.attempts += 1
        raise SMTPServerDisconnected("the test mail server is down")
