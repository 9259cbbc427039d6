from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = "调解"

    def ready(self):
        from common.append_only import protect

        # The record of mediation is append-only in the database (common.append_only). The
        # agreement's judicial-confirmation columns hold the current answer; each change is also
        # appended to the case's events.
        protect(
            self,
            {
                "MediationSession": (),
                "SessionParty": (),
                "FollowUp": (),
                "ConflictDeclaration": (),
                "OrganizationConflict": (),
                "Agreement": ("judicial_confirmation", "judicial_applied_on", "judicial_court", "judicial_answered_on"),
            },
        )
