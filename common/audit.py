"""Writing the access audit (AuditEntry): sign-ins, role changes, reveals and exports of personal data."""

from django.utils import timezone

from .enums import AuditAction
from .models import AuditEntry


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: behind the production proxy it is the proxy's job to be the only
    # client (gunicorn's --forwarded-allow-ips sets it from X-Forwarded-For there).
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def audit(action: str, *, actor=None, username: str = "", request=None, target: str = "", detail=None) -> AuditEntry:
    if actor is not None and getattr(actor, "is_authenticated", False):
        username = username or actor.get_username()
    else:
        actor = None
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor=actor,
        username=(username or "")[:150],
        action=action,
        target=target[:100],
        detail=detail or {},
        ip=client_ip(request),
    )


def audit_export(request, *, what: str, rows: int, masked: bool) -> AuditEntry:
    return audit(
        AuditAction.EXPORTED,
        actor=request.user,
        request=request,
        target=what,
        detail={"rows": rows, "masked": masked},
    )


def audit_reveal(request, *, case_id: int, number: str) -> AuditEntry:
    return audit(
        AuditAction.PERSONAL_DATA_REVEALED,
        actor=request.user,
        request=request,
        target=f"case:{case_id}",
        detail={"number": number},
    )


def audit_search(request, *, field: str, masked: str, where: str) -> AuditEntry:
    """A search by a party's whole ID number or phone: it tells who has that number, like a reveal.
    The audit keeps the masked number, not the number itself."""
    return audit(
        AuditAction.PERSONAL_DATA_SEARCHED,
        actor=request.user,
        request=request,
        target=where,
        detail={"field": field, "value": masked},
    )


def scope_of(user) -> dict:
    """What a role change can alter: roles, territory and admin powers."""
    return {
        "roles": sorted(user.roles or []),
        "district": user.district_id,
        "subdistrict": user.subdistrict_id,
        "community": user.community_id,
        "grids": sorted(user.grids.values_list("id", flat=True)) if user.pk else [],
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


def audit_scope_change(request, user, before: dict | None) -> AuditEntry | None:
    after = scope_of(user)
    if before == after:
        return None
    return audit(
        AuditAction.ROLES_CHANGED,
        actor=request.user,
        request=request,
        target=f"user:{user.pk}",
        detail={"user": user.get_username(), "before": before, "after": after},
    )
