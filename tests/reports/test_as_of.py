"""Reports say what they would have said on time: stocks are replayed from the case events as of
the period's last instant, so a report made weeks late, after more events, has the same figures."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casework import services as case_services
from casework.enums import CaseStatus, Level, Risk
from mediation import services as mediation_services
from reports import selectors, services
from reports.models import Snapshot
from reports.statistics import Period
from tests.factories import PASSWORD, register
from tests.reports.conftest import at, follow_up
from tests.workflow import drive

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2025, 10, 1)


def moment(month, day, hour=10):
    return timezone.make_aware(dt.datetime(2025, month, day, hour))


@pytest.fixture
def october(centre, mediator, grid, other_grid, community_staff):
    """October's cases as they stood on 10-31, with what November then did to them."""
    cases = {
        "overdue_accept": register(centre, grid, at=moment(10, 20)),  # accept due 10-23: overdue on 10-31
        "fresh": register(centre, other_grid, at=moment(10, 30), risk=Risk.MAJOR),  # due in November
        "mediating": register(centre, grid, at=moment(10, 9)),
        "agreed_no_visit": drive(
            CaseStatus.AGREED, centre=centre, lead=mediator, grid=grid, at=moment(10, 2), concluded=moment(10, 6)
        ),
        "community": register(centre, grid, at=moment(10, 8)),
    }
    case_services.case_accept(cases["mediating"], actor=centre, level=Level.SUBDISTRICT, at=moment(10, 10))
    mediation_services.case_assign(cases["mediating"], actor=centre, mediator=mediator, at=moment(10, 11))
    case_services.case_accept(cases["community"], actor=community_staff, level=Level.COMMUNITY, at=moment(10, 9))
    mediation_services.case_assign(cases["community"], actor=community_staff, mediator=mediator, at=moment(10, 9, 11))
    mediation_services.case_start(cases["community"], actor=mediator.user, at=moment(10, 10))
    mediation_services.session_log(
        cases["community"], actor=mediator.user, held_at=moment(10, 12), location="社区调解室", summary="调解",
        public=False, rights_explained=True, rights_explained_by=mediator.name, at=moment(10, 12),
    )  # fmt: skip
    mediation_services.case_fail(
        cases["community"], actor=mediator.user, reason="分歧大", guidance="litigation", at=moment(10, 20)
    )
    return cases


def november(cases, *, centre, mediator, community_staff):
    """What happened after October: an acceptance, an extension, a follow-up, a withdrawal, closures."""
    case_services.case_accept(cases["overdue_accept"], actor=centre, level=Level.SUBDISTRICT, at=moment(11, 3))
    case_services.case_withdraw(cases["fresh"], actor=centre, reason="当事人撤回", at=moment(11, 4))
    case_services.case_extend_deadline(cases["mediating"], actor=centre, reason="案情复杂", at=moment(11, 5))
    follow_up(cases["agreed_no_visit"], mediator, dt.date(2025, 11, 6), 5, True)
    case_services.case_close(cases["agreed_no_visit"], actor=centre, at=moment(11, 7))
    case_services.case_close(cases["community"], actor=centre, at=moment(11, 8))
    register(centre, cases["mediating"].grid, at=moment(11, 9))


def test_a_report_made_weeks_late_after_more_events_says_what_the_on_time_one_said(
    october, centre, mediator, subdistrict, community_staff
):
    on_time = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER, now=moment(11, 1, 8))
    november(october, centre=centre, mediator=mediator, community_staff=community_staff)
    late, created = services.report_generate(
        kind="monthly", period=OCTOBER, actor=centre, reason="补生成", now=moment(11, 30, 20)
    )
    assert created and late.version == 2
    assert late.figures == on_time.figures
    assert late.material == on_time.material and late.fingerprint == on_time.fingerprint
    totals = late.figures["totals"]
    # On 10-31: five open (the community failure not yet closed), one overdue for acceptance,
    # one for its first follow-up; the fresh major-risk case was an early warning.
    assert (totals["open"], totals["overdue"], totals["pending_overdue"], totals["warning"]) == (5, 2, 1, 1)
    assert totals["overdue_follow_up"] == 1 and totals["ladder_community"] == 1 and totals["withdrawn"] == 0
    states = {row["key"]: row["count"] for row in late.figures["by_state"]}
    assert states == {"reported": 2, "assigned": 1, "agreed": 1, "failed": 1}


