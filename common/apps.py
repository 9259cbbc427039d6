from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "审计与通知"

    def ready(self):
        from . import checks, crypto, signals  # noqa: F401  (signals: the sign-in audit; checks: shared state)

        # Malformed field keys stop the start here, not at the first party read.
        crypto.keyring()
