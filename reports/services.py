"""Every write of the reports app: snapshots, screening returns, notices.

Scheduled work is idempotent by claiming a unique row: a report's version 1 is
inserted once whoever fires it (the 18:00 schedule, a redelivered message, the
catch-up step), and a reminder is one Notice row per (user, kind, key).
"""

import datetime as dt
import hashlib
import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import permissions as case_permissions
from casework.enums import WarningReason
from casework.models import DisputeCase
from grids.enums import InspectionKind, Role
from grids.models import Grid, Inspection, SensitivePeriod, User

from . import statistics
from .enums import NoticeKind, ReportKind
from .models import Notice, Snapshot
from .statistics import Period, add_months

logger = logging.getLogger(__name__)

# Figures that say when they were computed rather than what the cases are.
VOLATILE_FIGURES = frozenset({"as_of"})
MAX_VERSION_CLAIMS = 5


def fingerprint(figures: dict) -> str:
    stable = {key: value for key, value in figures.items() if key not in VOLATILE_FIGURES}
    return hashlib.sha256(json.dumps(stable, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _check_report_request(kind: str, period: dt.date, today: dt.date) -> Period:
    if kind not in ReportKind.values:
        raise ValidationError({"kind": [_("报表类型须为日报或月报。")]})
    if not isinstance(period, dt.date):
        raise ValidationError({"period": [_("请填写报表期间。")]})
    report_period = Period.of(kind, period)
    if report_period.start > today:
        raise ValidationError({"period": [_("不能生成未来期间的报表。")]})
    return report_period


def _latest(kind: str, period: dt.date) -> Snapshot | None:
    return Snapshot.objects.filter(kind=kind, period=period).order_by("-version").first()


def _insert_snapshot(*, report_period, version, figures, actor, reason, now) -> Snapshot:
    with transaction.atomic():
        snapshot = Snapshot.objects.create(
            kind=report_period.kind,
            period=report_period.start,
            version=version,
            generated_at=now,
            generated_by=actor,
            reason=reason,
            fingerprint=fingerprint(figures),
            figures=figures,
        )
        _notify_report(snapshot)
    return snapshot


def report_ensure(*, kind: str, period: dt.date, reason: str = "", now: dt.datetime | None = None) -> Snapshot:
    """The report for a period, made once: the schedule's and the catch-up's entry point.

    Claims version 1 with the unique (kind, period, version) row: when the report is
    fired several times, concurrently or redelivered, one insert wins and the others
    return its row.
    """
    now = now or timezone.now()
    report_period = _check_report_request(kind, period, timezone.localtime(now).date())
    existing = _latest(kind, report_period.start)
    if existing is not None:
        return existing
    figures = statistics.report_figures(report_period, timezone.localtime(now).date())
    try:
        return _insert_snapshot(
            report_period=report_period,
            version=1,
            figures=figures,
            actor=None,
            reason=reason or _("定时生成"),
            now=now,
        )
    except IntegrityError:
        return Snapshot.objects.get(kind=kind, period=report_period.start, version=1)


def report_generate(
    *, kind: str, period: dt.date, actor=None, reason: str = "", now: dt.datetime | None = None
) -> tuple[Snapshot, bool]:
    """Make a new version, or return the latest when nothing changed and no reason is given.

    A reason always makes a new version (regeneration is recorded with who and why).
    Returns (snapshot, created).
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    report_period = _check_report_request(kind, period, today)
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ValidationError({"reason": [_("生成原因不能超过200字。")]})
    if actor is not None and not can_generate_reports(actor):
        raise PermissionDenied(_("只有综治中心工作人员可以重新生成报表。"))
    figures = statistics.report_figures(report_period, today)
    for _attempt in range(MAX_VERSION_CLAIMS):
        latest = _latest(kind, report_period.start)
        if latest is not None and not reason and latest.fingerprint == fingerprint(figures):
            return latest, False
        version = latest.version + 1 if latest else 1
        why = reason or (_("数据已变化，生成新版本") if latest else _("首次生成"))
        try:
            snapshot = _insert_snapshot(
                report_period=report_period, version=version, figures=figures, actor=actor, reason=why, now=now
            )
            return snapshot, True
        except IntegrityError:
            # Another generation claimed this version at the same moment: without a
            # reason that one is ours too; with a reason, take the next number.
            if not reason:
                return Snapshot.objects.get(kind=kind, period=report_period.start, version=version), False
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
    this_month = today.replace(day=1)
    monthly_due_now = today.day > 1 or local.hour >= settings.FENGQIAO_MONTHLY_REPORT_HOUR
    last_month = add_months(this_month, -1 if monthly_due_now else -2)
    months = [add_months(last_month, -n) for n in range(settings.FENGQIAO_CATCH_UP_MONTHS)]
    due = [(ReportKind.DAILY.value, day) for day in days]
    due += [(ReportKind.MONTHLY.value, month) for month in sorted(months) if month >= settings.FENGQIAO_STATS_SINCE]
    return due


def reports_missing(now: dt.datetime) -> list[tuple[str, dt.date]]:
    due = reports_due(now)
    if not due:
        return []
    existing = set(
        Snapshot.objects.filter(period__gte=min(period for _kind, period in due)).values_list("kind", "period")
    )
    return [item for item in due if item not in existing]


def reports_catch_up(*, now: dt.datetime | None = None) -> list[Snapshot]:
    """Make every report missed while the system was down (on worker start and hourly)."""
    now = now or timezone.now()
    made = []
    for kind, period in reports_missing(now):
        made.append(report_ensure(kind=kind, period=period, reason=_("补生成：系统停机期间错过的报表"), now=now))
    return made


def scheduled_daily_report(*, now: dt.datetime | None = None) -> Snapshot | None:
    """The 18:00 run: today's daily report, if today needs one."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    if not daily_report_due(today):
        return None
    return report_ensure(kind=ReportKind.DAILY, period=today, now=now)


def scheduled_monthly_report(*, now: dt.datetime | None = None) -> Snapshot:
    """The 08:00-on-the-1st run: last month's report."""
    now = now or timezone.now()
    previous = add_months(timezone.localtime(now).date().replace(day=1), -1)
    return report_ensure(kind=ReportKind.MONTHLY, period=previous, now=now)


# Notices ----------------------------------------------------------------------


def notify(users, *, kind: str, key: str, text: str, case: DisputeCase | None = None) -> list[Notice]:
    """One notice per user for this (kind, key), however often it is sent; new ones are also mailed."""
    created = []
    for user in users:
        notice, is_new = Notice.objects.get_or_create(
            user=user, kind=kind, key=key, defaults={"text": text, "case": case}
        )
        if is_new:
            created.append(notice)
    mails = [
        (f"[枫桥] {NoticeKind(n.kind).label}", n.text, settings.DEFAULT_FROM_EMAIL, [n.user.email])
        for n in created
        if n.user.email
    ]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return created


def notice_mark_read(*, user, notice_id: int | None = None) -> int:
    """Mark one notice (or all of them) read; only the user's own."""
    notices = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        notices = notices.filter(pk=notice_id)
    return notices.update(read_at=timezone.now())


def _users_with_roles(*roles, subdistrict_id=None) -> list:
    # Roles are a JSON list and JSON containment differs by backend (SQLite under `make run`),
    # so the roles are checked on the active accounts of the subdistrict, a short list.
    users = User.objects.filter(is_active=True).order_by("pk")
    if subdistrict_id is not None:
        users = users.filter(subdistrict_id=subdistrict_id)
    return [user for user in users if any(user.has_role(role) for role in roles)]


def _report_readers():
    return _users_with_roles(Role.CENTRE_STAFF, Role.LEADER)


def _notify_report(snapshot: Snapshot):
    notify(
        _report_readers(),
        kind=NoticeKind.REPORT,
        key=f"{snapshot.kind}:{snapshot.period}:{snapshot.version}",
        text=_("%(title)s（第%(version)s版）已生成。") % {"title": snapshot.title, "version": snapshot.version},
    )


def warning_notify(*, case_id: int) -> list[Notice]:
    """预警: tell the centre staff of an early-warning case at once (once per case)."""
    case = DisputeCase.objects.filter(pk=case_id, is_warning=True).select_related("community", "category").first()
    if case is None:
        return []
    return notify(
        _staff_of(case.subdistrict_id),
        kind=NoticeKind.WARNING,
        key=str(case.pk),
        case=case,
        text=_("预警案件 %(number)s（%(community)s，%(category)s）：%(reasons)s") % _case_words(case),
    )


def _staff_of(subdistrict_id):
    return _users_with_roles(Role.CENTRE_STAFF, subdistrict_id=subdistrict_id)


def _case_words(case) -> dict:
    return {
        "number": case.number,
        "community": case.community.name,
        "category": case.category.name,
        "reasons": "、".join(str(WarningReason(r).label) for r in case.warning_reasons if r in WarningReason.values),
    }


def warning_sweep(*, now: dt.datetime | None = None, days: int = 7) -> int:
    """Catch any early-warning notice lost on the way (the broker down at registration)."""
    now = now or timezone.now()
    ids = DisputeCase.objects.open().warning().filter(registered_at__gte=now - dt.timedelta(days=days))
    return sum(len(warning_notify(case_id=pk)) for pk in ids.values_list("pk", flat=True))


def deadline_reminders(*, today: dt.date | None = None) -> int:
    """督办: remind the people responsible before a deadline falls due and on the day itself."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=settings.FENGQIAO_REMIND_DAYS_BEFORE)
    cases = (
        DisputeCase.objects.open()
        .filter(next_due__in=[today, soon])
        .select_related("community", "category", "lead_mediator")
        .prefetch_related("co_mediators")
    )
    staff_cache: dict[int, list] = {}
    sent = 0
    for case in cases:
        kind = NoticeKind.DUE_TODAY if case.next_due == today else NoticeKind.DUE_SOON
        if case.subdistrict_id not in staff_cache:
            staff_cache[case.subdistrict_id] = _staff_of(case.subdistrict_id)
        recipients = {u.pk: u for u in staff_cache[case.subdistrict_id]}
        mediator_ids = case.mediator_user_ids()
        if mediator_ids:
            recipients.update({u.pk: u for u in User.objects.filter(pk__in=mediator_ids, is_active=True)})
        if case.level == "community" or case.status == "reported":
            recipients.update({u.pk: u for u in case.community.staff.filter(is_active=True)})
        text = _("案件 %(number)s（%(status)s）的办理期限为 %(due)s，请及时办理。") % {
            "number": case.number,
            "status": case.get_status_display(),
            "due": case.next_due.isoformat(),
        }
        sent += len(
            notify(recipients.values(), kind=kind, key=f"{case.pk}:{case.status}:{case.next_due}", text=text, case=case)
        )
    return sent


# Screening returns (排查) ------------------------------------------------------


def grids_for_filing(user):
    """The grids whose returns `user` files: a grid worker's own grids."""
    if not (user and user.is_active and user.has_role(Role.GRID_WORKER)):
        return Grid.objects.none()
    return user.grids.select_related("community").order_by("community__code", "code")


def _count(value, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("请填写非负整数。")]}) from None
    if number < 0:
        raise ValidationError({field: [_("请填写非负整数。")]})
    return number


