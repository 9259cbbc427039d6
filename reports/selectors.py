"""Reads of the reports app: which reports a reader may open, their figures as the reader's
territory sees them, and drill-downs from the snapshot's stored case ids.

A reader's territory: centre staff and leaders read their subdistrict's reports; community
staff read their community's view of their subdistrict's reports (the same snapshot's
material, restricted to the community's cases); district staff and leaders read every report
of their district's subdistricts. Outside the territory a report is 404.
"""

import bisect
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.http import Http404

from casework.models import CaseEvent
from casework.selectors import case_list_related, cases_visible_to
from grids.enums import Role
from grids.models import Community, Grid, Inspection, Subdistrict

from . import statistics
from .enums import ReportKind
from .models import Snapshot
from .statistics import Period

REPORT_READER_ROLES = (Role.CENTRE_STAFF, Role.LEADER, Role.COMMUNITY_STAFF)


def reads_within_subdistrict(user) -> bool:
    """A reader of one subdistrict's figures (its returns, its analysis): centre, leaders, community staff."""
    active = bool(user and user.is_authenticated and user.is_active)
    return active and any(user.has_role(role) for role in REPORT_READER_ROLES)


def can_read_reports(user) -> bool:
    """A reader of report snapshots: a subdistrict's readers, and district readers of their subdistricts'."""
    active = bool(user and user.is_authenticated and user.is_active)
    return reads_within_subdistrict(user) or (active and user.is_district_wide)


def reads_whole_subdistrict(user) -> bool:
    return bool(user.subdistrict_id) and (user.has_role(Role.CENTRE_STAFF) or user.has_role(Role.LEADER))


def reader_community_id(user) -> int | None:
    """The community whose view a reader gets: community staff only (wider roles read the subdistrict)."""
    if reads_whole_subdistrict(user) or user.is_district_wide:
        return None
    return user.community_id if user.has_role(Role.COMMUNITY_STAFF) else None


def _territory(user) -> Q:
    if not can_read_reports(user):
        return Q(pk__in=[])
    scope = Q(pk__in=[])
    if reads_whole_subdistrict(user):
        scope |= Q(subdistrict_id=user.subdistrict_id)
    if user.is_district_wide:
        scope |= Q(subdistrict__district_id=user.district_id)
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        scope |= Q(subdistrict_id__in=Community.objects.filter(pk=user.community_id).values("subdistrict_id"))
    return scope


def grids_read_by(user):
    """The grids whose figures a reader sees (the same territories as their cases): a district
    reader's district, the centre's and leaders' subdistrict, community staff's community."""
    scope = Q(pk__in=[])
    if user.is_district_wide:
        scope |= Q(community__subdistrict__district_id=user.district_id)
    if user.is_subdistrict_wide and user.subdistrict_id:
        scope |= Q(community__subdistrict_id=user.subdistrict_id)
    if user.has_role(Role.COMMUNITY_STAFF) and user.community_id:
        scope |= Q(community_id=user.community_id)
    return Grid.objects.filter(scope)


@dataclass(frozen=True)
class Territory:
    """What an analysis page or the 缺报 list covers: the reader's cases and grids, narrowed to one
    subdistrict when a district reader picks one (`?subdistrict=`; none picked: the whole district)."""

    cases: object
    grids: object
    # The picker's choices, (id, name): a district reader's subdistricts; empty for anyone else.
    subdistricts: list
    subdistrict_id: int | None

    @property
    def narrowing(self) -> dict:
        """The queue's filter that keeps a drill-down within the picked subdistrict."""
        return {"subdistrict": self.subdistrict_id} if self.subdistrict_id else {}


def territory_for(user, subdistrict: str | None = None) -> Territory:
    """The territory of a figures reader (404 for anyone else). A district reader sees every subdistrict
    of the district together, or the one picked; a subdistrict outside the district, a value that is
    not one of theirs, or any pick by a reader of one subdistrict is 404."""
    if not can_read_reports(user):
        raise Http404
    cases, grids = cases_visible_to(user), grids_read_by(user)
    choices = []
    if user.is_district_wide:
        choices = list(
            Subdistrict.objects.filter(district_id=user.district_id).order_by("code").values_list("pk", "name")
        )
    picked = None
    if subdistrict:
        picked = next((pk for pk, _name in choices if str(pk) == subdistrict), None)
        if picked is None:
            raise Http404
        cases = cases.filter(subdistrict_id=picked)
        grids = grids.filter(community__subdistrict_id=picked)
    return Territory(cases=cases, grids=grids, subdistricts=choices, subdistrict_id=picked)


