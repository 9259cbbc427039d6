"""Every write of the reports app: snapshots, and the notice that one is ready.

Scheduled work is idempotent by claiming a unique row: a report's version 1 is
inserted once whoever fires it (the 18:00 schedule, a redelivered message, the
catch-up step).
"""

import datetime as dt
import hashlib
import json
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import DisputeCase
from common.enums import NoticeKind
from common.notices import notify
from common.refusals import NotPermitted
from grids.enums import Role
from grids.models import SensitivePeriod, Subdistrict
from grids.selectors import users_with_roles

from . import district, statistics
from .analysis import judgement
from .enums import ReportKind
from .models import Snapshot
from .statistics import Period, add_months

logger = logging.getLogger(__name__)

MAX_VERSION_CLAIMS = 5


def fingerprint(material: dict) -> str:
    """sha256 of what the report says about the cases (its material; the figures derive from it)."""
    return hashlib.sha256(json.dumps(material, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_report_request(kind: str, period: dt.date, today: dt.date) -> Period:
    if kind not in ReportKind.values:
        raise ValidationError({"kind": [_("报表类型须为日报或月报。")]})
    if not isinstance(period, dt.date):
        raise ValidationError({"period": [_("请填写报表期间。")]})
    report_period = Period.of(kind, period)
    if report_period.start > today:
        raise ValidationError({"period": [_("不能生成未来期间的报表。")]})
    return report_period


def _latest(subdistrict, kind: str, period: dt.date) -> Snapshot | None:
    return Snapshot.objects.filter(subdistrict=subdistrict, kind=kind, period=period).order_by("-version").first()


def report_material(subdistrict, report_period: statistics.Period) -> dict:
    """What a snapshot stores: the figures' material as of the period's end and, in a monthly report,
    the month's 研判 (the 研判 page's tables) for the subdistrict and for each of its communities, so
    that a community's view of the report carries its own."""
    material = statistics.collect(subdistrict.pk, report_period)
    if report_period.kind == ReportKind.MONTHLY:
        cases = DisputeCase.objects.filter(subdistrict=subdistrict)
        material["judgement"] = {
            "all": judgement.for_report(cases, report_period.start),
            "communities": {
                str(community.pk): judgement.for_report(cases.filter(community=community), report_period.start)
                for community in subdistrict.communities.order_by("pk")
            },
        }
    return material


def _insert_snapshot(*, subdistrict, report_period, version, material, actor, reason, now) -> Snapshot:
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            subdistrict=subdistrict,
            kind=report_period.kind,
            period=report_period.start,
            version=version,
            generated_at=now,
            generated_by=actor,
            reason=reason,
            fingerprint=fingerprint(material),
            figures=statistics.derive(material),
            material=material,
        )
        _notify_report(snapshot)
    return snapshot


def report_ensure(
    *, subdistrict, kind: str, period: dt.date, reason: str = "", now: dt.datetime | None = None
) -> Snapshot:
    """The report of a subdistrict for a period, made once: the schedule's and the catch-up's entry point.

    Claims version 1 with the unique (subdistrict, kind, period, version) row: when the
    report is fired several times, concurrently or redelivered, one insert wins and the
    others return its row.
    """
    now = now or timezone.now()
    report_period = _check_report_request(kind, period, timezone.localtime(now).date())
    existing = _latest(subdistrict, kind, report_period.start)
    if existing is not None:
        return existing
    material = report_material(subdistrict, report_period)
    try:
        return _insert_snapshot(
            subdistrict=subdistrict,
            report_period=report_period,
            version=1,
            material=material,
            actor=None,
            reason=reason or _("定时生成"),
            now=now,
        )
    except IntegrityError:
        return Snapshot.objects.get(subdistrict=subdistrict, kind=kind, period=report_period.start, version=1)


def report_generate(
    *, kind: str, period: dt.date, actor=None, subdistrict=None, reason: str = "", now: dt.datetime | None = None
) -> tuple[Snapshot, bool]:
    """Make a new version, or return the latest when nothing changed and no reason is given.

    The report is of `subdistrict`, by default the actor's own. A reason always makes a new
    version (regeneration is recorded with who and why). Returns (snapshot, created).
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    report_period = _check_report_request(kind, period, today)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": [_("生成原因不能超过200字。")]})
    if actor is not None and not can_generate_reports(actor):
        raise NotPermitted(_("只有综治中心工作人员可以重新生成报表。"))
    if subdistrict is None:
        subdistrict = actor.subdistrict if actor is not None else None
    elif actor is not None and actor.subdistrict_id != subdistrict.pk:
        raise NotPermitted(_("只能生成本街道的报表。"))
    if subdistrict is None:
        raise ValidationError({"subdistrict": [_("请指定报表所属街道。")]})
    material = report_material(subdistrict, report_period)
    for _attempt in range(MAX_VERSION_CLAIMS):
        latest = _latest(subdistrict, kind, report_period.start)
        if latest is not None and not reason and latest.fingerprint == fingerprint(material):
            return latest, False
        version = latest.version + 1 if latest else 1
        why = reason or (_("数据已变化，生成新版本") if latest else _("首次生成"))
        try:
            snapshot = _insert_snapshot(
                subdistrict=subdistrict,
                report_period=report_period,
                version=version,
                material=material,
                actor=actor,
                reason=why,
                now=now,
            )
            return snapshot, True
        except IntegrityError:
            # Another generation claimed this version at the same moment: without a
            # reason that one is ours too; with a reason, take the next number.
            if not reason:
                return (
                    Snapshot.objects.get(
                        subdistrict=subdistrict, kind=kind, period=report_period.start, version=version
                    ),
                    False,
                )
    raise ValidationError({"period": [_("报表正在被同时生成，请稍后重试。")]})


def can_generate_reports(user) -> bool:
    return bool(user and user.is_active and user.has_role(Role.CENTRE_STAFF))


def daily_report_due(day: dt.date) -> bool:
    return settings.FENGQIAO_DAILY_REPORT_EVERY_DAY or SensitivePeriod.objects.covering(day).exists()


def reports_due(now: dt.datetime) -> list[tuple[str, dt.date]]:
    """Every report whose scheduled time has passed within the catch-up window."""
    local = timezone.localtime(now)
    today = local.date()
    last_day = today if local.hour >= settings.FENGQIAO_DAILY_REPORT_HOUR else today - dt.timedelta(days=1)
    first_day = max(last_day - dt.timedelta(days=settings.FENGQIAO_CATCH_UP_DAYS - 1), settings.FENGQIAO_STATS_SINCE)
    days = [first_day + dt.timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    if not settings.FENGQIAO_DAILY_REPORT_EVERY_DAY:
        periods = list(SensitivePeriod.objects.overlapping(first_day, last_day).values_list("start", "end"))
        days = [day for day in days if any(start <= day <= end for start, end in periods)]
    due = [(ReportKind.DAILY.value, day) for day in days]
    due += [(ReportKind.MONTHLY.value, month) for month in monthly_periods_due(now)]
    return due


def monthly_periods_due(now: dt.datetime) -> list[dt.date]:
    """The months whose monthly reports are due by `now`, within the catch-up window, oldest first."""
    local = timezone.localtime(now)
    this_month = local.date().replace(day=1)
    monthly_due_now = local.day > 1 or local.hour >= settings.FENGQIAO_MONTHLY_REPORT_HOUR
    last_month = add_months(this_month, -1 if monthly_due_now else -2)
    months = [add_months(last_month, -n) for n in range(settings.FENGQIAO_CATCH_UP_MONTHS)]
    return [month for month in sorted(months) if month >= settings.FENGQIAO_STATS_SINCE]


def reports_missing(now: dt.datetime) -> list[tuple[Subdistrict, str, dt.date]]:
    """Every (subdistrict, kind, period) due and not made: catch-up is per subdistrict."""
    due = reports_due(now)
    if not due:
        return []
    existing = set(
        Snapshot.objects.filter(period__gte=min(period for _kind, period in due)).values_list(
            "subdistrict_id", "kind", "period"
        )
    )
    return [
        (subdistrict, kind, period)
        for subdistrict in Subdistrict.objects.order_by("code")
        for kind, period in due
        if (subdistrict.pk, kind, period) not in existing
    ]


def reports_catch_up(*, now: dt.datetime | None = None) -> list[Snapshot]:
    """Make every report missed while the system was down (on worker start and hourly)."""
    now = now or timezone.now()
    made = [
        report_ensure(
            subdistrict=subdistrict, kind=kind, period=period, reason=_("补生成：系统停机期间错过的报表"), now=now
        )
        for subdistrict, kind, period in reports_missing(now)
    ]
    # Then the districts' reports, from those snapshots: made if missing, a next version if a
    # subdistrict's report was regenerated since.
    district.district_reports_catch_up(monthly_periods_due(now), now=now)
    return made


def scheduled_daily_report(*, now: dt.datetime | None = None) -> list[Snapshot]:
    """The 18:00 run: today's daily report of every subdistrict, if today needs one."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if not daily_report_due(today):
        return []
    return [
        report_ensure(subdistrict=subdistrict, kind=ReportKind.DAILY, period=today, now=now)
        for subdistrict in Subdistrict.objects.order_by("code")
    ]


def scheduled_monthly_report(*, now: dt.datetime | None = None) -> list[Snapshot]:
    """The 08:00-on-the-1st run: last month's report of every subdistrict, then of every district."""
    now = now or timezone.now()
    previous = add_months(timezone.localtime(now).date().replace(day=1), -1)
    made = [
        report_ensure(subdistrict=subdistrict, kind=ReportKind.MONTHLY, period=previous, now=now)
        for subdistrict in Subdistrict.objects.order_by("code")
    ]
    # The districts' reports follow in the same run, once all their subdistricts' reports exist.
    district.district_reports_catch_up([previous], now=now)
    return made


def _notify_report(snapshot: Snapshot):
    notify(
        users_with_roles(Role.CENTRE_STAFF, Role.LEADER, subdistrict_id=snapshot.subdistrict_id),
        kind=NoticeKind.REPORT,
        key=f"{snapshot.subdistrict_id}:{snapshot.kind}:{snapshot.period}:{snapshot.version}",
        text=_("%(title)s（第%(version)s版）已生成，请查阅。") % {"title": snapshot.title, "version": snapshot.version},
        link=reverse("reports:detail", args=[snapshot.pk]),
    )