def test_today_generating_without_a_reason_finds_nothing_changed(
    october, centre, mediator, subdistrict, community_staff
):
    first, _created = services.report_generate(kind="monthly", period=OCTOBER, actor=centre, now=moment(11, 1, 8))
    november(october, centre=centre, mediator=mediator, community_staff=community_staff)
    again, created = services.report_generate(kind="monthly", period=OCTOBER, actor=centre, now=moment(11, 30, 20))
    assert (created, again.pk) == (False, first.pk)


def test_the_overdue_sentence_counts_the_set_the_on_time_rate_counts(client, october, centre, subdistrict):
    """Defect: 逾期 4 and "另有 4 件…已将其计入" while the rate counted 3 (a case overdue only for its
    follow-up was in one and not the other). The sentence now names the rate's own set."""
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER)
    figures = snapshot.figures
    on_time = figures["on_time"]
    assert on_time["pending_overdue"] == figures["totals"]["pending_overdue"] == 1
    assert on_time["rate"] == round(on_time["on_time"] / (on_time["concluded"] + on_time["pending_overdue"]), 4)
    assert figures["totals"]["overdue"] == figures["totals"]["pending_overdue"] + figures["totals"]["overdue_follow_up"]
    client.login(username=centre.username, password=PASSWORD)
    html = client.get(reverse("reports:detail", args=[snapshot.pk])).content.decode()
    assert "另有 1 件未办结案件期末已逾期，按期办结率已将其计入。" in html
    assert "另有 1 件调解成功的案件首次回访逾期。" in html
    listed = client.get(reverse("reports:cases", args=[snapshot.pk]), {"figure": "pending_overdue"})
    assert listed.context["page"].paginator.count == 1


def test_drill_down_of_a_late_report_lists_the_cases_of_the_period_not_of_today(
    october, centre, mediator, subdistrict, community_staff
):
    """Defect: the October report made on 30 November listed cases whose deadlines fell in November."""
    november(october, centre=centre, mediator=mediator, community_staff=community_staff)
    snapshot = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=OCTOBER, now=moment(11, 30, 20))
    overdue = set(selectors.drill_down(centre, snapshot, "overdue").values_list("pk", flat=True))
    assert overdue == {october["overdue_accept"].pk, october["agreed_no_visit"].pk}
    assert october["fresh"].pk not in overdue  # its acceptance fell due in November


def test_the_demo_octobers_report_made_on_30_november_matches_the_one_made_on_1_november(demo, django_db_blocker):
    from grids.models import Subdistrict

    subdistrict = Subdistrict.objects.get(code="BHZ")
    today = timezone.localdate()
    october = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    made_on_first = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time(8)))
    first = services.report_ensure(subdistrict=subdistrict, kind="monthly", period=october, now=made_on_first)
    # November's work on October's open cases: every one still open is withdrawn today.
    centre = next(u for u in subdistrict_users(subdistrict) if u.has_role("centre_staff"))
    for case_id in Snapshot.objects.get(pk=first.pk).material["sets"].get("open", []):
        case = case_services.DisputeCase.objects.get(pk=case_id)
        if case.status in ("reported", "accepted", "assigned", "mediating"):
            case_services.case_withdraw(case, actor=centre, reason="演示：十一月撤回")
    late, created = services.report_generate(
        kind="monthly", period=october, actor=centre, reason="11月30日补生成", now=timezone.now()
    )
    assert created and late.figures == first.figures and late.material == first.material
    assert first.figures["totals"]["open"] > 0


def subdistrict_users(subdistrict):
    from grids.models import User

    return User.objects.filter(subdistrict=subdistrict, is_active=True).order_by("pk")


def test_period_labels():
    assert Period.monthly(OCTOBER).label == "2025年10月" and Period.monthly(OCTOBER).end_label == "10月31日"
    assert at(3, 1).year == 2025