def inspection_file(
    *,
    actor,
    grid: Grid,
    kind: str,
    period: dt.date,
    disputes_found,
    cases_registered,
    zero_report: bool,
    notes: str = "",
    at: dt.datetime | None = None,
) -> Inspection:
    """排查填报: a grid worker files one return for one of their grids and one period."""
    if grid is None or not case_permissions.is_grid_worker_for(actor, grid.pk):
        raise PermissionDenied(_("只能为本人负责的网格填报排查记录。"))
    if kind not in InspectionKind.values:
        raise ValidationError({"kind": [_("排查类型须为日查或月查。")]})
    if not isinstance(period, dt.date):
        raise ValidationError({"period": [_("请填写排查期间。")]})
    at = at or timezone.now()
    today = timezone.localtime(at).date()
    if kind == InspectionKind.MONTHLY:
        period = period.replace(day=1)
    if period > today:
        raise ValidationError({"period": [_("不能填报未来期间的排查记录。")]})
    if kind == InspectionKind.DAILY and not SensitivePeriod.objects.covering(period).exists():
        raise ValidationError({"period": [_("该日不在敏感期内，无需日查日报；请填报月查。")]})
    found = _count(disputes_found, "disputes_found")
    registered = _count(cases_registered, "cases_registered")
    if zero_report and (found or registered):
        raise ValidationError({"zero_report": [_("零报告不能填写发现的纠纷数或登记数。")]})
    if not zero_report and found == 0:
        raise ValidationError({"zero_report": [_("未发现纠纷时请明确勾选零报告。")]})
    if registered > found:
        raise ValidationError({"cases_registered": [_("登记立案数不能大于发现的纠纷数。")]})
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise ValidationError({"notes": [_("情况说明不能超过2000字。")]})
    try:
        with transaction.atomic():
            return Inspection.objects.create(
                grid=grid,
                kind=kind,
                period=period,
                disputes_found=found,
                cases_registered=registered,
                zero_report=bool(zero_report),
                notes=notes,
                filed_by=actor,
                filed_at=at,
            )
    except IntegrityError:
        raise ValidationError({"period": [_("该网格本期的排查记录已填报。")]}) from None
