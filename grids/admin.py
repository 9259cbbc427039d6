from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

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


class UserAdminForm(forms.ModelForm):
    roles = RolesField(choices=Role.choices, required=False, label="角色")

    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class FengqiaoUserAdmin(UserAdmin):
    form = UserAdminForm
    list_display = ["username", "full_name", "roles", "community", "is_active"]
    list_filter = ["is_active", "community"]
    search_fields = ["username", "full_name"]
    filter_horizontal = ["grids", "groups", "user_permissions"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("身份与范围", {"fields": ("full_name", "email", "roles", "subdistrict", "community", "grids")}),
        ("权限", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )


@admin.register(SensitivePeriod)
class SensitivePeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "start", "end"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["grid", "kind", "period", "disputes_found", "cases_registered", "zero_report", "filed_by"]
    list_filter = ["kind", "zero_report", "grid__community"]
    date_hierarchy = "period"
