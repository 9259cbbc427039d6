"""The rung above the subdistrict (社区 → 街道 → 区): the subdistrict's centre refers a case it could not
settle, or cannot handle, to the district's centre, which mediates it on its own clock; the
subdistrict's figures keep the case as referred up, and the ladder counts it once where it ends."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_issue
from casework import services as case_services
from casework.enums import CaseStatus, Level
from casework.exceptions import CasePermissionDenied, TransitionUnavailable
from casework.models import CaseEvent
from common.models import Notice
from grids.enums import Role
from mediation import services as mediation_services
from reports import statistics
from tests.factories import MediatorFactory, UserFactory
from tests.workflow import drive, fresh, log_session, snapshot

S = CaseStatus


@pytest.fixture
def district_leader(district):
    return UserFactory(username="dleader", roles=[Role.DISTRICT_LEADER], district=district)


@pytest.fixture
def district_mediator(db):
    return MediatorFactory(user__username="districtmediator")


def at_subdistrict(state, centre, mediator, grid, **kw):
    return drive(state, centre=centre, lead=mediator, co=None, grid=grid, level=Level.SUBDISTRICT, **kw)


def test_a_subdistrict_failure_goes_up_to_the_district(district, district_staff, centre, mediator, grid):
    case = at_subdistrict(S.FAILED, centre, mediator, grid)
    failed_at, old_due = case.concluded_at, case.conclude_due
    case_services.case_refer_district(case, actor=centre, reason="街道调解不成，涉及多个街道")
    case = fresh(case)
    assert (case.status, case.level, case.lead_mediator_id) == (S.ACCEPTED, Level.DISTRICT, None)
    assert case.outcome == "" and case.concluded_at is None
    # The district's own clock runs from the referral; the subdistrict's leg stays on the case.
    assert case.conclude_due == case_services.calendar.conclusion_due(timezone.localdate())
    assert case.subdistrict_conclude_due == old_due and case.subdistrict_overdue is False
    assert case.referred_at is not None and case.next_due == case.conclude_due
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.name, event.from_status, event.to_status) == ("refer_district", S.FAILED, S.ACCEPTED)
    assert event.data["subdistrict_failure"]["concluded_at"] == failed_at.isoformat()
    assert event.data["released_mediators"] == [mediator.pk]
    # The district's centre is told; the centre that referred it is not told of its own act.
    assert Notice.objects.filter(user=district_staff, case=case, kind="escalated").count() == 1
    assert not Notice.objects.filter(user=centre, case=case, kind="escalated").exists()


def test_a_late_subdistrict_leg_is_charged_to_the_subdistrict(district, centre, mediator, grid):
    now = timezone.now()
    case = at_subdistrict(
        S.MEDIATING, centre, mediator, grid, at=now - dt.timedelta(days=70), concluded=now - dt.timedelta(days=60)
    )
    assert case.conclude_due < timezone.localdate()
    case_services.case_refer_district(case, actor=centre, reason="逾期未能化解")
    case = fresh(case)
    assert case.subdistrict_overdue is True and case.conclude_due > timezone.localdate()


def test_the_district_mediates_on_its_own_and_the_subdistrict_no_longer_runs_it(
    district, district_staff, district_leader, centre, mediator, district_mediator, grid
):
    case = at_subdistrict(S.MEDIATING, centre, mediator, grid)
    case_services.case_refer_district(case, actor=centre, reason="需区级统筹")
    case = fresh(case)
    for outsider in (centre, district_leader, mediator.user):
        with pytest.raises(CasePermissionDenied):
            mediation_services.case_assign(case, actor=outsider, mediator=district_mediator)
    mediation_services.case_assign(case, actor=district_staff, mediator=district_mediator)
    mediation_services.case_start(fresh(case), actor=district_mediator.user)
    case = fresh(case)
    assert (case.community_attempts, case.subdistrict_attempts, case.district_attempts) == (0, 1, 1)
    log_session(case, district_mediator.user)
    mediation_services.case_reach_agreement(
        fresh(case), actor=district_mediator.user, form="oral", terms="赔偿500元", signed_on=timezone.localdate()
    )
    mediation_services.follow_up_record(
        fresh(case), actor=district_staff, date=timezone.localdate(), performed=True, satisfaction=5
    )
    with pytest.raises(CasePermissionDenied):
        case_services.case_close(fresh(case), actor=centre)
    case_services.case_close(fresh(case), actor=district_staff)
    assert fresh(case).status == S.CLOSED


@pytest.mark.parametrize("level", [Level.COMMUNITY, Level.SUBDISTRICT])
def test_refer_needs_a_subdistrict_level_case_in_a_district(level, centre, mediator, grid, request):
    if level == Level.COMMUNITY:
        request.getfixturevalue("district")
        expected = "只有街道层级"
    else:
        expected = "尚未归属"  # no district above this subdistrict
    case = drive(S.MEDIATING, centre=centre, lead=mediator, co=None, grid=grid, level=level)
    before = snapshot(case)
    with pytest.raises(TransitionUnavailable, match=expected):
        case_services.case_refer_district(case, actor=centre, reason="上报区")
    assert snapshot(case) == before


def test_a_district_failure_ends_the_ladder(district, district_staff, centre, mediator, district_mediator, grid):
    case = at_subdistrict(S.ACCEPTED, centre, mediator, grid)
    case_services.case_refer_district(case, actor=centre, reason="需区级统筹")
    mediation_services.case_assign(fresh(case), actor=district_staff, mediator=district_mediator)
    mediation_services.case_start(fresh(case), actor=district_mediator.user)
    log_session(fresh(case), district_mediator.user)
    mediation_services.case_fail(fresh(case), actor=district_mediator.user, reason="分歧大", guidance="litigation")
    with pytest.raises(TransitionUnavailable):
        case_services.case_refer_district(fresh(case), actor=centre, reason="再上报")


def test_nobody_accepts_a_case_at_the_district_level(district, centre, mediator, grid):
    case = drive(S.REPORTED, centre=centre, lead=mediator, co=None, grid=grid)
    with pytest.raises(ValidationError) as refused:
        case_services.case_accept(case, actor=centre, level=Level.DISTRICT)
    assert "level" in refused.value.message_dict and fresh(case).status == S.REPORTED


def test_the_web_form_refers_and_refuses_without_a_reason(client, district, centre, mediator, grid):
    case = at_subdistrict(S.MEDIATING, centre, mediator, grid)
    client.force_login(centre)
    page = client.get(f"/mediation/cases/{case.pk}/").content.decode()
    assert "do/refer_district/" in page and "上报区" in page
    url = f"/mediation/cases/{case.pk}/do/refer_district/"
    before = snapshot(case)
    response = client.post(url, {"reason": "  ", "version": case.version})
    assert response.status_code == 400 and snapshot(case) == before
    response = client.post(url, {"reason": "需区级统筹", "version": case.version})
    assert response.status_code == 302
    assert fresh(case).level == Level.DISTRICT


def test_the_api_refers_and_answers_409_when_unavailable(district, centre, mediator, grid):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=centre)[1]}")
    community_case = drive(S.MEDIATING, centre=centre, lead=mediator, co=None, grid=grid, level=Level.COMMUNITY)
    response = api.post(
        f"/api/v1/cases/{community_case.pk}/transitions/refer_district/", {"reason": "上报区"}, format="json"
    )
    assert response.status_code == 409 and fresh(community_case).level == Level.COMMUNITY
    case = at_subdistrict(S.MEDIATING, centre, mediator, grid)
    response = api.post(f"/api/v1/cases/{case.pk}/transitions/refer_district/", {"reason": ""}, format="json")
    assert response.status_code == 400 and fresh(case).level == Level.SUBDISTRICT
    response = api.post(f"/api/v1/cases/{case.pk}/transitions/refer_district/", {"reason": "需区级统筹"}, format="json")
    assert response.status_code == 200 and fresh(case).level == Level.DISTRICT


def test_the_ladder_counts_each_case_once_where_it_ends(
    district, district_staff, centre, mediator, district_mediator, grid
):
    """Three cases concluded this month: at the subdistrict, and one referred up and concluded at the
    district; a fourth referred up and still open there. 大事不出街道 = 1 of 2 handled."""
    at_subdistrict(S.AGREED, centre, mediator, grid)
    up = at_subdistrict(S.FAILED, centre, mediator, grid)
    case_services.case_refer_district(up, actor=centre, reason="需区级统筹")
    mediation_services.case_assign(fresh(up), actor=district_staff, mediator=district_mediator)
    mediation_services.case_start(fresh(up), actor=district_mediator.user)
    log_session(fresh(up), district_mediator.user)
    mediation_services.case_reach_agreement(
        fresh(up), actor=district_mediator.user, form="oral", terms="赔偿", signed_on=timezone.localdate()
    )
    still_up = at_subdistrict(S.MEDIATING, centre, mediator, grid)
    case_services.case_refer_district(still_up, actor=centre, reason="需区级统筹")
    today = timezone.localdate()
    period = statistics.Period.of("monthly", today.replace(day=1))
    material = statistics.Collector(centre.subdistrict_id, period).collect()
    figures = statistics.derive(material)
    sets = material["sets"]
    assert set(sets["ladder_district"]) == {up.pk}
    assert set(sets["referred_district"]) == {up.pk, still_up.pk}
    assert figures["ladder"]["handled"] == 2
    assert figures["ladder"]["subdistrict"]["count"] == 1
    assert figures["ladder"]["district"]["count"] == 1
    assert figures["ladder"]["referred_district"] == 2
    # The subdistrict's legs ended on time (a failure referred up was judged at its conclusion).
    assert set(sets["on_time_subdistrict"]) >= {still_up.pk}
    assert figures["on_time"]["by_level"]["district"]["on_time"] == 1
