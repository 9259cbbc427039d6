from django.contrib import admin

from .models import Notice, Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["kind", "period", "version", "generated_at", "generated_by", "reason"]
    list_filter = ["kind"]

    # Snapshots are immutable evidence: read them here, make them through the service.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "case", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "case"]
