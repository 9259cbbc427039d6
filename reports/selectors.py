"""Reads of the reports app. Drill-downs start from casework's one visibility scope."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from casework.selectors import case_list_related, cases_visible_to
from grids.enums import Role
from grids.models import Inspection

from .models import Notice, Snapshot
from .statistics import Period, drill_filter

REPORT_READER_ROLES = (Role.CENTRE_STAFF, Role.LEADER, Role.COMMUNITY_STAFF)


def can_read_reports(user) -> bool:
    active = bool(user and user.is_authenticated and user.is_active)
    return active and any(user.has_role(role) for role in REPORT_READER_ROLES)


def snapshot_list():
    # The figures can be large; the list shows only what identifies a version.
    return Snapshot.objects.select_related("generated_by").defer("figures", "fingerprint")


def snapshot_for(user, pk: int) -> Snapshot:
    """A report the user may read, or 404 (reports are for centre staff, leaders and community staff)."""
    if not can_read_reports(user):
        raise Http404
    try:
        return Snapshot.objects.select_related("generated_by").get(pk=pk)
    except Snapshot.DoesNotExist:
        raise Http404 from None


def snapshot_period(snapshot: Snapshot) -> Period:
    return Period.of(snapshot.kind, snapshot.period)


def drill_down(user, snapshot: Snapshot, key: str):
    """The cases behind one figure of a snapshot that the user may see; 404 for a key naming no figure.

    The figure's filter is evaluated with the snapshot's own date, so "overdue" means
    overdue as the report saw it.
    """
    try:
        q = drill_filter(key, snapshot_period(snapshot), dt.date.fromisoformat(snapshot.figures["as_of"]))
    except (KeyError, ValueError, TypeError):
        raise Http404 from None
    return case_list_related(cases_visible_to(user).filter(q)).order_by("-registered_at", "-id")


def visible_case_ids(user, ids) -> set[int]:
    """Which of the snapshot's listed cases the user may see (one query)."""
    return set(cases_visible_to(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


# The lists of a snapshot's figures that name cases: a reader sees only the rows of cases in their scope.
CASE_ROW_FIGURES = ("warnings", "overdue_cases")


def figure_cases_visible(user, figures: dict) -> set[int]:
    return visible_case_ids(user, [row["id"] for key in CASE_ROW_FIGURES for row in figures[key]])


def readable_figures(user, snapshot: Snapshot) -> dict:
    """The snapshot's figures as `user` may read them: the totals whole, the case rows within their scope."""
    figures = snapshot.figures
    visible = figure_cases_visible(user, figures)
    return {**figures, **{key: [row for row in figures[key] if row["id"] in visible] for key in CASE_ROW_FIGURES}}


def notices_for(user):
    return Notice.objects.filter(user=user).select_related("case")


def unread_notice_count(user) -> int:
    return Notice.objects.filter(user=user, read_at__isnull=True).count()


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
