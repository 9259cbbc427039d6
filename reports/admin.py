from django.contrib import admin

from .models import LedgerImport, Notice, Snapshot


class RecordAdmin(admin.ModelAdmin):
    """Records of what happened: read them here; they are made through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Snapshot)
class SnapshotAdmin(RecordAdmin):
    list_display = ["kind", "period", "version", "generated_at", "generated_by", "reason"]
    list_filter = ["kind"]


@admin.register(LedgerImport)
class LedgerImportAdmin(RecordAdmin):
    list_display = ["requested_at", "filename", "requested_by", "subdistrict", "dry_run", "valid_only", "state"]
    list_filter = ["state", "subdistrict"]
    # The row-by-row report is read on the import's page; here, who imported which file when.
    exclude = ["report"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "report")


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "case", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "case"]
