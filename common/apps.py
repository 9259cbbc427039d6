from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "审计与通知"

    def ready(self):
        from . import signals  # noqa: F401  (connects the sign-in audit)
