"""Administration pages. A council administrator manages only their own council's settings,
localities, agencies and users; a service administrator (superuser) sees every council.
Nothing is deleted here: people leave by being made inactive, so their history stays readable."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import ForeignKey, ManyToManyField, QuerySet
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import HttpRequest

from accounts.models import Agency, LocalAuthority, Locality, Role, User
from accounts.services import user_invitation_send, user_staff_sync

admin.site.site_header = "Early help case management: administration"
admin.site.site_title = "Administration"


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
            kwargs["queryset"] = User.objects.for_user(request.user).filter(is_active=True)
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
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if "early_help_lead" in form.base_fields:
            # The early help lead works for this council (a service administrator sees every council's users).
            field = form.base_fields["early_help_lead"]
            field.queryset = field.queryset.filter(agency__council=obj) if obj else field.queryset.none()
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


class UserAddForm(forms.ModelForm):
    """A new user gets no password from anyone: they are e-mailed a link to choose one."""

    class Meta:
        model = User
        fields = ["email", "full_name", "job_title", "agency", "groups"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("Someone already has an account with this e-mail address.")
        return email


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserAddForm
    ordering = ["full_name"]
    list_display = ["full_name", "email", "agency", "role_list", "is_active", "last_login"]
    list_filter = ["is_active", "groups", "agency__agency_type"]
    search_fields = ["full_name", "email", "agency__name"]
    list_select_related = ["agency"]
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = []
    add_fieldsets = [(None, {"fields": ["email", "full_name", "job_title", "agency", "groups"]})]
    council_admin_fieldsets = [
        (None, {"fields": ["email", "full_name", "job_title", "agency"]}),
        ("Roles and access", {"fields": ["groups", "is_active"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]
    superuser_fieldsets = [
        (None, {"fields": ["email", "password", "full_name", "job_title", "agency"]}),
        ("Roles and access", {"fields": ["groups", "is_active", "is_superuser", "user_permissions"]}),
        ("History", {"fields": ["last_login", "date_joined"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_user(request.user).prefetch_related("groups")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fieldsets
        return self.superuser_fieldsets if request.user.is_superuser else self.council_admin_fieldsets

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="roles")
    def role_list(self, user: User) -> str:
        return ", ".join(sorted(group.name for group in user.groups.all()))

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
        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user_staff_sync(user=form.instance)
        if not change:
            user_invitation_send(user=form.instance, base_url=request.build_absolute_uri("/"))


admin.site.unregister(Group)
