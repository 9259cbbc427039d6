from django.contrib import admin

from common.admin import RecordAdmin

from .models import Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(RecordAdmin):
    list_display = ["subdistrict", "kind", "period", "version", "generated_at", "generated_by", "reason"]
    list_filter = ["subdistrict", "kind"]
