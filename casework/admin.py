"""Reference data is edited here. Cases are shown read-only: they change only through the
services (the workflow pages and the API), and their status field is never editable."""

from django.contrib import admin

from .models import CalendarDay, CaseEvent, Category, DisputeCase, Party
from .selectors import cases_visible_to


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "sort_order"]
    list_editable = ["active", "sort_order"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartyInline(ReadOnlyInline):
    model = Party
    fields = ["role", "kind", "name", "masked_id_number", "masked_phone"]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["at", "actor", "name", "from_status", "to_status", "note"]
    readonly_fields = fields


@admin.register(DisputeCase)
class DisputeCaseAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "status",
        "community",
        "grid",
        "category",
        "risk",
        "level",
        "registered_at",
        "next_due",
    ]
    list_filter = ["status", "community", "category", "risk", "level", "is_warning"]
    search_fields = ["number", "description"]
    list_select_related = ["community", "grid", "category"]
    inlines = [PartyInline, EventInline]
    show_full_result_count = False

    def get_queryset(self, request):
        # The admin answers to the same visibility scope as every other page.
        return cases_visible_to(request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["co_mediators"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["at", "case", "actor", "name", "from_status", "to_status", "imported"]
    list_filter = ["name", "imported"]
    list_select_related = ["case", "actor"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(case__in=cases_visible_to(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
