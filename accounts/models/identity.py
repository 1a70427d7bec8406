"""Single sign-on: the identity providers a council lets its people (and its partners' staff) sign in
with over OpenID Connect, and the link from a provider's person (issuer, subject) to one account.

A provider belongs to a council and, for a partner's own provider (a school trust's, an NHS trust's,
the police's), to one agency of it. Its client secret is never stored as typed: it is encrypted with
a key from the settings (accounts.sso_secrets). The first sign-in links an account by its verified
e-mail address in one of the provider's allowed domains; after that only the link counts (Settled
question 23).
"""

import contextlib
import ipaddress
from urllib.parse import urlsplit

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from accounts.models.councils import Agency, LocalAuthority
from accounts.models.users import User
from accounts.scoping import CouncilScopedQuerySet


def issuer_validate(issuer: str) -> None:
    """An issuer is an https address (plain http only on this machine's own loopback, for tests and
    a developer's local provider), with no query or fragment (OpenID Connect Discovery 1.0, 4.1)."""
    parts = urlsplit(issuer)
    loopback = parts.hostname == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(parts.hostname or "").is_loopback
    if not parts.hostname or not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise ValidationError("Enter the issuer's address, starting https://")
    if parts.query or parts.fragment:
        raise ValidationError("Enter the issuer without anything after ? or #")


def domain_normalise(domain: str) -> str:
    return domain.strip().lower().lstrip("@").rstrip(".")


def domains_validate(domains: list[str]) -> None:
    for domain in domains:
        if "." not in domain or "@" in domain or any(char.isspace() for char in domain):
            raise ValidationError(f"{domain} is not an e-mail domain: enter domains like oakfield.sch.uk")


class IdentityProvider(models.Model):
    council = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="identity_providers")
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="identity_providers",
        help_text="Only for a partner's own provider: then only that agency's people sign in with it.",
    )
    name = models.CharField(
        "name people see", max_length=120, help_text="For example: Oakfield Academy Trust (Microsoft)."
    )
    issuer = models.URLField(
        "issuer",
        max_length=300,
        validators=[issuer_validate],
        help_text="Your tenant's own issuer, for Microsoft Entra ID https://login.microsoftonline.com/<tenant id>/v2.0",
    )
    client_id = models.CharField("client (application) id", max_length=200)
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    allowed_domains = ArrayField(
        models.CharField(max_length=253),
        validators=[domains_validate],
        help_text="E-mail domains whose people may sign in with this provider, separated by commas.",
    )
    enforces_multi_factor = models.BooleanField(
        "the provider enforces multi-factor sign-in",
        default=False,
        help_text=(
            "Tick only if this provider asks everyone who signs in through it for a second factor and says so in "
            "the ID token (its amr claim names mfa, otp, hwk or swk; Microsoft Entra ID does under a conditional "
            "access policy requiring multi-factor authentication). A sign-in that shows it then counts as this "
            "service's second factor, for break-glass; any other asks for the code from our authenticator app."
        ),
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CouncilScopedQuerySet.as_manager()

    class Meta:
        ordering = ["council", "name"]
        constraints = [
            models.UniqueConstraint(fields=["council", "issuer", "client_id"], name="identity_provider_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.issuer = (self.issuer or "").rstrip("/")
        self.allowed_domains = sorted({domain_normalise(each) for each in self.allowed_domains or [] if each.strip()})
        if self.agency is not None and self.council_id and self.agency.council_id != self.council_id:
            raise ValidationError({"agency": "Choose an agency of this council."})


class IdentityLinkQuerySet(CouncilScopedQuerySet):
    council_lookup = "provider__council"


class IdentityLink(models.Model):
    """This account is the person the provider with this issuer calls this subject. Made at their
    first single sign-on (by verified e-mail); from then on they are matched by it alone."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="identity_links")
    issuer = models.CharField(max_length=300)
    subject = models.CharField(max_length=255)
    provider = models.ForeignKey(
        IdentityProvider, on_delete=models.PROTECT, related_name="links", help_text="The provider it was made with."
    )
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by_email = models.EmailField("e-mail claim it was linked by", blank=True)

    objects = IdentityLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-linked_at"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="identity_link_unique_subject"),
            # One person at each provider: a second subject cannot be linked to the account by e-mail.
            models.UniqueConstraint(fields=["user", "issuer"], name="identity_link_one_per_issuer"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
