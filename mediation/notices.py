"""The judicial-confirmation window (司法确认, art. 33): the case's mediators are told before the
30 days run out, while the parties have not applied. Once per (mediator, agreement, day)."""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.enums import CaseStatus
from common.enums import NoticeKind
from common.notices import notify
from grids.models import User

from .enums import JudicialConfirmation
from .models import Agreement

# Told this many days before the window closes, and on its last day.
JUDICIAL_REMIND_DAYS_BEFORE = 5


def judicial_window_reminders(*, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=JUDICIAL_REMIND_DAYS_BEFORE)
    agreements = (
        Agreement.objects.filter(
            judicial_confirmation=JudicialConfirmation.NOT_APPLIED,
            judicial_deadline__in=[today, soon],
            case__status__in=[CaseStatus.AGREED, CaseStatus.CLOSED],
        )
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
            "today": _("（今日截止）") if deadline == today else "",
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
