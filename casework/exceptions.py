"""The refusals of the case services, of the family in common/refusals.py (which maps them to 403 / 409
and a message, on the web and in the API)."""

from django.utils.translation import gettext as _

from common.refusals import NotAvailable, NotPermitted, Refusal


class CaseError(Refusal):
    """Base of every refusal by a case service."""


class CasePermissionDenied(CaseError, NotPermitted):
    """The user may see the case but may not do this to it (HTTP 403)."""


class TransitionUnavailable(CaseError, NotAvailable):
    """Not available from the case's current state, or a requirement is unmet (HTTP 409)."""


class CaseConflict(TransitionUnavailable):
    """The case changed between reading and writing it: a lost race (HTTP 409)."""

    def __init__(self, message: str = "", *, changed_by: str = "", changed_at=None):
        self.changed_by = changed_by
        self.changed_at = changed_at
        if not message:
            if changed_by and changed_at:
                message = _("此案件已被%(who)s于%(when)s修改，请查看最新状态后再操作。") % {
                    "who": changed_by,
                    "when": changed_at.strftime("%Y-%m-%d %H:%M:%S"),
                }
            else:
                message = _("此案件已被他人修改，请刷新后再操作。")
        super().__init__(message)
