"""Each level of the ladder on its own conclusion clock: an escalated case is judged at the
subdistrict against the subdistrict's deadline, and the community's overrun is charged to the
community, at the escalation."""

import datetime as dt

import pytest
from django.urls import reverse

from casework import services as case_services
from casework.enums import Level
from mediation import services as mediation_services
from reports import services, statistics
from reports.statistics import Period
from tests.factories import register
from tests.reports.conftest import at
from tests.workflow import log_session

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2025, 10, 1)


def _accepted(centre, grid, *, level, on):
    case = register(centre, grid, at=at(on.month, on.day, 9))
    case_services.case_accept(case, actor=centre, level=level, at=at(on.month, on.day))
    return case


def _mediated(case, centre, mediator, *, day):
    mediation_services.case_assign(case, actor=centre, mediator=mediator, at=at(10, day, 11))
    mediation_services.case_start(case, actor=mediator.user, at=at(10, day, 12))
    log_session(case, mediator.user, held_at=at(10, day, 13), at=at(10, day, 13))


@pytest.fixture
def october(centre, mediator, grid):
    cases = {}
    # Accepted at the community on 1 September (due 9 October), escalated late on 15 October; the
    # subdistrict's own month runs to 17 November and it agrees on 25 October: on time there.
    late_up = cases["late_up"] = _accepted(centre, grid, level=Level.COMMUNITY, on=dt.date(2025, 9, 1))
    case_services.case_escalate(late_up, actor=centre, reason="社区调解未果", at=at(10, 15))
    _mediated(late_up, centre, mediator, day=20)
    mediation_services.case_reach_agreement(
        late_up, actor=mediator.user, form="oral", terms="赔偿500元", signed_on=dt.date(2025, 10, 25), at=at(10, 25)
    )
    # Agreed at the community within its month.
    home = cases["home"] = _accepted(centre, grid, level=Level.COMMUNITY, on=dt.date(2025, 10, 2))
    _mediated(home, centre, mediator, day=10)
    mediation_services.case_reach_agreement(
        home, actor=mediator.user, form="oral", terms="道歉", signed_on=dt.date(2025, 10, 20), at=at(10, 20)
    )
    # Escalated within the community's month.
    early_up = cases["early_up"] = _accepted(centre, grid, level=Level.COMMUNITY, on=dt.date(2025, 10, 1))
    case_services.case_escalate(early_up, actor=centre, reason="涉及多方", at=at(10, 10))
    # At the subdistrict since 1 September, still mediating at the month's end: overdue there.
    stuck = cases["stuck"] = _accepted(centre, grid, level=Level.SUBDISTRICT, on=dt.date(2025, 9, 1))
    _mediated(stuck, centre, mediator, day=3)
    return cases


def test_each_level_is_charged_its_own_lateness(october, subdistrict):
    material = statistics.collect(subdistrict.pk, Period.monthly(OCTOBER))
    sets = {key: set(ids) for key, ids in material["sets"].items()}
    ids = {name: case.pk for name, case in october.items()}
    assert sets.get("on_time_community") == {ids["home"], ids["early_up"]}
    assert sets.get("late_community") == {ids["late_up"]}
    assert sets.get("on_time_subdistrict") == {ids["late_up"]}
    assert sets.get("late_subdistrict") == {ids["stuck"]}
    # The case the subdistrict received late is on time in the overall figure too: its conclusion
    # is judged against the deadline running then, the subdistrict's.
    assert ids["late_up"] in sets["on_time"]
    figures = statistics.derive(material)
    by_level = figures["on_time"]["by_level"]
    assert by_level["community"] == {"on_time": 2, "late": 1, "rate": 0.6667}
    assert by_level["subdistrict"] == {"on_time": 1, "late": 1, "rate": 0.5}


def test_the_report_page_shows_the_rate_of_each_level(october, subdistrict, client, centre):
    snapshot, _created = services.report_generate(kind="monthly", period=OCTOBER, actor=centre, now=at(11, 2))
    client.force_login(centre)
    body = client.get(reverse("reports:detail", args=[snapshot.pk])).content.decode()
    assert "各层级按期率" in body and "社区 66.7%" in body and "街道 50.0%" in body
    assert "figure=late_community" in body
