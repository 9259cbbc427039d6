"""The judicial-confirmation window (art. 33) as a running deadline: it starts when the agreement is
signed; the case's mediators are told a week and a day before it closes while the parties have not
applied; the case page shows it, a queue tab lists the cases in it, and the reports count
applications, confirmations and windows that lapsed."""

import datetime as dt

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from casework.enums import CaseStatus
from common.models import Notice
from mediation import services as mediation_services
from mediation.models import Agreement
from mediation.notices import judicial_window_reminders
from reports import statistics
from reports.statistics import Period
from tests.workflow import drive

QUEUE = reverse("casework:queue")


def test_the_window_starts_when_the_agreement_is_signed(walk):
    case = walk(CaseStatus.AGREED)
    agreement = Agreement.objects.get(case=case)
    assert agreement.judicial_deadline >= agreement.signed_on + dt.timedelta(days=30)
    assert agreement.judicial_deadline <= agreement.signed_on + dt.timedelta(days=33)  # rolled past rest days


def test_the_mediators_are_told_a_week_and_a_day_before_and_not_after_applying(walk, mediator):
    case = walk(CaseStatus.AGREED)
    deadline = Agreement.objects.get(case=case).judicial_deadline
    week, day = deadline - dt.timedelta(days=7), deadline - dt.timedelta(days=1)
    assert judicial_window_reminders(today=week) == 1
    assert judicial_window_reminders(today=week) == 0  # once a day
    for other in (deadline - dt.timedelta(days=5), deadline - dt.timedelta(days=2), deadline):
        assert judicial_window_reminders(today=other) == 0  # not every day
    assert judicial_window_reminders(today=day) == 1
    notices = Notice.objects.filter(kind="judicial")
    assert {n.user for n in notices} == {mediator.user} and all(n.case_id == case.pk for n in notices)
    assert "明日截止" in notices.order_by("-id").first().text
    mediation_services.judicial_confirmation_record(
        case, actor=mediator.user, status="pending", applied_on=timezone.localdate(), court="东湖区人民法院"
    )
    assert judicial_window_reminders(today=week) == 0


@override_settings(FENGQIAO_JUDICIAL_REMIND_DAYS=(3,))
def test_the_reminder_days_are_a_setting(walk):
    deadline = Agreement.objects.get(case=walk(CaseStatus.AGREED)).judicial_deadline
    assert judicial_window_reminders(today=deadline - dt.timedelta(days=7)) == 0
    assert judicial_window_reminders(today=deadline - dt.timedelta(days=3)) == 1


def test_the_case_page_shows_the_window(client, centre, mediator, walk):
    case = walk(CaseStatus.AGREED)
    agreement = Agreement.objects.get(case=case)
    client.force_login(centre)
    body = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert "司法确认申请期限" in body and "当事人尚未申请" in body
    assert agreement.judicial_deadline.strftime("%Y-%m-%d") in body
    mediation_services.judicial_confirmation_record(
        case, actor=mediator.user, status="pending", applied_on=timezone.localdate(), court="东湖区人民法院"
    )
    body = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert "当事人尚未申请" not in body and "已申请，待裁定" in body


def test_a_lapsed_window_says_so(client, centre, mediator, grid):
    long_ago = timezone.now() - dt.timedelta(days=60)
    case = drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid, at=long_ago - dt.timedelta(days=5),
                 concluded=long_ago)  # fmt: skip
    client.force_login(centre)
    body = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert "已届满，当事人未申请" in body


def test_the_queue_tab_lists_the_cases_awaiting_an_application(client, centre, mediator, grid, walk):
    waiting = walk(CaseStatus.AGREED)
    closed = walk(CaseStatus.CLOSED)  # closed after its follow-up, the window still open
    applied = walk(CaseStatus.AGREED)
    mediation_services.judicial_confirmation_record(
        applied, actor=mediator.user, status="pending", applied_on=timezone.localdate(), court="东湖区人民法院"
    )
    long_ago = timezone.now() - dt.timedelta(days=60)
    drive(
        CaseStatus.AGREED,
        centre=centre,
        lead=mediator,
        grid=grid,
        at=long_ago - dt.timedelta(days=5),
        concluded=long_ago,
    )  # fmt: skip  (lapsed)
    walk(CaseStatus.MEDIATING)
    client.force_login(centre)
    response = client.get(QUEUE, {"tab": "judicial"})
    assert {c.pk for c in response.context["rows"]} == {waiting.pk, closed.pk}
    assert "待司法确认" in client.get(QUEUE).content.decode()


