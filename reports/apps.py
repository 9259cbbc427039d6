from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "报表"

    def ready(self):
        from common.append_only import protect

        from .summary import install_after_migrate

        # The history table's triggers carry settings (time zone, start date): reinstalled after
        # every migrate, as the append-only triggers are.
        install_after_migrate(self)
        # A snapshot, and a district's report made from its subdistricts' snapshots, are evidence of
        # what the figures were: regenerating makes a new version.
        protect(self, {"Snapshot": (), "DistrictReport": ()})
