from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = "网格与人员"

    def ready(self):
        from common.append_only import protect

        from . import signals  # noqa: F401  (a new session's sign-in state)

        # A screening return and the disputes resolved on the spot under it are filed once: the
        # lateness and omissions they record are findings of their own.
        protect(self, {"Inspection": (), "SpotResolution": ()})
