"""The notices a case's deadlines and early warnings send (预警, 督办 reminders).

Each is once-only per (user, kind, key) however often it is sent (common.notices.notify), so the
scheduled sweeps may run twice, or be redelivered, without telling anyone twice.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.enums import NoticeKind
from common.notices import notify
from grids.enums import Role
from grids.models import User
from grids.selectors import users_with_roles

from .enums import WarningReason
from .models import DisputeCase


def warning_notify(*, case_id: int) -> list:
    """预警: tell the centre staff of an early-warning case at once (once per case)."""
    case = DisputeCase.objects.filter(pk=case_id, is_warning=True).select_related("community", "category").first()
    if case is None:
        return []
    return notify(
        _staff_of(case.subdistrict_id),
        kind=NoticeKind.WARNING,
        key=str(case.pk),
        case=case,
        link=case_link(case),
        text=_("预警案件 %(number)s（%(community)s，%(category)s）：%(reasons)s。请查看案件，尽快安排受理和调处。")
        % _case_words(case),
    )


def case_link(case) -> str:
    """The case page, which a higher app serves (FENGQIAO_CASE_URL_NAME)."""
    return reverse(settings.FENGQIAO_CASE_URL_NAME, args=[case.pk])


def _staff_of(subdistrict_id):
    return users_with_roles(Role.CENTRE_STAFF, subdistrict_id=subdistrict_id)


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
            notify(
                recipients.values(),
                kind=kind,
                key=f"{case.pk}:{case.status}:{case.next_due}",
                text=text,
                case=case,
                link=case_link(case),
            )
        )
    return sent
