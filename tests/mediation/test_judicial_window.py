"""The judicial-confirmation window closing: the case's mediators are told, once a day, before and
on its last day, while the parties have not applied."""

import datetime as dt

from casework.enums import CaseStatus
from common.models import Notice
from mediation.models import Agreement
from mediation.notices import JUDICIAL_REMIND_DAYS_BEFORE, judicial_window_reminders


def test_the_mediators_are_told_before_the_window_closes_and_not_after_applying(walk, mediator):
    case = walk(CaseStatus.AGREED)
    deadline = Agreement.objects.get(case=case).judicial_deadline
    assert judicial_window_reminders(today=deadline - dt.timedelta(days=JUDICIAL_REMIND_DAYS_BEFORE)) == 1
    assert judicial_window_reminders(today=deadline - dt.timedelta(days=JUDICIAL_REMIND_DAYS_BEFORE)) == 0
    assert judicial_window_reminders(today=deadline - dt.timedelta(days=1)) == 0  # not every day
    assert judicial_window_reminders(today=deadline) == 1
    notices = Notice.objects.filter(kind="judicial")
    assert {n.user for n in notices} == {mediator.user} and all(n.case_id == case.pk for n in notices)
    assert "今日截止" in notices.order_by("-id").first().text
    Agreement.objects.filter(case=case).update(judicial_confirmation="pending")
    assert judicial_window_reminders(today=deadline - dt.timedelta(days=JUDICIAL_REMIND_DAYS_BEFORE)) == 0
