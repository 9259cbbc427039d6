from django.contrib import admin

from .models import AuditEntry, Notice, NoticeDelivery


class RecordAdmin(admin.ModelAdmin):
    """Records of what happened: read them here; they are made through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(RecordAdmin):
    list_display = ["at", "action", "username", "target", "ip"]
    list_filter = ["action"]
    search_fields = ["username", "target"]
    date_hierarchy = "at"


@admin.register(Notice)
class NoticeAdmin(RecordAdmin):
    list_display = ["user", "kind", "case", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["user", "case"]


@admin.register(NoticeDelivery)
class NoticeDeliveryAdmin(RecordAdmin):
    """Each notice's e-mails and SMS: what was sent, and what failed with the gateway's or server's answer."""

    list_display = ["notice", "channel", "status", "attempts", "error", "sent_at"]
    list_filter = ["channel", "status"]
    raw_id_fields = ["notice"]