def test_a_mediator_sees_only_their_own_cases_in_the_tab(client, centre, mediator, other_mediator, grid, walk):
    mine = walk(CaseStatus.AGREED)
    drive(CaseStatus.AGREED, centre=centre, lead=other_mediator, grid=grid)
    client.force_login(mediator.user)
    assert [c.pk for c in client.get(QUEUE, {"tab": "judicial"}).context["rows"]] == [mine.pk]


@pytest.fixture
def judicial_october(centre, mediator, grid):
    """Agreements signed in September and October 2025, their windows in October and November."""

    def agreed(day):
        signed = timezone.make_aware(dt.datetime(2025, day.month, day.day, 10))
        return drive(CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid,
                     at=signed - dt.timedelta(days=5), concluded=signed)  # fmt: skip

    cases = {
        "lapsed": agreed(dt.date(2025, 9, 10)),  # window closes 10 October, nobody applied
        "applied_late": agreed(dt.date(2025, 9, 5)),  # closes 9 October; applied on the 20th (late)
        "applied": agreed(dt.date(2025, 9, 20)),  # applied 10 October, confirmed 25 October
        "open": agreed(dt.date(2025, 10, 20)),  # window still open at the month's end
    }
    record = mediation_services.judicial_confirmation_record
    at = timezone.make_aware(dt.datetime(2025, 10, 20, 10))
    record(cases["applied_late"], actor=mediator.user, status="pending", applied_on=dt.date(2025, 10, 20), at=at)
    at = timezone.make_aware(dt.datetime(2025, 10, 10, 10))
    record(cases["applied"], actor=mediator.user, status="pending", applied_on=dt.date(2025, 10, 10), at=at)
    at = timezone.make_aware(dt.datetime(2025, 10, 25, 10))
    record(cases["applied"], actor=mediator.user, status="confirmed", applied_on=dt.date(2025, 10, 10),
           answered_on=dt.date(2025, 10, 25), court="东湖区人民法院", at=at)  # fmt: skip
    return cases


def test_reports_count_applications_confirmations_and_lapsed_windows(judicial_october, subdistrict):
    material = statistics.collect(subdistrict.pk, Period.monthly(dt.date(2025, 10, 1)))
    sets = {key: set(ids) for key, ids in material["sets"].items()}
    ids = {name: case.pk for name, case in judicial_october.items()}
    assert sets.get("judicial_applied") == {ids["applied_late"], ids["applied"]}
    assert sets.get("judicial_confirmed") == {ids["applied"]}
    assert sets.get("judicial_lapsed") == {ids["lapsed"], ids["applied_late"]}
    totals = statistics.derive(material)["totals"]
    assert (totals["judicial_applied"], totals["judicial_confirmed"], totals["judicial_lapsed"]) == (2, 1, 2)


def test_the_report_page_shows_the_judicial_figures(judicial_october, client, centre):
    from reports import services

    snapshot, _created = services.report_generate(
        kind="monthly", period=dt.date(2025, 10, 1), actor=centre, now=timezone.make_aware(dt.datetime(2025, 11, 2))
    )
    client.force_login(centre)
    body = client.get(reverse("reports:detail", args=[snapshot.pk])).content.decode()
    assert "申请 2" in body and "确认有效 1" in body and "期限届满未申请 2" in body
    lapsed = client.get(reverse("reports:cases", args=[snapshot.pk]), {"figure": "judicial_lapsed"})
    expected = {judicial_october["lapsed"].pk, judicial_october["applied_late"].pk}
    assert {case.pk for case, _state in lapsed.context["rows"]} == expected
