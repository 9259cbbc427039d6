from django.contrib import admin

from common.admin import RecordAdmin

from .models import LedgerImport


@admin.register(LedgerImport)
class LedgerImportAdmin(RecordAdmin):
    list_display = ["requested_at", "filename", "requested_by", "subdistrict", "dry_run", "valid_only", "state"]
    list_filter = ["state", "subdistrict"]
    # The row-by-row report is read on the import's page; here, who imported which file when.
    exclude = ["report"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("report")
