"""Reads of the reports app. Drill-downs start from casework's one visibility scope."""

import datetime as dt

from django.http import Http404

from casework.selectors import case_list_related, cases_visible_to
from grids.enums import Role

from .models import Snapshot
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
