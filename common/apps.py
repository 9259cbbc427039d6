from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "审计与通知"

    def ready(self):
        from . import crypto, signals  # noqa: F401  (signals connects the sign-in audit)

        # Malformed field keys stop the start here, not at the first party read.
        crypto.keyring()
