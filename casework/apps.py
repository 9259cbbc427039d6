from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "案件"

    def ready(self):
        from . import checks  # noqa: F401  (registers the calendar's horizon check)
