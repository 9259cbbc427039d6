from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "报表"

    def ready(self):
        from common.append_only import protect

        # A snapshot is evidence of what the figures were: regenerating makes a new version.
        protect(self, {"Snapshot": ()})
