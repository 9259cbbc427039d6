"""casework.notices: the early-warning notices (in the app and by mail, once, with an hourly
sweep) and the deadline reminders, to the people responsible."""

import datetime as dt

import pytest
import redis
from django.conf import settings
from django.core import mail
from django.test import override_settings

from casework import notices as case_notices
from casework.enums import Risk
from common import notices
from common.models import Notice, NoticeDelivery
from common.tasks import deliver_notice
from tests.factories import UserFactory, register

pytestmark = pytest.mark.django_db


@override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
def test_early_warning_notifies_centre_staff_once_in_app_and_by_mail(centre, grid, django_capture_on_commit_callbacks):
    centre.email = "centre@example.org"
    centre.save(update_fields=["email"])
    case = register(centre, grid, risk=Risk.MAJOR)
    with django_capture_on_commit_callbacks() as queued:
        first = case_notices.warning_notify(case_id=case.pk)
        again = case_notices.warning_notify(case_id=case.pk)
    assert [n.user for n in first] == [centre] and again == []
    assert Notice.objects.get().case == case
    # One mail to send, queued for the worker once the notice commits; run here, in-process.
    (email,) = NoticeDelivery.objects.filter(notice=first[0], channel="email")
    assert len(queued) == 1 and mail.outbox == []
    deliver_notice.apply(args=[email.pk])
    assert len(mail.outbox) == 1 and case.number in mail.outbox[0].body


def test_no_warning_notice_for_an_ordinary_case(centre, grid):
    case = register(centre, grid)
    assert case_notices.warning_notify(case_id=case.pk) == [] and case_notices.warning_sweep() == 0


def test_warning_sweep_catches_a_notice_lost_on_the_way(centre, grid):
    register(centre, grid, risk=Risk.MAJOR)
    assert case_notices.warning_sweep() == 1
    assert case_notices.warning_sweep() == 0


def test_deadline_reminders_before_and_when_due_go_to_the_people_responsible(centre, community_staff, grid):
    case = register(centre, grid)
    due = case.next_due
    sent_before = case_notices.deadline_reminders(today=due - dt.timedelta(days=1))
    sent_on_the_day = case_notices.deadline_reminders(today=due)
    assert set(Notice.objects.values_list("kind", flat=True)) == {"due_soon", "due_today"}
    # A case waiting for acceptance: the centre and the community's staff are responsible.
    assert {n.user.username for n in Notice.objects.filter(kind="due_today")} == {"centre", "community"}
    assert sent_before == sent_on_the_day == 2
    assert case_notices.deadline_reminders(today=due) == 0


def test_overdue_reminders_once_a_day_and_the_centre_from_the_third_working_day(centre, community_staff, grid):
    from casework import calendar

    case = register(centre, grid)
    due = case.next_due
    first, third = calendar.add_working_days(due, 1), calendar.add_working_days(due, 3)
    # The first overdue working day: the community's staff answer for an unaccepted case.
    assert case_notices.deadline_reminders(today=first) == 1
    assert case_notices.deadline_reminders(today=first) == 0  # once a day
    (notice,) = Notice.objects.filter(kind="overdue")
    assert notice.user.username == "community" and "超期 1 个工作日" in notice.text
    # From the third overdue working day the centre is told too, every day.
    assert case_notices.deadline_reminders(today=third) == 2
    assert {n.user.username for n in Notice.objects.filter(kind="overdue", text__contains="超期 3 个工作日")} == {
        "centre",
        "community",
    }


def test_notices_are_marked_read_only_for_their_owner(centre, leader, grid):
    case = register(centre, grid, risk=Risk.MAJOR)
    case_notices.warning_notify(case_id=case.pk)
    notice = Notice.objects.get()
    assert notices.notice_mark_read(user=leader, notice_id=notice.pk) == 0
    assert notices.notice_mark_read(user=centre, notice_id=notice.pk) == 1


def test_registering_a_warning_case_queues_the_notice_on_the_broker(centre, grid, django_capture_on_commit_callbacks):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    before = broker.llen("celery")
    with django_capture_on_commit_callbacks(execute=True):
        case = register(centre, grid, risk=Risk.MAJOR)
    assert case.pk and broker.llen("celery") == before + 1


def test_warning_notices_go_to_every_centre_staff_member_and_no_one_else(centre, grid_worker, grid):
    UserFactory(username="centre2", roles=["centre_staff"], subdistrict=centre.subdistrict)
    case = register(centre, grid, risk=Risk.MAJOR)
    assert {n.user.username for n in case_notices.warning_notify(case_id=case.pk)} == {"centre", "centre2"}
