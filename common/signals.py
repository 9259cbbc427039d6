"""Sign-ins and sign-outs are audited where Django announces them: its auth signals.

Besides grids.signals (a new session's idle clock), this is the one place we listen to signals: it
records, it decides nothing.
"""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import audit
from .enums import AuditAction


@receiver(user_logged_in, dispatch_uid="fengqiao_audit_login")
def _logged_in(sender, request, user, **kwargs):
    audit(AuditAction.LOGIN, actor=user, request=request)


@receiver(user_logged_out, dispatch_uid="fengqiao_audit_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit(AuditAction.LOGOUT, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="fengqiao_audit_login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Never the password: credentials are cleansed by Django, and we keep the username only.
    audit(
        AuditAction.LOGIN_FAILED,
        username=str(credentials.get("username", ""))[:150],
        request=request,
        # A wrong code at the second step (grids.twofactor) rather than a wrong password.
        detail={"second_factor": True} if kwargs.get("second_factor") else None,
    )