def late_returns(territory: Territory, kind: str, period_date: dt.date):
    """The returns of the territory's grids filed late (补报) for a period."""
    return (
        Inspection.objects.filter(grid__in=territory.grids, kind=kind, period=period_date, late=True)
        .select_related("grid__community", "filed_by")
        .order_by("grid__community__code", "grid__code")
    )


def snapshot_list(user):
    """The reports of the reader's territory; the list shows only what identifies a version."""
    return (
        Snapshot.objects.filter(_territory(user))
        .select_related("generated_by", "subdistrict")
        .defer("figures", "fingerprint", "material")
    )


def snapshot_for(user, pk: int, *, legacy: bool = False) -> Snapshot:
    """A report of the reader's territory, or 404.

    A snapshot made before reports kept their case sets has no drill-downs, views or exports
    (404); its page says so and offers to regenerate (`legacy=True`).
    """
    try:
        snapshot = Snapshot.objects.select_related("generated_by", "subdistrict").get(_territory(user), pk=pk)
    except Snapshot.DoesNotExist:
        raise Http404 from None
    if snapshot.is_legacy and not legacy:
        raise Http404
    return snapshot


def snapshot_period(snapshot: Snapshot) -> Period:
    return Period.of(snapshot.kind, snapshot.period)


def community_choices(snapshot: Snapshot) -> list[tuple[int, str]]:
    """The communities of a report (for the leader's comparison and views), by name."""
    labels = snapshot.material.get("labels", {}).get("community", {})
    return sorted(((int(k), v) for k, v in labels.items()), key=lambda item: item[1])


def view_material(user, snapshot: Snapshot, community_id: int | None = None) -> dict:
    """The snapshot's material as the reader's territory sees it.

    Community staff always get their community's; a subdistrict-wide reader may ask for one
    community's view (404 for a community not in the report).
    """
    own = reader_community_id(user)
    if own is not None:
        community_id = own
    if community_id is None:
        return snapshot.material
    if str(community_id) not in snapshot.material.get("labels", {}).get("community", {}):
        if own is None:
            raise Http404
    return statistics.restrict(snapshot.material, community_id)


def view_figures(user, snapshot: Snapshot, community_id: int | None = None) -> dict:
    """The figures of the reader's view: the stored figures, or a community's derived from the same material."""
    material = view_material(user, snapshot, community_id)
    figures = snapshot.figures if material is snapshot.material else statistics.derive(material)
    return readable_rows(user, figures)


def community_comparison(snapshot: Snapshot) -> list[dict]:
    """Every community's headline figures side by side (leaders and centre staff)."""
    rows = []
    for community_id, name in community_choices(snapshot):
        figures = statistics.derive(statistics.restrict(snapshot.material, community_id))
        rows.append({"id": community_id, "name": name, "figures": figures})
    return rows


def district_overview(user, today: dt.date) -> list[dict]:
    """Each subdistrict of a district reader's district, side by side, live: new this month, open,
    overdue, the success rate (all and third-party, since records began) and this month's on-time
    rate. Three queries whatever the number of subdistricts: the subdistricts, the live counts, the
    conclusions."""
    if not user.is_district_wide:
        return []
    cases = cases_visible_to(user).order_by()
    month_start = today.replace(day=1)
    month_concluded = Q(concluded_at__gte=statistics.day_start(month_start))
    live = {
        row["subdistrict_id"]: row
        for row in cases.annotate(concluded_on=TruncDate("concluded_at"))
        .values("subdistrict_id")
        .annotate(
            new=Count("pk", filter=Q(registered_at__gte=statistics.day_start(month_start))),
            open=Count("pk", filter=statistics.open_q()),
            overdue=Count("pk", filter=statistics.overdue_q(today)),
            concluded_month=Count("pk", filter=month_concluded),
            on_time=Count("pk", filter=month_concluded & statistics.concluded_on_time_q()),
            pending_overdue=Count("pk", filter=statistics.pending_overdue_q(today)),
        )
    }
    concluded = {
        row["subdistrict_id"]: row
        for row in statistics.concluded_cases(cases).values("subdistrict_id").annotate(**statistics.SUCCESS_COUNTS)
    }
    reports = latest_monthly_reports(user.district_id)
    rows = []
    for subdistrict in Subdistrict.objects.filter(district_id=user.district_id).order_by("code"):
        counts = live.get(subdistrict.pk, {})
        success, third_party = statistics.success_pair(concluded.get(subdistrict.pk, {}))
        on_time, concluded_month, pending = (
            counts.get(key, 0) for key in ("on_time", "concluded_month", "pending_overdue")
        )
        rows.append(
            {
                "subdistrict": subdistrict,
                "new": counts.get("new", 0),
                "open": counts.get("open", 0),
                "overdue": counts.get("overdue", 0),
                "success": success,
                "third_party": third_party,
                "on_time": on_time,
                "on_time_of": concluded_month + pending,
                "on_time_rate": statistics.on_time_rate(on_time, concluded_month, pending),
                "report": reports.get(subdistrict.pk),
            }
        )
    return rows


