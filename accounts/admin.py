"""Administration pages. A council administrator manages only their own council's settings,
localities, agencies and users; a service administrator (superuser) sees every council.
Nothing is deleted here: people leave by being made inactive, so their history stays readable.

Nobody sets or changes another person's password here: people choose their own through the link
e-mailed to them. A change of someone's e-mail address takes effect only when they follow the link
sent to the new address. Every role given or taken away is recorded (RoleChange) and listed, and so is
every reset of someone's second factor (TwoFactorReset), done from the person's page here."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Case, ForeignKey, ManyToManyField, QuerySet, Value, When
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import two_factor
from accounts.email_address import NormalisedEmailField
from accounts.http import AuthenticatedHttpRequest
from accounts.models import (
    Agency,
    IdentityLink,
    IdentityProvider,
    LocalAuthority,
    Locality,
    Role,
    RoleChange,
    TwoFactorReset,
    User,
)
from accounts.models.identity import domain_normalise
from accounts.services import (
    user_email_change_request,
    user_invitation_send,
    user_roles_of,
    user_roles_record,
    user_staff_sync,
)
from accounts.sso import client_secret_encrypt

admin.site.site_header = "Early help case management: administration"
admin.site.site_title = "Administration"


def _users_visible_to(administrator: User) -> QuerySet:
    """The accounts an administrator may see: their council's, never a service administrator's
    unless they are one."""
    users = User.objects.for_user(administrator)
    return users if administrator.is_superuser else users.exclude(is_superuser=True)


class CouncilScopedAdmin(admin.ModelAdmin):
    """Shows and offers only the signed-in administrator's council: the list, the objects that can be
    opened, and the choices of council, locality and agency in forms (so another council's are refused
    as invalid choices)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_user(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> ModelChoiceField:
        related = db_field.related_model
        if related in (LocalAuthority, Locality, Agency):
            kwargs["queryset"] = related.objects.for_user(request.user)
        elif related is User:
            # An agency's manager, a council's early help lead: active people of the administrator's council.
            kwargs["queryset"] = _users_visible_to(request.user).filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("council", request.user.council_id)
        return initial


@admin.register(LocalAuthority)
class LocalAuthorityAdmin(CouncilScopedAdmin):
    list_display = ["name", "child_population", "default_review_interval_weeks", "front_door_phone"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "child_population"]}),
        (
            "The council's figures",
            {
                "fields": [
                    "caf_target_rate_per_10000",
                    "step_down_pick_up_target_percent",
                    "shares_figures_with_councils",
                ]
            },
        ),
        ("Safeguarding contacts", {"fields": ["front_door_phone", "out_of_hours_phone"]}),
        (
            "Working calendar and deadlines",
            {
                "fields": [
                    "working_day_starts",
                    "working_day_ends",
                    "time_zone",
                    "default_review_interval_weeks",
                    "referral_decision_deadline_working_hours",
                    "step_down_pick_up_working_days",
                ]
            },
        ),
        ("Step-up to social care", {"fields": ["social_worker_leads_caf"]}),
        (
            "Reminders and escalation",
            {
                "fields": [
                    "review_reminder_working_days",
                    "overdue_escalation_working_days",
                    "no_lead_flag_working_days",
                    "early_help_lead",
                ]
            },
        ),
        ("Sharing without consent", {"fields": ["duty_to_share_from"]}),
        (
            "Break-glass for safeguarding",
            {"fields": ["break_glass_roles", "break_glass_agencies", "break_glass_hours"]},
        ),
        (
            "Retention",
            {
                "description": (
                    "A closed family's records are anonymised once every record about them is past its date, "
                    'unless a child is under legal hold (see the README, "Retention and legal hold").'
                ),
                "fields": [
                    "retention_years_after_closure",
                    "retention_until_age",
                    "retention_child_in_need_age",
                    "retention_child_protection_age",
                    "retention_looked_after_age",
                    "retention_adoption_age",
                    "access_log_retention_months",
                ],
            },
        ),
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "early_help_lead" in form.base_fields:
            # The early help lead works for this council (a service administrator sees every council's users).
            field = form.base_fields["early_help_lead"]
            field.queryset = field.queryset.filter(agency__council=obj) if obj else field.queryset.none()
        if "break_glass_roles" in form.base_fields:
            roles = form.base_fields["break_glass_roles"]
            form.base_fields["break_glass_roles"] = forms.TypedMultipleChoiceField(
                label=roles.label,
                help_text=roles.help_text,
                choices=[(role.value, role.label) for role in Role if role != Role.CAF_ADMINISTRATOR],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )
        if "break_glass_agencies" in form.base_fields:
            field = cast(ModelMultipleChoiceField, form.base_fields["break_glass_agencies"])
            field.widget = forms.CheckboxSelectMultiple()  # before the queryset, which sets its choices
            # The council's own agencies first, then every other council's of the instance, named with
            # their council: a partner council's emergency duty team often covers several councils
            # (Settled question 24). Its staff then find and open this council's children with break-glass.
            field.queryset = (
                Agency.objects.select_related("council")
                .annotate(elsewhere=Case(When(council=obj, then=Value(0)), default=Value(1)))
                .order_by("elsewhere", "council__name", "name")
                if obj
                else Agency.objects.none()
            )
            field.label_from_instance = lambda agency: (  # type: ignore[method-assign,assignment]
                agency.name if agency.council_id == obj.pk else f"{agency.name} ({agency.council.name})"
            )
            field.help_text = (
                "Every member of staff of these agencies may use break-glass. Agencies of other councils are named "
                "with their council: tick a partner council's emergency duty team if it covers this council out of "
                "hours."
            )
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if request.user.is_superuser else ["name", "slug"]

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> dict[str, list[str]]:
        return self.prepopulated_fields if request.user.is_superuser else {}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser


