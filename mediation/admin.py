from django.contrib import admin

from casework import permissions

from . import services
from .models import MediationOrganization, Mediator, OrganizationConflict


@admin.register(MediationOrganization)
class MediationOrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "contact", "active"]
    list_filter = ["kind", "active"]


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "organization", "user", "active", "available"]
    list_filter = ["kind", "organization", "active", "available"]
    search_fields = ["name"]
    list_select_related = ["organization", "user"]


@admin.register(OrganizationConflict)
class OrganizationConflictAdmin(admin.ModelAdmin):
    """组织回避: entered by centre staff through the service, which also takes the organisation's
    mediators off the cases under way; never changed or deleted afterwards."""

    list_display = ["organization", "party_name", "reason", "declared_by", "declared_at"]
    list_select_related = ["organization", "declared_by"]
    search_fields = ["party_name", "organization__name"]
    fields = ["organization", "party_name", "reason"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and permissions.is_centre_staff_for(
            request.user, request.user.subdistrict_id
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        declared = services.organization_conflict_declare(
            actor=request.user, organization=obj.organization, party_name=obj.party_name, reason=obj.reason
        )
        obj.pk = declared.pk
