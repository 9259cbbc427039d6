from django.apps import AppConfig


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = "网格与人员"

    def ready(self):
        from . import signals  # noqa: F401  (a new session's sign-in state)
