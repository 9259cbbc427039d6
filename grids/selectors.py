"""Reads of territory and people: who holds a role, which screening returns a user may read."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q

from .enums import InspectionKind, Role
from .models import Inspection, SensitivePeriod, User, period_end, period_label


def users_with_roles(*roles, subdistrict_id=None, district_id=None) -> list:
    # Roles are a JSON list and JSON containment differs by backend (SQLite under `make run`),
    # so the roles are checked on the active accounts of the subdistrict, a short list.
    users = User.objects.filter(is_active=True).order_by("pk")
    if subdistrict_id is not None:
        users = users.filter(subdistrict_id=subdistrict_id)
    if district_id is not None:
        users = users.filter(district_id=district_id)
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
    return (
        Inspection.objects.filter(filed_by=user)
        .select_related("grid__community")
        .annotate(on_spot=Count("resolutions"))
        .order_by("-filed_at")[:limit]
    )


# How far back a grid worker is shown the daily returns they missed (补报 is still possible after).
MISSED_DAILY_DAYS = 7


def returns_owed(grids, today: dt.date) -> list[dict]:
    """The returns not yet filed for `grids`: today's (in a sensitive period) and this month's, then
    the missed ones (last month's, the sensitive days of the past week), oldest first.

    Three queries whatever the number of grids: the grids, the sensitive days, the returns filed.
    """
    grids = list(grids)
    if not grids:
        return []
    month = today.replace(day=1)
    last_month = (month - dt.timedelta(days=1)).replace(day=1)
    window_start = today - dt.timedelta(days=MISSED_DAILY_DAYS)
    sensitive = set()
    for period in SensitivePeriod.objects.overlapping(window_start, today):
        day = max(period.start, window_start)
        while day <= min(period.end, today):
            sensitive.add(day)
            day += dt.timedelta(days=1)
    wanted = [(InspectionKind.MONTHLY, last_month), (InspectionKind.MONTHLY, month)]
    wanted += [(InspectionKind.DAILY, day) for day in sorted(sensitive)]
    filed = set(
        Inspection.objects.filter(grid__in=grids)
        .filter(
            Q(kind=InspectionKind.MONTHLY, period__in=[last_month, month])
            | Q(kind=InspectionKind.DAILY, period__in=sensitive)
        )
        .values_list("grid_id", "kind", "period")
    )
    owed = []
    for grid in grids:
        for kind, period in wanted:
            if (grid.pk, kind, period) in filed:
                continue
            owed.append(
                {
                    "grid": grid,
                    "kind": kind,
                    "period": period,
                    "label": period_label(kind, period),
                    "missed": period_end(kind, period) < today,
                    "param": period.strftime("%Y-%m") if kind == InspectionKind.MONTHLY else period.isoformat(),
                }
            )
    # What is owed now first (today's, then this month's), then the missed ones, oldest first.
    owed.sort(
        key=lambda row: (
            row["missed"],
            row["kind"] != InspectionKind.DAILY if not row["missed"] else 0,
            row["period"],
            row["grid"].pk,
        )
    )
    return owed
