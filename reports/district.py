"""The district's monthly report (区月报): made from its subdistricts' monthly snapshots, never a second
computation over the cases. Each subdistrict's counts are read as its latest snapshot of the month
holds them; the district's are their sums; every rate and interval is recomputed from counts (a rate
of rates would weigh a small subdistrict like a large one).

Written by `district_report_ensure` (the monthly schedule after the subdistricts' reports, and the
hourly catch-up): one version per set of source snapshots, so firing it twice, on two beats or
redelivered, makes one row, and a subdistrict's regenerated report makes the district's next version.
"""

import datetime as dt
import hashlib
import json

from django.db import IntegrityError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.enums import NoticeKind
from common.notices import notify
from grids.models import District, Subdistrict, User

from . import statistics
from .enums import ReportKind
from .models import DistrictReport, Snapshot
from .statistics import SuccessRate, add_months, on_time_rate, share

# The counts a district report reads from each snapshot's totals (a snapshot made before a count
# existed says 0 for it).
COUNTED = (
    "registered", "concluded", "agreed", "failed", "open", "overdue", "pending_overdue", "warning", "on_time",
    "withdrawn", "declined", "ladder_community", "ladder_subdistrict", "ladder_district", "referred_district",
    "third_party_concluded", "third_party_agreed", "cumulative_concluded", "cumulative_agreed",
    "cumulative_third_party_concluded", "cumulative_third_party_agreed", "supervision_issued",
    "supervision_on_time", "supervision_late", "supervision_unanswered", "supervision_overdue",
)  # fmt: skip
# What each snapshot's screening figures add up to (缺报: the grids that never filed).
INSPECTION_COUNTS = ("grids", "filed", "missing_count", "late_count")


def _counts(figures: dict) -> dict:
    totals, inspections = figures.get("totals", {}), figures.get("inspections", {})
    return {
        **{key: totals.get(key, 0) for key in COUNTED},
        **{f"inspections_{key}": inspections.get(key, 0) or 0 for key in INSPECTION_COUNTS},
    }


def rates(counts: dict) -> dict:
    """Every rate of a row from its counts alone (the same definitions as a subdistrict's report)."""
    n = counts
    handled = n["concluded"] + n["declined"]
    return {
        "success_rate": SuccessRate(concluded=n["cumulative_concluded"], agreed=n["cumulative_agreed"]).as_dict(),
        "success_rate_period": SuccessRate(concluded=n["concluded"], agreed=n["agreed"]).as_dict(),
        "third_party": SuccessRate(
            concluded=n["cumulative_third_party_concluded"], agreed=n["cumulative_third_party_agreed"]
        ).as_dict(),
        "on_time": {
            "on_time": n["on_time"],
            "of": n["concluded"] + n["pending_overdue"],
            "rate": on_time_rate(n["on_time"], n["concluded"], n["pending_overdue"]),
        },
        "ladder": {
            "handled": handled,
            "community": share(n["ladder_community"], handled),
            "subdistrict": share(n["ladder_community"] + n["ladder_subdistrict"], handled),
            "district": share(n["ladder_district"], handled),
            "referred_district": n["referred_district"],
        },
    }


def combine(period: dt.date, sources: list[tuple[Subdistrict, Snapshot]]) -> dict:
    """The district report's figures from its subdistricts' snapshots: pure, no query."""
    rows = []
    for subdistrict, snapshot in sources:
        counts = _counts(snapshot.figures)
        rows.append(
            {
                "subdistrict": subdistrict.pk,
                "code": subdistrict.code,
                "name": subdistrict.name,
                "snapshot": snapshot.pk,
                "version": snapshot.version,
                "counts": counts,
                **rates(counts),
            }
        )
    total = {key: sum(row["counts"][key] for row in rows) for key in _counts({})}
    return {
        "period": period.isoformat(),
        "end": (add_months(period, 1) - dt.timedelta(days=1)).isoformat(),
        "since": statistics.cumulative_since().isoformat(),
        "subdistricts": rows,
        "district": {"counts": total, **rates(total)},
    }


