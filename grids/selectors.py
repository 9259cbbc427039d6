"""Reads of territory and people: who holds a role, which screening returns a user may read."""

from django.db.models import Exists, OuterRef, Q

from .enums import Role
from .models import Inspection, User


def users_with_roles(*roles, subdistrict_id=None) -> list:
    # Roles are a JSON list and JSON containment differs by backend (SQLite under `make run`),
    # so the roles are checked on the active accounts of the subdistrict, a short list.
    users = User.objects.filter(is_active=True).order_by("pk")
    if subdistrict_id is not None:
        users = users.filter(subdistrict_id=subdistrict_id)
    return [user for user in users if any(user.has_role(role) for role in roles)]


def inspections_visible_to(user):
    """The screening returns `user` may read: a grid worker's grids, community staff's community,
    the centre's and the leaders' subdistrict (the same territories as `cases_visible_to`)."""
    if not (user and user.is_authenticated and user.is_active):
        return Inspection.objects.none()
    scope = Q()
    if user.subdistrict_id and user.is_subdistrict_wide:
        scope |= Q(grid__community__subdistrict_id=user.subdistrict_id)
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        scope |= Q(grid__community_id=user.community_id)
    if user.has_role(Role.GRID_WORKER):
        # Exists, not a join: a grid with several workers must not list its returns twice.
        scope |= Q(Exists(user.grids.through.objects.filter(user_id=user.id, grid_id=OuterRef("grid_id"))))
    if not scope:
        return Inspection.objects.none()
    return Inspection.objects.filter(scope)


def inspections_filed_by(user, limit: int = 50):
    return Inspection.objects.filter(filed_by=user).select_related("grid__community").order_by("-filed_at")[:limit]
