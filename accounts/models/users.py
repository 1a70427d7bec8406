"""The people who use the service and their roles: a user belongs to one agency, and so to one council."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.email_address import email_normalise
from accounts.models.councils import Agency, LocalAuthority
from accounts.models.roles import Role
from accounts.scoping import CouncilScopedQuerySet


class UserQuerySet(CouncilScopedQuerySet):
    council_lookup = "agency__council"


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return email_normalise(email or "")

    def create_user(self, email: str, password: str | None = None, **fields: object) -> "User":
        if not email:
            raise ValueError("A user needs an e-mail address")
        user = self.model(email=self.normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> "User":
        fields.setdefault("full_name", "Service administrator")
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Addresses are stored normalised (accounts.email_address), so one exact match finds the
        # account that the lock-out counts against, whatever the case, spaces or width typed.
        return self.get(email=email_normalise(username or ""))


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150)
    job_title = models.CharField(max_length=150, blank=True)
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text="Every user except a service administrator belongs to one agency, and so to one council.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Clear this instead of deleting someone: their history stays readable."
    )
    is_staff = models.BooleanField(
        "can use the administration pages",
        default=False,
        help_text="Set from the council administrator role.",
    )
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ignoring_case"),
            models.CheckConstraint(
                condition=models.Q(agency__isnull=False) | models.Q(is_superuser=True),
                name="user_belongs_to_an_agency",
                violation_error_message="Choose the agency this person works for.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @classmethod
    def normalize_username(cls, username: str) -> str:
        return email_normalise(username)

    def clean(self) -> None:
        super().clean()
        self.email = email_normalise(self.email)

    def save(self, *args: object, **kwargs: object) -> None:
        # Stored normalised however the row was made (a form, the manager, a factory, the shell).
        self.email = email_normalise(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def council_id(self) -> int | None:
        return self.agency.council_id if self.agency_id else None

    @property
    def council(self) -> LocalAuthority | None:
        return self.agency.council if self.agency_id else None

    def has_role(self, role: Role) -> bool:
        return role.value in self.role_names

    @property
    def role_names(self) -> frozenset[str]:
        # Cached on the instance: the header and the home page ask several times per request.
        if not hasattr(self, "_role_names"):
            self._role_names = frozenset(self.groups.values_list("name", flat=True))
        return self._role_names