def _fingerprint(sources: list[tuple[Subdistrict, Snapshot]]) -> str:
    made_from = [[subdistrict.pk, snapshot.pk] for subdistrict, snapshot in sources]
    return hashlib.sha256(json.dumps(made_from).encode()).hexdigest()


def _sources(district, period: dt.date) -> list[tuple[Subdistrict, Snapshot]] | None:
    """Each subdistrict's latest monthly snapshot of `period`, or None while one of them has none yet
    (the district's report waits for all of its subdistricts). Two queries."""
    subdistricts = list(Subdistrict.objects.filter(district=district).order_by("code"))
    latest = {}
    for snapshot in (
        Snapshot.objects.filter(subdistrict__in=subdistricts, kind=ReportKind.MONTHLY, period=period)
        .only("pk", "subdistrict_id", "version", "figures")
        .order_by("subdistrict_id", "version")
    ):
        latest[snapshot.subdistrict_id] = snapshot
    if not subdistricts or any(s.pk not in latest for s in subdistricts):
        return None
    return [(s, latest[s.pk]) for s in subdistricts]


def district_report_ensure(district, period: dt.date, *, now: dt.datetime | None = None) -> DistrictReport | None:
    """The district's report of the month from its subdistricts' latest snapshots: the existing version
    when they are the ones it was made from, else the next version; None while a subdistrict's report
    is missing. A version claimed at the same moment by another beat or worker is theirs, returned."""
    now = now or timezone.now()
    sources = _sources(district, period)
    if sources is None:
        return None
    fingerprint = _fingerprint(sources)
    latest = DistrictReport.objects.filter(district=district, period=period).order_by("-version").first()
    if latest is not None and latest.fingerprint == fingerprint:
        return latest
    version = latest.version + 1 if latest else 1
    try:
        report = DistrictReport.objects.create(
            district=district,
            period=period,
            version=version,
            generated_at=now,
            reason=_("街道月报已更新，生成新版本") if latest else _("定时生成"),
            sources=[{"subdistrict": s.pk, "snapshot": snap.pk, "version": snap.version} for s, snap in sources],
            fingerprint=fingerprint,
            figures=combine(period, sources),
        )
    except IntegrityError:
        return DistrictReport.objects.get(district=district, period=period, version=version)
    _notify(report)
    return report


def _notify(report: DistrictReport):
    readers = User.objects.filter(is_active=True, district_id=report.district_id).order_by("pk")
    notify(
        [user for user in readers if user.is_district_wide],
        kind=NoticeKind.REPORT,
        key=f"district:{report.district_id}:{report.period}:{report.version}",
        text=_("%(title)s（第%(version)s版）已生成，请查阅。") % {"title": report.title, "version": report.version},
        link=reverse("reports:district_detail", args=[report.pk]),
    )


def district_reports_catch_up(months: list[dt.date], *, now: dt.datetime | None = None) -> list[DistrictReport]:
    """Every district's report of each of `months` (after the subdistricts' own, in the same run)."""
    made = []
    for district in District.objects.order_by("code"):
        for month in months:
            report = district_report_ensure(district, month, now=now)
            if report is not None:
                made.append(report)
    return made


# -- reading ----------------------------------------------------------------


def can_read_district_reports(user) -> bool:
    """District staff and leaders, of their own district; nobody below it (a subdistrict's staff: 404)."""
    return bool(user and user.is_authenticated and user.is_active and user.is_district_wide)


def district_report_list(user):
    """The reader's district's reports, latest first (every version), without their figures."""
    if not can_read_district_reports(user):
        raise Http404
    return DistrictReport.objects.filter(district_id=user.district_id).defer("figures", "sources")


def district_report_for(user, pk: int) -> DistrictReport:
    if not can_read_district_reports(user):
        raise Http404
    try:
        return DistrictReport.objects.select_related("district").get(Q(district_id=user.district_id), pk=pk)
    except DistrictReport.DoesNotExist:
        raise Http404 from None