@admin.register(Locality)
class LocalityAdmin(CouncilScopedAdmin):
    list_display = ["name", "council"]
    search_fields = ["name"]


class AgencyAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        manager, council = cleaned.get("manager"), cleaned.get("council")
        if manager is not None and council is not None and manager.council_id != council.pk:
            self.add_error("manager", "Choose a manager who works for this council.")
        return cleaned


@admin.register(Agency)
class AgencyAdmin(CouncilScopedAdmin):
    form = AgencyAdminForm
    list_display = ["name", "agency_type", "locality", "manager", "council"]
    list_filter = ["agency_type", "locality"]
    search_fields = ["name"]
    list_select_related = ["locality", "council", "manager"]


EMAIL_IN_USE = "Someone already has an account with this e-mail address."


class UserAddForm(forms.ModelForm):
    """A new user gets no password from anyone: they are e-mailed a link to choose one."""

    email = NormalisedEmailField(label="E-mail address", max_length=254)

    class Meta:
        model = User
        fields = ["email", "full_name", "job_title", "agency", "groups"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email=email).exists():
            raise forms.ValidationError(EMAIL_IN_USE)
        return email


class UserChangeForm(forms.ModelForm):
    email = NormalisedEmailField(
        label="E-mail address",
        max_length=254,
        help_text="Changing it sends a link to the new address: it changes only when the person follows the link.",
    )

    class Meta:
        model = User
        fields = [
            "email",
            "full_name",
            "job_title",
            "agency",
            "groups",
            "is_active",
            "is_superuser",
            "user_permissions",
        ]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(EMAIL_IN_USE)
        return email


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChangeForm
    add_form = UserAddForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "agency", "role_list", "is_active", "last_login"]
    list_filter = ["is_active", "groups", "agency__agency_type"]
    search_fields = ["full_name", "email", "agency__name"]
    list_select_related = ["agency"]
    readonly_fields = ["email_change_pending", "second_factor", "last_login", "date_joined"]
    filter_horizontal = []
    add_fieldsets = [(None, {"fields": ["email", "full_name", "job_title", "agency", "groups"]})]
    # No password field for anyone: a person chooses their own through the e-mailed link.
    council_admin_fieldsets = [
        (None, {"fields": ["email", "email_change_pending", "full_name", "job_title", "agency"]}),
        ("Roles and access", {"fields": ["groups", "is_active", "second_factor"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]
    superuser_fieldsets = [
        (None, {"fields": ["email", "email_change_pending", "full_name", "job_title", "agency"]}),
        ("Roles and access", {"fields": ["groups", "is_active", "second_factor", "is_superuser", "user_permissions"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        users = super().get_queryset(request).for_user(request.user).prefetch_related("groups")
        # A council administrator never sees, so never changes, a service administrator's account.
        return users if request.user.is_superuser else users.exclude(is_superuser=True)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        raise PermissionDenied("People choose their own passwords, through the link e-mailed to them.")

    @admin.display(description="e-mail change waiting")
    def email_change_pending(self, user: User) -> str:
        pending = user.email_changes.filter(confirmed_at__isnull=True, cancelled_at__isnull=True).first()
        if pending is None:
            return "None"
        asked = timezone.localtime(pending.requested_at)
        return f"To {pending.new_email}, asked by {pending.requested_by} on {asked:%-d %B %Y at %H:%M}"

    @admin.display(description="two-factor sign-in")
    def second_factor(self, user: User) -> str:
        status = two_factor.status_of(user)
        if status.device is None:
            needed = " (their role needs it: they set it up at their next sign-in)" if status.required else ""
            return f"Not set up{needed}"
        since = timezone.localtime(status.device.created_at)
        reset = reverse("admin:accounts_user_two_factor_reset", args=[user.pk])
        return format_html(
            'Set up on {}, {} recovery code{} left. <a href="{}">Reset two-factor sign-in</a>',
            f"{since:%-d %B %Y}",
            status.recovery_codes_left,
            "" if status.recovery_codes_left == 1 else "s",
            reset,
        )

    def get_urls(self) -> list[URLPattern]:
        reset = path(
            "<int:user_id>/two-factor-reset/",
            self.admin_site.admin_view(self.two_factor_reset_view),
            name="accounts_user_two_factor_reset",
        )
        return [reset, *super().get_urls()]

    def two_factor_reset_view(self, request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
        """Reset someone's second factor (a lost phone): asks to confirm, then does it and records it.
        Only people this administrator may see (another council's are not found)."""
        person = get_object_or_404(self.get_queryset(request), pk=user_id)
        if not two_factor.may_reset(request.user, person):
            raise PermissionDenied("You may reset the second factor only of people in your own council.")
        if request.method == "POST":
            two_factor.two_factor_reset(
                person=person, reset_by=request.user, current_session_key=request.session.session_key
            )
            self.message_user(
                request,
                f"{person}'s two-factor sign-in is reset and they are signed out everywhere. They set it up "
                "again at their next sign-in, and we have e-mailed them to say so.",
            )
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[person.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "person": person,
            "status": two_factor.status_of(person),
            "title": f"Reset two-factor sign-in for {person}",
        }
        return TemplateResponse(request, "admin/accounts/user/two_factor_reset.html", context)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return self.superuser_fieldsets if request.user.is_superuser else self.council_admin_fieldsets

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="roles")
    def role_list(self, user: User) -> str:
        # Roles only: the groups that stand for agencies in object permissions are not roles.
        return ", ".join(sorted(group.name for group in user.groups.all() if group.name in Role.values))

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any) -> ModelChoiceField:
        if db_field.name == "agency":
            kwargs["queryset"] = Agency.objects.for_user(request.user).select_related("council")
            kwargs["required"] = not request.user.is_superuser
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: ManyToManyField, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField:
        if db_field.name == "groups":
            # Only the service's roles; a council administrator cannot hand out anything else.
            kwargs["queryset"] = Group.objects.filter(name__in=Role.values).order_by("name")
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["help_text"] = "What this person does in the service."
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        new_email = None
        if change and "email" in form.changed_data:
            # The account keeps its address until the person confirms the new one.
            new_email, obj.email = obj.email, form.initial["email"]
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if new_email:
            user_email_change_request(user=obj, new_email=new_email, requested_by=request.user)
            self.message_user(
                request,
                f"We have sent a link to {new_email}. {obj}'s e-mail address changes when they follow it; "
                f"until then it stays {obj.email}.",
            )

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        # The admin page's transaction holds the roles and their history together.
        before = user_roles_of(form.instance) if change else set()
        # The form offers roles only, and saving it sets the groups to the roles ticked: keep the
        # other groups (an agency's sharing group, which the user's save has just brought up to date).
        kept = list(form.instance.groups.exclude(name__in=Role.values))
        super().save_related(request, form, formsets, change)
        if kept:
            form.instance.groups.add(*kept)
        user_roles_record(user=form.instance, changed_by=request.user, before=before)
        user_staff_sync(user=form.instance)
        if not change:
            user_invitation_send(user=form.instance)


@admin.register(RoleChange)
class RoleChangeAdmin(admin.ModelAdmin):
    """Who gave or took away which role, and when: read-only, for the council's administrators."""

    list_display = ["changed_at", "user", "change", "changed_by"]
    list_filter = ["role", "action"]
    search_fields = ["user__full_name", "changed_by__full_name"]
    list_select_related = ["user", "changed_by"]
    date_hierarchy = "changed_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        changes = super().get_queryset(request).for_user(request.user)
        return changes if request.user.is_superuser else changes.exclude(user__is_superuser=True)

    @admin.display(description="change", ordering="role")
    def change(self, role_change: RoleChange) -> str:
        return f"{role_change.role} role {role_change.get_action_display()}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TwoFactorReset)
class TwoFactorResetAdmin(admin.ModelAdmin):
    """Whose second factor was reset, by whom, and when: read-only, for the council's administrators."""

    list_display = ["reset_at", "user", "reset_by"]
    search_fields = ["user__full_name", "reset_by__full_name"]
    list_select_related = ["user", "reset_by"]
    date_hierarchy = "reset_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        resets = TwoFactorReset.objects.for_user(request.user).select_related("user", "reset_by")
        return resets if request.user.is_superuser else resets.exclude(user__is_superuser=True)


class IssuerField(forms.URLField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(assume_scheme="https", **kwargs)


class IdentityProviderAdminForm(forms.ModelForm):
    """The client secret is typed, encrypted and never shown again (accounts.sso): leaving it blank
    keeps the one saved."""

    client_secret = forms.CharField(
        label="client secret",
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="The secret's value from the app registration. It is stored encrypted and never shown again; "
        "leave it blank to keep the one saved.",
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "council",
            "agency",
            "name",
            "issuer",
            "client_id",
            "allowed_domains",
            "enforces_multi_factor",
            "enabled",
        ]
        field_classes = {"issuer": IssuerField}

    def clean_issuer(self) -> str:
        # Discovery appends /.well-known/openid-configuration; the ID token's iss has no trailing slash.
        return self.cleaned_data["issuer"].rstrip("/")

    def clean_allowed_domains(self) -> list[str]:
        return sorted({domain_normalise(each) for each in self.cleaned_data["allowed_domains"] if each.strip()})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        agency, council = cleaned.get("agency"), cleaned.get("council")
        if agency is not None and council is not None and agency.council_id != council.pk:
            self.add_error("agency", "Choose an agency of this council.")
        return cleaned

    def save(self, commit: bool = True) -> IdentityProvider:
        provider = super().save(commit=False)
        if self.cleaned_data.get("client_secret"):
            provider.client_secret_encrypted = client_secret_encrypt(self.cleaned_data["client_secret"])
        if commit:
            provider.save()
        return provider


@admin.register(IdentityProvider)
class IdentityProviderAdmin(CouncilScopedAdmin):
    """Single sign-on: the identity providers of the administrator's council (README, "Single sign-on")."""

    form = IdentityProviderAdminForm
    list_display = ["name", "agency", "issuer", "domains", "enabled", "council"]
    list_filter = ["enabled"]
    search_fields = ["name", "issuer", "client_id"]
    list_select_related = ["agency", "council"]
    readonly_fields = ["secret_saved", "redirect_uri"]
    fieldsets = [
        (None, {"fields": ["council", "agency", "name", "enabled"]}),
        ("OpenID Connect", {"fields": ["issuer", "client_id", "client_secret", "secret_saved", "redirect_uri"]}),
        ("Who may sign in with it", {"fields": ["allowed_domains"]}),
        ("Second factor", {"fields": ["enforces_multi_factor"]}),
    ]

    @admin.display(description="e-mail domains")
    def domains(self, provider: IdentityProvider) -> str:
        return ", ".join(provider.allowed_domains)

    @admin.display(description="client secret saved")
    def secret_saved(self, provider: IdentityProvider) -> str:
        return "Yes (encrypted)" if provider.client_secret_encrypted else "No"

    @admin.display(description="redirect URI to register with the provider")
    def redirect_uri(self, provider: IdentityProvider) -> str:
        return f"{settings.SITE_URL.rstrip('/')}{reverse('sso_callback')}"


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin):
    """Whose account is linked to which person at which provider, and when: read-only (a link is made
    only by the person's first single sign-on)."""

    list_display = ["user", "provider", "linked_at", "linked_by_email"]
    search_fields = ["user__full_name", "user__email", "subject"]
    list_select_related = ["user", "provider"]
    readonly_fields = ["user", "provider", "issuer", "subject", "linked_at", "linked_by_email"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        links = IdentityLink.objects.for_user(request.user).select_related("user", "provider")
        return links if request.user.is_superuser else links.exclude(user__is_superuser=True)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.unregister(Group)
# Second factors are reset (and recorded) from the person's page, never edited or read here: a
# device's page would show its secret.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)
