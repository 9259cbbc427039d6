from django.contrib import admin

from .models import MediationOrganization, Mediator


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
