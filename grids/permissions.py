"""Who is who in the territory: predicates over an already-loaded user, read by every app above."""

from .enums import Role
from .models import Subdistrict


def user_grid_ids(user) -> frozenset[int]:
    """The grids a grid worker covers, read once per request-scoped user object."""
    cached = getattr(user, "_fq_grid_ids", None)
    if cached is None:
        cached = frozenset(user.grids.values_list("id", flat=True)) if user.has_role(Role.GRID_WORKER) else frozenset()
        user._fq_grid_ids = cached
    return cached


def district_subdistrict_ids(user) -> frozenset[int]:
    """The subdistricts of a district reader's district, read once per request-scoped user object."""
    cached = getattr(user, "_fq_district_subdistrict_ids", None)
    if cached is None:
        cached = frozenset()
        if user.is_district_wide:
            cached = frozenset(Subdistrict.objects.filter(district_id=user.district_id).values_list("id", flat=True))
        user._fq_district_subdistrict_ids = cached
    return cached


def is_district_reader_for(user, subdistrict_id) -> bool:
    """District staff and leaders read (never change) what belongs to their district's subdistricts."""
    return active(user) and user.is_district_wide and subdistrict_id in district_subdistrict_ids(user)


def active(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_grid_worker_for(user, grid_id) -> bool:
    return active(user) and user.has_role(Role.GRID_WORKER) and grid_id in user_grid_ids(user)
