"""Reference data is edited here. Cases are shown read-only: they change only through the
services (the workflow pages and the API), and their status field is never editable."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from .calendar import horizon_gaps, load_sheet, read_calendar_sheet
from .models import CalendarDay, CaseEvent, Category, DisputeCase, Party
from .selectors import cases_visible_to


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "sort_order"]
    list_editable = ["active", "sort_order"]


class CalendarSheetForm(forms.Form):
    sheet = forms.FileField(
        label="日历表格（.xlsx）",
        help_text="每行一天：日期（2027-01-01）、类型（休 / 班）、名称（春节）；第一行可为表头。一个文件载入一年。",
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    change_list_template = "admin/casework/calendarday/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_sheet)
        return [path("import/", view, name="casework_calendarday_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        for gap in horizon_gaps(timezone.localdate()):
            messages.warning(request, f"{gap.message}{gap.hint}")
        return super().changelist_view(request, extra_context)

    def import_sheet(self, request):
        """An administrator loads a year the package does not know yet; a bad sheet writes nothing."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CalendarSheetForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            sheet = read_calendar_sheet(form.cleaned_data["sheet"])
            errors = sheet.errors
            if not errors:
                with transaction.atomic():
                    load = load_sheet(sheet)
                messages.success(
                    request,
                    f"{load.year} 年：新增 {len(load.created)} 天，已有 {load.unchanged} 天，"
                    f"保留与表格不同的已有记录 {len(load.changed)} 天；周末的“休”{sheet.weekend_holidays} 天无需记录。",
                )
                return redirect("admin:casework_calendarday_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入年度日历",
            "form": form,
            "sheet_errors": errors,
        }
        return TemplateResponse(request, "admin/casework/calendarday/import.html", context)


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
