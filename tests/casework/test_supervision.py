"""督办: district staff order the subdistrict's centre to act on an overdue or early-warning case;
the centre answers once; both are append-only, recorded on the case's file and noticed."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from casework import calendar
from casework.exceptions import CasePermissionDenied, TransitionUnavailable
from casework.models import CaseEvent, SupervisionAnswer, SupervisionOrder
from casework.supervision import supervision_answer, supervision_issue
from common.enums import NoticeKind
from common.models import Notice
from grids.enums import Role
from tests.factories import DistrictFactory, SubdistrictFactory, UserFactory, register

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(district_staff):
    return district_staff


@pytest.fixture
def overdue(centre, grid):
    # Registered three weeks ago and never accepted: past its acceptance deadline.
    return register(centre, grid, at=timezone.now() - dt.timedelta(days=21))


def test_district_staff_supervise_an_overdue_case_and_the_centre_is_told(staff, centre, overdue):
    order = supervision_issue(overdue, actor=staff, instruction="三日内受理并联系当事人", working_days=3)
    assert order.due == calendar.add_working_days(timezone.localdate(), 3)
    event = CaseEvent.objects.get(case=overdue, name="supervise")
    assert event.data == {"order": order.pk, "due": order.due.isoformat()} and event.actor == staff
    notice = Notice.objects.get(user=centre, kind=NoticeKind.SUPERVISION)
    assert overdue.number in notice.text and "三日内受理" in notice.text


def test_only_district_staff_of_the_cases_district_supervise(district, staff, centre, leader, overdue):
    refused = [
        UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=district),
        UserFactory(username="far", roles=[Role.DISTRICT_STAFF], district=DistrictFactory(code="XHQ", name="西湖区")),
        centre,
        leader,
    ]
    for user in refused:
        with pytest.raises(CasePermissionDenied):
            supervision_issue(overdue, actor=user, instruction="请办理", working_days=3)
    assert not SupervisionOrder.objects.exists()


def test_a_case_on_time_and_without_warning_is_not_supervised(staff, centre, grid):
    fresh = register(centre, grid)
    with pytest.raises(TransitionUnavailable):
        supervision_issue(fresh, actor=staff, instruction="请办理", working_days=3)


@pytest.mark.parametrize(
    ("instruction", "days"), [("", 3), ("   ", 3), ("请办理", 0), ("请办理", 31), ("x" * 501, 3), ("请\x00办理", 3)]
)
def test_bad_orders_are_refused_and_nothing_written(staff, overdue, instruction, days):
    with pytest.raises(ValidationError):
        supervision_issue(overdue, actor=staff, instruction=instruction, working_days=days)
    assert not SupervisionOrder.objects.exists() and not CaseEvent.objects.filter(name="supervise").exists()


def test_the_centre_answers_once_and_the_issuer_is_told(staff, centre, community_staff, overdue):
    order = supervision_issue(overdue, actor=staff, instruction="请尽快受理", working_days=2)
    with pytest.raises(CasePermissionDenied):
        supervision_answer(order, actor=community_staff, text="已受理")
    neighbour = SubdistrictFactory(code="SBJ", name="松柏街道", district=order.case.subdistrict.district)
    with pytest.raises(CasePermissionDenied):
        supervision_answer(
            order, actor=UserFactory(username="sb", roles=[Role.CENTRE_STAFF], subdistrict=neighbour), text="x"
        )
    answer = supervision_answer(order, actor=centre, text="已受理并分派调解员")
    assert answer.on_time
    assert CaseEvent.objects.get(case=overdue, name="supervision_answer").data["on_time"] is True
    assert Notice.objects.filter(user=staff, kind=NoticeKind.SUPERVISION).count() == 1
    with pytest.raises(TransitionUnavailable):
        supervision_answer(order, actor=centre, text="再次答复")
    assert SupervisionAnswer.objects.count() == 1


def test_orders_and_answers_are_append_only(staff, centre, overdue):
    order = supervision_issue(overdue, actor=staff, instruction="请尽快受理", working_days=2)
    answer = supervision_answer(order, actor=centre, text="已受理")
    for row, field in ((order, "instruction"), (answer, "text")):
        with pytest.raises(DatabaseError), transaction.atomic():
            type(row).objects.filter(pk=row.pk).update(**{field: "改写"})
        with pytest.raises(DatabaseError), transaction.atomic():
            type(row).objects.filter(pk=row.pk).delete()


def test_the_case_page_shows_the_order_and_its_answer(client, staff, centre, overdue):
    order = supervision_issue(overdue, actor=staff, instruction="请尽快受理", working_days=2)
    client.force_login(staff)
    page = client.get(reverse("mediation:case", args=[overdue.pk])).content.decode()
    assert "请尽快受理" in page and "待答复" in page
    supervision_answer(order, actor=centre, text="已受理并分派")
    client.force_login(centre)
    page = client.get(reverse("mediation:case", args=[overdue.pk])).content.decode()
    assert "已受理并分派" in page and "按期答复" in page


def test_supervise_and_answer_from_the_case_page(client, staff, centre, overdue):
    record = reverse("mediation:record", args=[overdue.pk, "supervise"])
    client.force_login(staff)
    assert 'name="working_days"' in client.get(reverse("mediation:case", args=[overdue.pk])).content.decode()
    # Bad input: the page again with a message, nothing written.
    bad = client.post(record, {"instruction": "", "working_days": "3"})
    assert bad.status_code == 400 and not SupervisionOrder.objects.exists()
    response = client.post(record, {"instruction": "请三日内受理", "working_days": "3"})
    assert response.status_code == 302
    order = SupervisionOrder.objects.get(case=overdue)
    client.force_login(centre)
    answer = reverse("mediation:record", args=[overdue.pk, "supervision_answer"])
    assert client.post(answer, {"order": str(order.pk + 1000), "text": "已受理"}).status_code == 400
    assert client.post(answer, {"order": str(order.pk), "text": "已受理并分派"}).status_code == 302
    assert SupervisionAnswer.objects.get(order=order).text == "已受理并分派"
    # Answered: nothing more to answer, the form is gone and a second answer is refused.
    assert client.post(answer, {"order": str(order.pk), "text": "再答"}).status_code == 403


def test_the_queue_lists_cases_whose_order_waits_for_an_answer(client, staff, centre, grid, overdue):
    other = register(centre, grid, at=timezone.now() - dt.timedelta(days=21))
    order = supervision_issue(overdue, actor=staff, instruction="请办理", working_days=3)
    supervision_issue(overdue, actor=staff, instruction="再次督办", working_days=2)
    answered = supervision_issue(other, actor=staff, instruction="请办理", working_days=3)
    supervision_answer(answered, actor=centre, text="已办理")
    for user in (staff, centre):
        client.force_login(user)
        page = client.get(reverse("casework:queue"), {"tab": "supervised"}).content.decode()
        assert page.count(overdue.number) == 1 and other.number not in page
    supervision_answer(order, actor=centre, text="已办理")
    page = client.get(reverse("casework:queue"), {"tab": "supervised"}).content.decode()
    assert overdue.number in page  # its second order still waits


def _working_day_before(day: dt.date) -> dt.date:
    before = day - dt.timedelta(days=1)
    while not calendar.is_working_day(before):
        before -= dt.timedelta(days=1)
    return before


def _told(kind_key: str) -> list[tuple[str, str]]:
    rows = Notice.objects.filter(kind=NoticeKind.SUPERVISION, key__endswith=kind_key)
    return sorted(rows.values_list("user__username", "key"))


def test_answers_owed_are_reminded_before_on_the_day_and_the_district_told_once_overdue(
    district, staff, centre, leader, overdue
):
    from casework.notices import supervision_reminders

    dleader = UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=district)
    far = UserFactory(username="far", roles=[Role.DISTRICT_STAFF], district=DistrictFactory(code="XHQ", name="西湖区"))
    order = supervision_issue(overdue, actor=staff, instruction="三日内受理", working_days=3)
    key = f"supervision:{order.pk}"
    before = _working_day_before(order.due)
    # Three working days away: nothing yet.
    assert supervision_reminders(today=timezone.localdate()) == 0
    for day, step, told in (
        (before, "soon", ["centre"]),
        (order.due, "due", ["centre"]),
        (calendar.add_working_days(order.due, 1), "overdue", ["district"]),
    ):
        assert supervision_reminders(today=day) == 1
        assert _told(f":{step}") == [(name, f"{key}:{step}") for name in told]
        # A second run of the day (a second beat, a redelivered message) tells nobody again.
        assert supervision_reminders(today=day) == 0
    # The overdue step is told once, not every day after.
    assert supervision_reminders(today=calendar.add_working_days(order.due, 5)) == 0
    # Notices are records (never deleted): the reminders are told apart from the order's own notice by key.
    reminders = Notice.objects.filter(kind=NoticeKind.SUPERVISION, key__startswith=f"{key}:")
    assert not reminders.filter(user__in=[leader, dleader, far]).exists()


def test_an_answered_order_is_not_reminded(staff, centre, overdue):
    from casework.notices import supervision_reminders

    order = supervision_issue(overdue, actor=staff, instruction="请办理", working_days=2)
    supervision_answer(order, actor=centre, text="已办理")
    for day in (_working_day_before(order.due), order.due, calendar.add_working_days(order.due, 1)):
        assert supervision_reminders(today=day) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_beats_at_once_remind_once(staff, centre, overdue):
    import threading

    from django.db import connection

    from casework.notices import supervision_reminders

    order = supervision_issue(overdue, actor=staff, instruction="请办理", working_days=1)
    barrier = threading.Barrier(2)
    sent = [None, None]

    def beat(index):
        try:
            barrier.wait(timeout=30)
            sent[index] = supervision_reminders(today=order.due)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(sent) == [0, 1]
    assert _told(":due") == [("centre", f"supervision:{order.pk}:due")]
