from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "台账"

    def ready(self):
        from common.append_only import protect

        # Who uploaded which file (its digest), when and in what mode is the record; the import's
        # progress and outcome move on as a worker runs it, and the file is let go once read.
        protect(
            self,
            {"LedgerImport": ("state", "attempts", "started_at", "finished_at", "report", "error", "file")},
        )
