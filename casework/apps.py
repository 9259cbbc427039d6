from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "案件"

    def ready(self):
        from common.append_only import protect

        from . import checks  # noqa: F401  (registers the calendar's horizon check)
        from .filters import watch_reference_data

        watch_reference_data()

        # The case's file of events, and the district's supervision orders and their answers, are
        # append-only in the database (common.append_only).
        protect(self, {"CaseEvent": (), "SupervisionOrder": (), "SupervisionAnswer": ()})
