from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "审计与通知"

    def ready(self):
        from . import checks, crypto, signals  # noqa: F401  (signals: the sign-in audit; checks: shared state)
        from .append_only import protect

        # Malformed field keys stop the start here, not at the first party read.
        crypto.keyring()

        # The access audit is kept whole, and so is what each person was told and by which channel:
        # a notice may only be marked read, a delivery only move through its attempts to sent or failed.
        protect(
            self,
            {
                "AuditEntry": (),
                "Notice": ("read_at",),
                "NoticeDelivery": ("status", "attempts", "error", "reference", "sent_at"),
            },
        )
