from django.contrib import admin

from common.admin import RecordAdmin

from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(RecordAdmin):
    list_display = ["kind", "period", "version", "generated_at", "generated_by", "reason"]
    list_filter = ["kind"]
