from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.admin import RecordAdmin
from common.audit import audit, audit_scope_change, scope_of
from common.enums import AuditAction

from . import twofactor
from .enums import Role
from .models import Community, Grid, Inspection, SensitivePeriod, Subdistrict, User


@admin.register(Subdistrict)
class SubdistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]


class GridInline(admin.TabularInline):
    model = Grid
    extra = 0


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "subdistrict"]
    list_filter = ["subdistrict"]
    inlines = [GridInline]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "community"]
    list_filter = ["community"]
    search_fields = ["name", "code"]


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class UserAdminForm(UserChangeForm):
    roles = RolesField(choices=Role.choices, required=False, label="角色")

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserAddForm(UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)


@admin.register(User)
class FengqiaoUserAdmin(UserAdmin):
    form = UserAdminForm
    add_form = UserAddForm
    list_display = ["username", "full_name", "role_labels", "community", "is_active"]
    list_filter = ["is_active", "community"]
    search_fields = ["username", "full_name"]
    filter_horizontal = ["grids", "groups", "user_permissions"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("身份与范围", {"fields": ("full_name", "email", "roles", "subdistrict", "community", "grids")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser", "must_change_password")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )

    @admin.display(description="角色")
    def role_labels(self, user):
        labels = dict(Role.choices)
        return "、".join(str(labels.get(role, role)) for role in user.roles or []) or "—"

    # The add form is Django's UserCreationForm, which has no "usable password" switch.
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),)

    def save_model(self, request, obj, form, change):
        # The scope before the change; the grids (m2m) are saved later, in save_related.
        request._fq_scope_before = scope_of(User.objects.get(pk=obj.pk)) if change else None
        if not change:
            # The administrator knows the initial password: the owner replaces it at first sign-in.
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        audit_scope_change(request, form.instance, getattr(request, "_fq_scope_before", None))


@admin.register(SensitivePeriod)
class SensitivePeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end"]


@admin.register(Inspection)
class InspectionAdmin(RecordAdmin):
    """Read-only: a return is filed through the service (grids.services.inspection_file), which
    checks the grid, the period and the counts."""

    list_display = ["grid", "kind", "period", "disputes_found", "cases_registered", "zero_report", "filed_by"]
    list_filter = ["kind", "zero_report", "grid__community"]
    date_hierarchy = "period"


# django-otp's own admin pages list devices under English names; an administrator needs only to
# make someone enrol again (a lost phone), which the user list's action below does.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.action(description="重置双因素认证（丢失手机时：下次登录重新绑定）")
def reset_second_factor(modeladmin, request, queryset):
    for user in queryset:
        twofactor.reset(user=user)
        audit(
            AuditAction.ROLES_CHANGED,
            actor=request.user,
            request=request,
            target=f"user:{user.pk}",
            detail={"user": user.get_username(), "second_factor": "reset"},
        )


FengqiaoUserAdmin.actions = [reset_second_factor]
