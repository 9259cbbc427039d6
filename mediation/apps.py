from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = "调解"

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from casework.filters import register_tab
        from common.append_only import protect

        from .models import Agreement

        # 待申请司法确认: agreed cases whose art. 33 window is open and nobody applied.
        register_tab(
            "judicial",
            _("待司法确认"),
            lambda qs, today: qs.filter(agreement__in=Agreement.objects.awaiting_application(today)),
        )

        # The record of mediation is append-only in the database (common.append_only). Of the
        # agreement only its judicial-confirmation status changes: it mirrors the latest of the
        # appended judicial-confirmation entries.
        protect(
            self,
            {
                "MediationSession": (),
                "SessionParty": (),
                "FollowUp": (),
                "ConflictDeclaration": (),
                "OrganizationConflict": (),
                "Agreement": ("judicial_confirmation",),
                "JudicialConfirmationEntry": (),
            },
        )
