"""The judicial-confirmation window (司法确认, art. 33): the case's mediators are told before the
30 days run out (FENGQIAO_JUDICIAL_REMIND_DAYS before: a week and a day by default), while the
parties have not applied. Once per (mediator, agreement, day)."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.enums import NoticeKind
from common.notices import notify
from grids.models import User

from .models import Agreement


def judicial_window_reminders(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    closing = [today + dt.timedelta(days=days) for days in settings.FENGQIAO_JUDICIAL_REMIND_DAYS]
    agreements = (
        Agreement.objects.awaiting_application(today)
        .filter(judicial_deadline__in=closing)
        .select_related("case__lead_mediator")
        .prefetch_related("case__co_mediators")
    )
    sent = 0
    for agreement in agreements:
        case = agreement.case
        mediators = User.objects.filter(pk__in=case.mediator_user_ids(), is_active=True)
        deadline = agreement.judicial_deadline
        text = _(
            "案件 %(number)s 的调解协议申请司法确认的期限为 %(due)s%(today)s。"
            "如当事人需要，请提醒双方共同向人民法院申请，并在案件页记录申请情况。"
        ) % {
            "number": case.number,
            "due": deadline.isoformat(),
            "today": _("（明日截止）") if deadline == today + dt.timedelta(days=1) else "",
        }
        sent += len(
            notify(
                mediators,
                kind=NoticeKind.JUDICIAL,
                key=f"{agreement.pk}:{deadline}:{today}",
                text=text,
                case=case,
                link=reverse(settings.FENGQIAO_CASE_URL_NAME, args=[case.pk]),
            )
        )
    return sent