def latest_monthly_reports(district_id) -> dict[int, dict]:
    """Each subdistrict's latest monthly report of the district (its latest version), with the figures
    the district compares that only a report holds: the ladder shares and the missing returns (缺报).
    One query, whatever the number of subdistricts: only those keys are read out of the figures."""
    newest = Snapshot.objects.filter(subdistrict=OuterRef("pk"), kind=ReportKind.MONTHLY).order_by(
        "-period", "-version"
    )
    ids = Subdistrict.objects.filter(district_id=district_id).values(latest=Subquery(newest.values("pk")[:1]))
    latest = Snapshot.objects.filter(pk__in=ids).values(
        "pk", "subdistrict_id", "period", "version", "figures__ladder", "figures__inspections__missing_count"
    )
    return {
        row["subdistrict_id"]: {
            "pk": row["pk"],
            "period": row["period"],
            "version": row["version"],
            "ladder": row["figures__ladder"] or {},
            "missing": row["figures__inspections__missing_count"],
        }
        for row in latest
    }


# The lists of a snapshot's figures that name cases: a reader sees only the rows of cases in their scope.
CASE_ROW_FIGURES = ("warnings", "overdue_cases")


def visible_case_ids(user, ids) -> set[int]:
    """Which of the snapshot's listed cases the user may see (one query)."""
    return set(cases_visible_to(user).filter(pk__in=list(ids)).values_list("pk", flat=True))


def readable_rows(user, figures: dict) -> dict:
    """The figures with their case rows narrowed to the cases the user may see."""
    visible = visible_case_ids(user, [row["id"] for key in CASE_ROW_FIGURES for row in figures[key]])
    return {**figures, **{key: [row for row in figures[key] if row["id"] in visible] for key in CASE_ROW_FIGURES}}


def readable_figures(user, snapshot: Snapshot) -> dict:
    """The figures of the reader's own view (the API's and the exports' answer)."""
    return view_figures(user, snapshot)


def figure_ids(user, snapshot: Snapshot, key: str, community_id: int | None = None) -> list[int]:
    """The ids behind one figure of the reader's view; 404 for a key naming no figure.

    Stored with the snapshot, or, for a figure the snapshot counted from the history (cumulative,
    a trend month), listed from the append-only conclusion events as of the period's end."""
    material = view_material(user, snapshot, community_id)
    if not statistics.is_figure_key(material, key):
        raise Http404
    if key in material["sets"] or "counts" not in material or not statistics.is_history_key(key):
        return material["sets"].get(key, [])
    own = reader_community_id(user)
    community = own if own is not None else community_id
    return statistics.history_ids(snapshot.subdistrict_id, snapshot_period(snapshot), key, community)


def drill_down(user, snapshot: Snapshot, key: str, community_id: int | None = None, *, ids=None):
    """The cases behind one figure: exactly the snapshot's ids (`ids`, when already read), within
    the reader's scope."""
    ids = figure_ids(user, snapshot, key, community_id) if ids is None else ids
    return case_list_related(cases_visible_to(user).filter(pk__in=ids)).order_by("-registered_at", "-id")


def states_then(snapshot: Snapshot, case_ids) -> dict[int, str]:
    """The state at the period's end of each of `case_ids` (a page's), as the snapshot recorded it.

    The stored lists are sorted: a binary search per case and state, not a walk over every id.
    """
    found = {}
    for status, ids in snapshot.material.get("then", {}).items():
        for case_id in case_ids:
            at = bisect.bisect_left(ids, case_id)
            if at < len(ids) and ids[at] == case_id:
                found[case_id] = status
    # A history figure's cases (cumulative, a trend month) are listed from the events, not stored:
    # their state then is the last state their events reached before the period ended (one query).
    missing = [case_id for case_id in case_ids if case_id not in found]
    if missing and "counts" in snapshot.material:
        for case_id, status in (
            CaseEvent.objects.filter(case_id__in=missing, at__lt=snapshot_period(snapshot).end_at)
            .exclude(to_status="")
            .order_by("case_id", "at", "id")
            .values_list("case_id", "to_status")
        ):
            found[case_id] = status
    return found
